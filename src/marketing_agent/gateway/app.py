"""The FastAPI app factory: every module's router, auth, errors, metrics, health and the UI.

`create_app` builds the app; its lifespan opens the database and, for the one-process role,
runs the scheduler and the delivery worker beside the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from marketing_agent import __version__
from marketing_agent.agent.api import router as agent_router
from marketing_agent.analytics.api import links_router
from marketing_agent.analytics.api import router as analytics_router
from marketing_agent.compliance.api import router as compliance_router
from marketing_agent.core.db import Database
from marketing_agent.core.logging import configure_logging, get_logger
from marketing_agent.core.settings import Settings, get_settings
from marketing_agent.experiments.api import router as experiments_router
from marketing_agent.gateway import docs as api_docs
from marketing_agent.gateway import middleware, problems
from marketing_agent.gateway import service as gateway_service
from marketing_agent.gateway.api import router as auth_router
from marketing_agent.gateway.security import (
    ApiKeyCache,
    UserStateCache,
    parse_networks,
    resolve_principal,
)
from marketing_agent.gateway.throttle import open_login_throttle
from marketing_agent.orchestrator.api import privacy_router
from marketing_agent.orchestrator.api import router as orchestrator_router
from marketing_agent.runtime import Role, Runtime, open_runtime
from marketing_agent.safety import service as safety
from marketing_agent.safety.api import router as safety_router
from marketing_agent.telegram.api import router as telegram_router
from marketing_agent.telegram.service import TransportPool

log = get_logger(__name__)
# X-Forwarded-For is read by the app itself, and only from MA_TRUSTED_PROXIES; uvicorn's own
# proxy handling would believe it from any client connecting through 127.0.0.1.
UVICORN_OPTIONS: dict[str, Any] = {"proxy_headers": False, "server_header": False}
STATIC_DIR = Path(__file__).parent / "static"
ROUTERS = (
    auth_router,
    orchestrator_router,
    agent_router,
    telegram_router,
    safety_router,
    analytics_router,
    experiments_router,
    compliance_router,
    links_router,  # /r/<token>: tracked links, open by design
    privacy_router,
)


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    runtime: Runtime | None = None,
    transports: TransportPool | None = None,
) -> FastAPI:
    """Builds the app. Its lifespan builds the process's runtime (`app.state.runtime`): the
    `run` role when the settings ask for the worker or the scheduler, else `api`; pass
    `database` or `transports` to share them (tests, the demo's seeded simulator), or a whole
    `runtime` (tests), which its caller closes."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, json=settings.log_json)
        role: Role = "run" if settings.run_worker or settings.run_scheduler else "api"
        opened = runtime or open_runtime(
            settings, role=role, database=database, transports=transports
        )
        app.state.runtime = opened
        app.state.settings = settings
        app.state.database = opened.database
        app.state.jwt_secret = opened.secret_key
        app.state.secret_box = opened.secret_box
        app.state.resolve_principal = resolve_principal
        app.state.list_approvers = gateway_service.list_approvers  # four eyes' "admin alone"
        _install_access(app, settings)
        stop = asyncio.Event()
        tasks = opened.start_background(stop)
        log.info("app.started", database=opened.database.engine.dialect.name, background=len(tasks))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await app.state.login_throttle.close()
            if runtime is None:
                await opened.close()
            log.info("app.stopped")

    app = FastAPI(
        title="Marketing Intelligence Agent",
        version=__version__,
        lifespan=lifespan,
        description="Consent-first marketing campaigns on Telegram.",
        docs_url=None,  # served offline by gateway.docs
        redoc_url=None,
    )
    # No dependency overrides: the principal resolver and the cross-module hooks (webhook
    # updates, reference checks, campaign sources) are read from app.state by their getters.
    problems.install(app)
    middleware.install(
        app,
        api_rate_per_min=settings.api_rate_per_min,
        login_rate_per_min=settings.login_rate_per_min,
        max_body_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
    )
    for router in ROUTERS:
        app.include_router(router)
    _add_operational_routes(app)
    api_docs.install(app)
    _add_ui(app)
    return app


def _install_access(app: FastAPI, settings: Settings) -> None:
    """Puts the per-process access state on the app: cached user states and API keys, the
    login throttle (shared through Redis in scale mode) and the trusted proxies."""
    app.state.user_states = UserStateCache(settings.user_state_cache_s)
    app.state.api_keys = ApiKeyCache(settings.user_state_cache_s)
    app.state.trusted_proxies = parse_networks(settings.trusted_proxies)
    app.state.login_throttle = open_login_throttle(
        redis_url=settings.redis_url,
        prefix=settings.redis_prefix,
        window_s=settings.login_lockout_s,
        max_per_account=settings.login_max_failures_per_account,
        max_per_address=settings.login_max_failures_per_address,
    )


def _add_operational_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["operations"])
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the database answers."""
        try:
            async with request.app.state.database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not ready"; the reason is reported
            # The type only: this route is open, and a driver's message can name hosts and users.
            return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, 503)
        return JSONResponse({"status": "ready", "database": "ok"})

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        try:  # the senders' health, as the database has it now
            async with request.app.state.database.session() as session:
                await safety.export_sender_health(session=session)
        except Exception as exc:  # the process's own metrics still answer without the database
            log.warning("metrics.sender_health_unavailable", error=type(exc).__name__)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _add_ui(app: FastAPI) -> None:
    """Serves the built admin UI at `/`, with every non-API path falling back to index.html."""
    index = STATIC_DIR / "index.html"
    if (STATIC_DIR / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=STATIC_DIR / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def ui(path: str, request: Request) -> Response:
        if path.startswith(("api/", "docs", "openapi")):
            # A path the API serves with other methods is a 405 with Allow, else a 404.
            raise StarletteHTTPException(405 if problems.allowed_methods(request) else 404)
        candidate = (STATIC_DIR / path).resolve()
        if path and candidate.is_file() and STATIC_DIR.resolve() in candidate.parents:
            return FileResponse(candidate)
        if index.exists():
            return FileResponse(index)
        return JSONResponse({"detail": "The admin UI is not built; run `make ui`."}, 404)

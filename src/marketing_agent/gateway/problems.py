"""Every error as RFC 9457 problem+json, mapped once for the whole app.

An unexpected exception is answered with a plain 500 problem and logged by type, place and SQL
statement only: a driver's message carries the query's parameters (names, phone numbers)."""

from __future__ import annotations

import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketing_agent.core.auth import get_principal
from marketing_agent.core.errors import MarketingAgentError, ValidationFailed
from marketing_agent.core.logging import get_logger
from marketing_agent.core.openapi import PROBLEM_DESCRIPTIONS, Problem

log = get_logger(__name__)
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://marketing-agent.dev/problems/"
_PROBLEM_REF = "#/components/schemas/Problem"
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def problem(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    type_slug: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": TYPE_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
        **extra,
    }
    headers = dict(headers or {})
    if "retry_after_s" in extra:
        headers["Retry-After"] = str(extra["retry_after_s"])
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers or None)


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in errors
    ]


def describe_failure(exc: BaseException) -> dict[str, Any]:
    """Returns what a log may say about an unexpected exception: its type, the line it came
    from, and for a database error the SQL statement, the driver error's type and its SQLSTATE
    (e.g. 22001, a value too long for its column), never the message (which holds the bound
    parameters)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "marketing_agent" in f.filename] or frames
    where = f"{ours[-1].filename}:{ours[-1].lineno} in {ours[-1].name}" if ours else ""
    facts: dict[str, Any] = {"error": type(exc).__qualname__, "where": where}
    if isinstance(exc, StatementError):
        facts["statement"] = (exc.statement or "")[:500]
        facts["driver_error"] = type(exc.orig).__qualname__ if exc.orig is not None else None
        cause = getattr(exc.orig, "__cause__", None)  # the driver's own (asyncpg's) exception
        if cause is not None:
            facts["driver_cause"] = type(cause).__qualname__
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
        if sqlstate:
            facts["sqlstate"] = str(sqlstate)
    return facts


def _internal_error(request: Request) -> JSONResponse:
    return problem(
        request,
        status=500,
        title="Internal error",
        detail="Something went wrong on our side; the request id is in the logs.",
        type_slug="internal",
    )


class ServerErrorGuard:
    """Answers an exception no handler took with a 500 problem (nothing of the exception in the
    body) and keeps it from reaching the server, whose own log would print the message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # the last line of defence: every exception is answered
            request = Request(scope)
            log.error("request.failed", path=request.url.path, **describe_failure(exc))
            if not started:  # else the response is cut short: nothing more can be said
                await _internal_error(request)(scope, receive, send)


def install(app: FastAPI) -> None:
    """Maps every error to problem+json; call it before the other middleware is added, so the
    server-error guard sits innermost and the access log still sees the 500."""
    app.add_middleware(ServerErrorGuard)
    _document_problems(app)

    @app.exception_handler(ValidationFailed)
    async def validation_failed(request: Request, exc: ValidationFailed) -> JSONResponse:
        return problem(
            request,
            status=exc.status,
            title=exc.title,
            detail=exc.detail,
            type_slug=exc.type_slug,
            errors=_clean_errors(exc.errors),
        )

    @app.exception_handler(MarketingAgentError)
    async def domain_error(request: Request, exc: MarketingAgentError) -> JSONResponse:
        return problem(
            request,
            status=exc.status,
            title=exc.title,
            detail=exc.detail,
            type_slug=exc.type_slug,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_errors(exc.errors())
        return problem(
            request,
            status=422,
            title="Validation failed",
            detail=f"{len(errors)} invalid field(s)",
            type_slug="validation",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI could not decode the body: bad input like any other
            return problem(
                request,
                status=422,
                title="Validation failed",
                detail="The body could not be read as JSON",
                type_slug="validation",
                errors=[{"loc": ["body"], "msg": str(exc.detail), "type": "json_invalid"}],
            )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path has, not just its first route's
            headers["Allow"] = ", ".join(allowed_methods(request))
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        return problem(
            request,
            status=exc.status_code,
            title=str(exc.detail),
            detail=str(exc.detail),
            type_slug=slug,
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Reached only by an error raised outside the guard (in a middleware).
        log.error("request.failed", path=request.url.path, **describe_failure(exc))
        return _internal_error(request)


def _document_problems(app: FastAPI) -> None:
    """Makes the OpenAPI document state, per route, the problems it may answer, as
    application/problem+json: the routes are known only once every router is included, so
    this runs when the document is first asked for."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        statuses = {
            (route.path, method.lower()): _problem_statuses(route)
            for route in _walk(app.routes)
            for method in route.methods or ()
        }
        _add_problem_schema(schema.setdefault("components", {}).setdefault("schemas", {}))
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status in sorted(statuses.get((path, method), ())):
                    responses.setdefault(str(status), {"description": PROBLEM_DESCRIPTIONS[status]})
                for status, response in responses.items():
                    if status.startswith("4"):
                        response["content"] = {PROBLEM_JSON: {"schema": {"$ref": _PROBLEM_REF}}}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_problem_schema(components: dict[str, Any]) -> None:
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem_schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault("Problem", problem_schema)
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, not ours
        components.pop(unused, None)


def _problem_statuses(route: APIRoute) -> set[int]:
    if not route.path.startswith("/api/"):
        return set()
    statuses = {401, 422, 429}  # any credential can be wrong; any input; the rate limit
    if _needs_principal(route.dependant):
        statuses.add(403)
    if route.dependant.path_params:
        statuses.add(404)
    if (route.methods or set()) & _WRITES:
        statuses |= {404, 409, 413}
    return statuses


def _needs_principal(dependant: Any) -> bool:
    return any(dep.call is get_principal or _needs_principal(dep) for dep in dependant.dependencies)


def _walk(routes: Any) -> Any:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes)


def allowed_methods(request: Request) -> list[str]:
    """Returns the methods the API serves at the request's path (none: an unknown path)."""
    methods: set[str] = set()
    for route in _walk(request.app.routes):
        if route.include_in_schema and route.path_regex.match(request.url.path):
            methods |= route.methods or set()
    return sorted(methods)

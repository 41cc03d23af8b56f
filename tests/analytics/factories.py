"""Test data and a test app for the analytics and experiments modules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from marketing_agent.analytics.schemas import EventCreate, EventType
from marketing_agent.core.auth import Principal, Role, get_principal
from marketing_agent.core.db import Database
from marketing_agent.core.errors import MarketingAgentError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(
    type: EventType | str,
    *,
    contact_id: int | None,
    campaign_id: int = 1,
    variant_key: str | None = "A",
    minute: float = 0,
    **extra: Any,
) -> EventCreate:
    """An event of `campaign_id` at T0 + `minute` minutes."""
    return EventCreate(
        type=EventType(type),
        campaign_id=campaign_id,
        variant_key=variant_key,
        contact_id=contact_id,
        occurred_at=T0 + timedelta(minutes=minute),
        **extra,
    )


def journey(
    contact_id: int, types: list[str], *, campaign_id: int = 1, variant_key: str | None = "A"
) -> list[EventCreate]:
    """One contact's events in the given order, a minute apart."""
    return [
        event(t, contact_id=contact_id, campaign_id=campaign_id, variant_key=variant_key, minute=i)
        for i, t in enumerate(types)
    ]


def build_app(db: Database, *routers: APIRouter, role: Role) -> FastAPI:
    """The routers behind a caller of `role`, with errors as problem+json like the gateway."""
    app = FastAPI()
    app.state.database = db
    for router in routers:
        app.include_router(router)

    async def principal() -> Principal:
        return Principal(user_id=1, username="tester", role=role)

    async def problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MarketingAgentError)
        body = {"title": exc.title, "status": exc.status, "detail": exc.detail}
        return JSONResponse(body, status_code=exc.status, media_type="application/problem+json")

    app.dependency_overrides[get_principal] = principal
    app.add_exception_handler(MarketingAgentError, problem)
    return app


@asynccontextmanager
async def api_client(
    db: Database, *routers: APIRouter, role: Role = Role.VIEWER
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(db, *routers, role=role))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client

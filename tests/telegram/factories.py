"""Test data for the telegram module, and an HTTP client for a module's routes."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from marketing_agent.core.auth import Principal, Role, get_principal
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.db import Database
from marketing_agent.core.errors import MarketingAgentError
from marketing_agent.telegram.schemas import SenderCreate
from marketing_agent.telegram.transport import ChatKind, OutgoingMessage
from tests.factories import runtime_of

_names = itertools.count(1)


def sender_in(**overrides: Any) -> SenderCreate:
    """Returns a valid simulator bot, with any field overridden."""
    fields: dict[str, Any] = {
        "name": f"Test bot {next(_names)}",
        "kind": "bot",
        "transport": "simulator",
        "profile": "bot",
    }
    fields.update(overrides)
    return SenderCreate(**fields)


def message(
    chat_id: int,
    text: str = "Spring sale: 20% off this week.",
    *,
    chat_kind: ChatKind = "private",
    variant: str | None = None,
    random_id: int | None = None,
) -> OutgoingMessage:
    """Returns a message to `chat_id`, tagged with `variant` when given."""
    tags = {"campaign_id": "1", "variant_key": variant} if variant else {}
    return OutgoingMessage(
        chat_id=chat_id, text=text, chat_kind=chat_kind, random_id=random_id, tags=tags
    )


def api_client(
    db: Database, router: APIRouter, *, role: Role = Role.ADMIN, secret_box: SecretBox | None = None
) -> httpx.AsyncClient:
    """Returns an HTTP client for an app serving `router` on `db`, as a caller with `role`.

    Errors map to their status the way the gateway maps them, so routes are tested for real.
    """
    app = FastAPI()
    app.include_router(router)
    app.state.database = db
    app.state.secret_box = secret_box or SecretBox("test-secret-key")
    app.state.runtime = runtime_of(db)  # the process's transports and limits

    async def as_role() -> Principal:
        return Principal(user_id=1, username=f"test-{role}", role=role)

    async def problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MarketingAgentError)
        return JSONResponse({"title": exc.title, "detail": exc.detail}, status_code=exc.status)

    app.dependency_overrides[get_principal] = as_role
    app.add_exception_handler(MarketingAgentError, problem)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")

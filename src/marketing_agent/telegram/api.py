"""HTTP API of the telegram module: the senders campaigns go out from, and their profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.deps import DbSession
from marketing_agent.core.errors import Unavailable
from marketing_agent.telegram import service
from marketing_agent.telegram.schemas import SenderCreate, SenderProfileRead, SenderRead

router = APIRouter(prefix="/api/v1/telegram", tags=["telegram"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]
CanManage = Annotated[Principal, Depends(authorize(Permission.SENDERS_MANAGE))]


def get_secret_box(request: Request) -> SecretBox:
    """Returns the app's SecretBox, which encrypts tokens and session strings at rest."""
    box: SecretBox | None = getattr(request.app.state, "secret_box", None)
    if box is None:
        raise Unavailable("No encryption key is configured for storing secrets")
    return box


AppSecretBox = Annotated[SecretBox, Depends(get_secret_box)]


@router.get("/senders")
async def list_senders(session: DbSession, principal: CanRead) -> list[SenderRead]:
    senders = await service.list_senders(session=session)
    return [SenderRead.model_validate(s) for s in senders]


@router.post("/senders", status_code=201)
async def create_sender(
    sender_in: SenderCreate, session: DbSession, principal: CanManage, secret_box: AppSecretBox
) -> SenderRead:
    sender = await service.create_sender(
        session=session, sender_in=sender_in, secret_box=secret_box, actor=principal.actor
    )
    return SenderRead.model_validate(sender)


@router.get("/senders/{sender_id}")
async def get_sender(sender_id: int, session: DbSession, principal: CanRead) -> SenderRead:
    sender = await service.get_sender_or_raise(session=session, sender_id=sender_id)
    return SenderRead.model_validate(sender)


@router.get("/profiles")
async def list_profiles(principal: CanRead) -> list[SenderProfileRead]:
    return [SenderProfileRead.model_validate(p) for p in service.list_profiles()]

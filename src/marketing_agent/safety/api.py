"""HTTP API of the safety module: check a text, and manage the user's blacklist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.deps import DbSession
from marketing_agent.core.validation import DbId
from marketing_agent.safety import service
from marketing_agent.safety.schemas import (
    BlacklistTermCreate,
    BlacklistTermRead,
    ContentCheckRequest,
    ContentVerdict,
)

router = APIRouter(prefix="/api/v1/safety", tags=["safety"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]
CanWrite = Annotated[Principal, Depends(authorize(Permission.CAMPAIGNS_WRITE))]


@router.post("/check")
async def check_content(
    check_in: ContentCheckRequest, session: DbSession, principal: CanRead
) -> ContentVerdict:
    return await service.check_content(session=session, text=check_in.text)


@router.get("/blacklist")
async def list_blacklist(session: DbSession, principal: CanRead) -> list[BlacklistTermRead]:
    rows = await service.list_blacklist(session=session)
    return [BlacklistTermRead.model_validate(r) for r in rows]


@router.post("/blacklist", status_code=201)
async def add_blacklist_term(
    term_in: BlacklistTermCreate, session: DbSession, principal: CanWrite
) -> BlacklistTermRead:
    row = await service.add_blacklist_term(session=session, term_in=term_in, actor=principal.actor)
    return BlacklistTermRead.model_validate(row)


@router.delete("/blacklist/{term_id}", status_code=204)
async def remove_blacklist_term(
    term_id: Annotated[DbId, Path(description="The term's id")],
    session: DbSession,
    principal: CanWrite,
) -> Response:
    await service.remove_blacklist_term(session=session, term_id=term_id, actor=principal.actor)
    return Response(status_code=204)

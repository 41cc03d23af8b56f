"""HTTP API of the safety module: check a text, redact it, manage the blacklist and the phrase
lists, the senders' health and the workspace's safety settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from marketing_agent.core.auth import Permission, Principal, Role, authorize, list_approvers
from marketing_agent.core.deps import DbSession
from marketing_agent.core.validation import DbId
from marketing_agent.safety import service
from marketing_agent.safety.content import built_in_phrase_lists
from marketing_agent.safety.schemas import (
    BlacklistTermCreate,
    BlacklistTermRead,
    BuiltInPhraseList,
    ContentCheckRequest,
    ContentVerdict,
    PhraseCreate,
    PhraseListCreate,
    PhraseListRead,
    PhraseListUpdate,
    PhraseRead,
    RedactRequest,
    RedactResponse,
    SafetySettingsRead,
    SafetySettingsUpdate,
    SenderHealthRead,
)
from marketing_agent.safety.telegram_rules import CAPTION_MAX, TEXT_MAX

router = APIRouter(prefix="/api/v1/safety", tags=["safety"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]
CanManage = Annotated[Principal, Depends(authorize(Permission.SAFETY_MANAGE))]


def _deployment_rules(request: Request) -> service.ContentRules:
    """The process's content rules (Runtime.policies, from its settings): what applies where
    the admin set none."""
    policies = getattr(getattr(request.app.state, "runtime", None), "policies", None)
    rules = getattr(policies, "content_rules", None)
    return rules if isinstance(rules, service.ContentRules) else service.ContentRules()


DeploymentRules = Annotated[service.ContentRules, Depends(_deployment_rules)]


@router.post("/check")
async def check_content(
    check_in: ContentCheckRequest, session: DbSession, principal: CanRead, defaults: DeploymentRules
) -> ContentVerdict:
    return await service.check_content(
        session=session,
        text=check_in.text,
        parse_mode=check_in.parse_mode,
        max_len=CAPTION_MAX if check_in.caption else TEXT_MAX,
        rules=defaults,
    )


@router.get("/blacklist")
async def list_blacklist(session: DbSession, principal: CanRead) -> list[BlacklistTermRead]:
    rows = await service.list_blacklist(session=session)
    return [BlacklistTermRead.model_validate(r) for r in rows]


@router.post("/blacklist", status_code=201)
async def add_blacklist_term(
    term_in: BlacklistTermCreate, session: DbSession, principal: CanManage
) -> BlacklistTermRead:
    row = await service.add_blacklist_term(session=session, term_in=term_in, actor=principal.actor)
    return BlacklistTermRead.model_validate(row)


@router.delete("/blacklist/{term_id}", status_code=204)
async def remove_blacklist_term(
    term_id: Annotated[DbId, Path(description="The term's id")],
    session: DbSession,
    principal: CanManage,
) -> Response:
    await service.remove_blacklist_term(session=session, term_id=term_id, actor=principal.actor)
    return Response(status_code=204)


ListID = Annotated[DbId, Path(description="The phrase list's id.")]
PhraseID = Annotated[DbId, Path(description="The phrase's id.")]


@router.post("/redact")
async def redact_text(redact_in: RedactRequest, principal: CanRead) -> RedactResponse:
    return RedactResponse(text=service.redact(redact_in.text))


@router.get("/phrase-lists")
async def list_phrase_lists(session: DbSession, principal: CanRead) -> list[PhraseListRead]:
    return await service.list_phrase_lists(session=session)


@router.get("/built-in-phrases")
async def list_built_in_phrases(principal: CanRead) -> list[BuiltInPhraseList]:
    """The phrases every check looks for besides the workspace's lists (read-only)."""
    return built_in_phrase_lists()


@router.post("/phrase-lists", status_code=201)
async def create_phrase_list(
    list_in: PhraseListCreate, session: DbSession, principal: CanManage
) -> PhraseListRead:
    return await service.create_phrase_list(session=session, list_in=list_in, actor=principal.actor)


@router.get("/phrase-lists/{list_id}")
async def get_phrase_list(
    list_id: ListID, session: DbSession, principal: CanRead
) -> PhraseListRead:
    return await service.get_phrase_list(session=session, list_id=list_id)


@router.patch("/phrase-lists/{list_id}")
async def update_phrase_list(
    list_id: ListID, list_in: PhraseListUpdate, session: DbSession, principal: CanManage
) -> PhraseListRead:
    return await service.update_phrase_list(
        session=session, list_id=list_id, list_in=list_in, actor=principal.actor
    )


@router.delete("/phrase-lists/{list_id}", status_code=204)
async def delete_phrase_list(list_id: ListID, session: DbSession, principal: CanManage) -> Response:
    await service.delete_phrase_list(session=session, list_id=list_id, actor=principal.actor)
    return Response(status_code=204)


@router.get("/phrase-lists/{list_id}/phrases")
async def list_phrases(list_id: ListID, session: DbSession, principal: CanRead) -> list[PhraseRead]:
    rows = await service.list_phrases(session=session, list_id=list_id)
    return [PhraseRead.model_validate(r) for r in rows]


@router.post("/phrase-lists/{list_id}/phrases", status_code=201)
async def add_phrase(
    list_id: ListID, phrase_in: PhraseCreate, session: DbSession, principal: CanManage
) -> PhraseRead:
    row = await service.add_phrase(
        session=session, list_id=list_id, phrase_in=phrase_in, actor=principal.actor
    )
    return PhraseRead.model_validate(row)


@router.delete("/phrase-lists/{list_id}/phrases/{phrase_id}", status_code=204)
async def remove_phrase(
    list_id: ListID, phrase_id: PhraseID, session: DbSession, principal: CanManage
) -> Response:
    await service.remove_phrase(
        session=session, list_id=list_id, phrase_id=phrase_id, actor=principal.actor
    )
    return Response(status_code=204)


SenderID = Annotated[DbId, Path(description="The sender's id.")]


@router.get("/sender-health")
async def list_sender_health(session: DbSession, principal: CanRead) -> list[SenderHealthRead]:
    return await service.list_sender_health(session=session)


@router.get("/sender-health/{sender_id}")
async def get_sender_health(
    sender_id: SenderID, session: DbSession, principal: CanRead
) -> SenderHealthRead:
    return await service.get_sender_health(session=session, sender_id=sender_id)


@router.post("/sender-health/{sender_id}/resume")
async def resume_sender(
    sender_id: SenderID, session: DbSession, principal: CanManage
) -> SenderHealthRead:
    """Ends a sender's cool-down now; audited."""
    await service.get_sender_health(session=session, sender_id=sender_id)  # 404 first
    await service.resume_sender(session=session, sender_id=sender_id, actor=principal.actor)
    return await service.get_sender_health(session=session, sender_id=sender_id)


@router.get("/settings")
async def get_safety_settings(
    session: DbSession, principal: CanRead, defaults: DeploymentRules
) -> SafetySettingsRead:
    return await service.get_safety_settings(session=session, defaults=defaults)


@router.patch("/settings")
async def update_safety_settings(
    settings_in: SafetySettingsUpdate,
    session: DbSession,
    principal: CanManage,
    defaults: DeploymentRules,
    approvers: Annotated[list[str], Depends(list_approvers)],
) -> SafetySettingsRead:
    """Changes the settings; four eyes goes off only for an admin who is the only approver."""
    alone = principal.role == Role.ADMIN and not set(approvers) - {principal.username}
    return await service.update_safety_settings(
        session=session,
        settings_in=settings_in,
        actor=principal.actor,
        defaults=defaults,
        alone=alone,
    )

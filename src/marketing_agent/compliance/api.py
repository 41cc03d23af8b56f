"""HTTP API of the compliance module: consent decisions and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from marketing_agent.compliance import service
from marketing_agent.compliance.schemas import (
    AuditEntryRead,
    AuditVerification,
    ConsentCreate,
    ConsentRead,
)
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.deps import DbSession
from marketing_agent.core.pagination import Limit, Offset, Page
from marketing_agent.core.references import References, ensure_references
from marketing_agent.core.validation import DbId

router = APIRouter(prefix="/api/v1/compliance", tags=["compliance"])

CanWrite = Annotated[Principal, Depends(authorize(Permission.COMPLIANCE_WRITE))]
CanRead = Annotated[Principal, Depends(authorize(Permission.COMPLIANCE_READ))]


@router.post("/consents", status_code=201)
async def record_consent(
    consent_in: ConsentCreate, session: DbSession, principal: CanWrite, references: References
) -> ConsentRead:
    await ensure_references(
        references,
        session=session,
        contact_id=consent_in.contact_id,
        sender_id=consent_in.sender_id,
    )
    record = await service.record_consent(
        session=session, consent_in=consent_in, actor=principal.actor
    )
    return ConsentRead.model_validate(record)


@router.get("/contacts/{contact_id}/consents")
async def consent_history(
    contact_id: Annotated[DbId, Path(description="The contact's id")],
    session: DbSession,
    principal: CanRead,
) -> list[ConsentRead]:
    records = await service.consent_history(session=session, contact_id=contact_id)
    return [ConsentRead.model_validate(r) for r in records]


@router.get("/audit")
async def list_audit(
    session: DbSession,
    principal: CanRead,
    limit: Limit = 100,
    offset: Offset = 0,
    entity_type: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[AuditEntryRead]:
    rows, total = await service.list_audit(
        session=session, entity_type=entity_type, entity_id=entity_id, limit=limit, offset=offset
    )
    items = [AuditEntryRead.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/audit/verify")
async def verify_audit(session: DbSession, principal: CanRead) -> AuditVerification:
    return await service.verify_audit_chain(session=session)

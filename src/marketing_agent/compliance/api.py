"""HTTP API of the compliance module: consent decisions and the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, UploadFile
from fastapi.responses import StreamingResponse

from marketing_agent.compliance import service
from marketing_agent.compliance.processing import ProcessingRecords
from marketing_agent.compliance.processing import processing_records as build_processing_records
from marketing_agent.compliance.schemas import (
    AuditEntryRead,
    AuditVerification,
    ConsentCreate,
    ConsentRead,
    ConsentReceipt,
    IdentityVerification,
    ImportBatchCheck,
    ImportBatchRead,
    PrivacyRequestCreate,
    PrivacyRequestRead,
    RequestExtension,
    RequestRejection,
    SuppressionCheck,
    SuppressionCheckResult,
    SuppressionSummary,
)
from marketing_agent.compliance.suppression import SuppressionKey
from marketing_agent.core import clock
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.db import Database
from marketing_agent.core.deps import CurrentSettings, DbSession, get_database
from marketing_agent.core.errors import NotFound, ValidationFailed, field_error
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
    """A contact's consent decisions, oldest first; the proofs' Telegram ids and names masked
    for roles without personal_data:read."""
    records = await service.consent_history(session=session, contact_id=contact_id)
    reads = await service.consent_reads(session=session, records=records)
    return [service.consent_for_role(r, principal) for r in reads]


@router.get("/contacts/{contact_id}/consent-receipts")
async def consent_receipts(
    contact_id: Annotated[DbId, Path(description="The contact's id")],
    session: DbSession,
    principal: CanRead,
    sender_id: Annotated[DbId | None, Query(description="Only this sender's")] = None,
) -> list[ConsentReceipt]:
    """The consent receipts of a contact: per sender and purpose, the decision in force, what
    was agreed to, when, on which basis and how to withdraw (what the bot's /myconsent sends)."""
    return await service.consent_receipts(
        session=session, contact_id=contact_id, sender_id=sender_id
    )


BatchID = Annotated[DbId, Path(description="The import batch's id")]


@router.get("/import-batches/{batch_id}")
async def import_batch(
    batch_id: BatchID, session: DbSession, principal: CanRead
) -> ImportBatchRead:
    """The evidence of one contacts import: the file's SHA-256, uploader, time, declared basis."""
    batch = await service.get_import_batch_or_raise(session=session, batch_id=batch_id)
    return ImportBatchRead.model_validate(batch)


@router.post("/import-batches/{batch_id}/check")
async def check_import_file(
    batch_id: BatchID, file: UploadFile, session: DbSession, principal: CanRead
) -> ImportBatchCheck:
    """Proves a kept file is the one imported as this batch (its SHA-256 matches)."""
    return await service.check_import_file(
        session=session, batch_id=batch_id, data=await file.read()
    )


@router.get("/audit")
async def list_audit(
    session: DbSession,
    principal: CanRead,
    limit: Limit = 100,
    offset: Offset = 0,
    entity_type: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[
        str | None, Query(max_length=128, description="Who acted, exactly (user:alice, agent).")
    ] = None,
    action: Annotated[str | None, Query(max_length=64, description="e.g. campaign.updated")] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text anywhere in an entry, its data too; any case."),
    ] = None,
) -> Page[AuditEntryRead]:
    rows, total = await service.list_audit(
        session=session,
        entity_type=entity_type,
        entity_id=entity_id,
        actor=actor,
        action=action,
        q=q,
        limit=limit,
        offset=offset,
    )
    items = [AuditEntryRead.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/audit/verify")
async def verify_audit(
    session: DbSession, settings: CurrentSettings, principal: CanRead
) -> AuditVerification:
    """Recomputes the whole chain, checking it against the head hashes exported to the
    MA_AUDIT_HEAD_EXPORT file, if any."""
    anchors = service.load_head_anchors(settings.audit_head_export)
    return await service.verify_audit_chain(session=session, anchors=anchors)


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def export_audit(
    db: Annotated[Database, Depends(get_database)], principal: CanRead
) -> StreamingResponse:
    """Returns the audit log as JSON lines, oldest first, the chain's head last (for a SIEM;
    `POST /audit/verify-export` or `marketing-agent audit verify-export` checks it)."""

    async def lines() -> AsyncIterator[str]:
        async with db.session() as session:
            async for line in service.export_audit_lines(session=session):
                yield line + "\n"

    filename = f"audit-log-{clock.now():%Y%m%d-%H%M%S}.jsonl"
    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/audit/verify-export")
async def verify_audit_export(
    file: UploadFile, settings: CurrentSettings, principal: CanRead
) -> AuditVerification:
    """Verifies an audit export (a file of `GET /audit/export`) offline: every hash and link,
    its head line and the head hashes exported to the MA_AUDIT_HEAD_EXPORT file."""
    try:
        lines = (await file.read()).decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ValidationFailed([field_error(("body", "file"), "not a UTF-8 text file")]) from exc
    anchors = service.load_head_anchors(settings.audit_head_export)
    return service.verify_audit_export(lines, anchors)


RequestID = Annotated[DbId, Path(description="The data-subject request's id")]


@router.post("/requests", status_code=201)
async def create_request(
    request_in: PrivacyRequestCreate, session: DbSession, principal: CanWrite
) -> PrivacyRequestRead:
    """Records a data-subject request and starts its legal deadline."""
    request = await service.create_request(
        session=session, request_in=request_in, actor=principal.actor
    )
    return service.request_read(request)


@router.get("/requests")
async def list_requests(
    session: DbSession, principal: CanRead, open_only: bool = False
) -> list[PrivacyRequestRead]:
    """Lists requests, the soonest deadline first, each with whether it is overdue."""
    rows = await service.list_requests(session=session, open_only=open_only)
    return [service.request_read(r) for r in rows]


@router.post("/requests/{request_id}/verify")
async def verify_request(
    request_id: RequestID, body: IdentityVerification, session: DbSession, principal: CanWrite
) -> PrivacyRequestRead:
    """Records the identity check; a request is acted on only after it."""
    request = await service.verify_request_identity(
        session=session, request_id=request_id, method=body.method, actor=principal.actor
    )
    return service.request_read(request)


@router.post("/requests/{request_id}/extend")
async def extend_request(
    request_id: RequestID, body: RequestExtension, session: DbSession, principal: CanWrite
) -> PrivacyRequestRead:
    """Extends an open request's deadline once (GDPR: by two months, CCPA: by 45 days), for a
    reason told to the requester, while the first deadline still runs."""
    request = await service.extend_request(
        session=session, request_id=request_id, reason=body.reason, actor=principal.actor
    )
    return service.request_read(request)


@router.post("/requests/{request_id}/reject")
async def reject_request(
    request_id: RequestID, body: RequestRejection, session: DbSession, principal: CanWrite
) -> PrivacyRequestRead:
    """Closes an open request without acting on it, with the reason told to the requester."""
    request = await service.reject_request(
        session=session, request_id=request_id, reason=body.reason, actor=principal.actor
    )
    return service.request_read(request)


@router.get("/requests/{request_id}/export")
async def request_export(
    request_id: RequestID, session: DbSession, principal: CanWrite
) -> dict[str, Any]:
    """Returns the machine-readable export of a completed access request."""
    request = await service.get_request_or_raise(session=session, request_id=request_id)
    if request.export is None:
        raise NotFound(f"Request {request_id} has no export (not an access request, or purged).")
    return request.export


@router.get("/processing-records")
async def processing_records(settings: CurrentSettings, principal: CanRead) -> ProcessingRecords:
    """Returns the records of processing (GDPR art. 30) of this deployment's configuration."""
    return build_processing_records(settings)


@router.get("/suppressions")
async def suppression_summary(session: DbSession, principal: CanRead) -> SuppressionSummary:
    """Returns how many erased people are on the suppression list (it holds keyed hashes only,
    so there is nothing else to list)."""
    return SuppressionSummary(count=await service.count_suppressed(session=session))


@router.post("/suppressions/check")
async def check_suppression(
    check_in: SuppressionCheck, session: DbSession, settings: CurrentSettings, principal: CanRead
) -> SuppressionCheckResult:
    """Says whether a Telegram id belongs to an erased person (whom no import may re-add)."""
    found = await service.suppressed_among(
        session=session,
        key=SuppressionKey.from_settings(settings),
        telegram_ids=[check_in.telegram_id],
    )
    return SuppressionCheckResult(suppressed=bool(found))

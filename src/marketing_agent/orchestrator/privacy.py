"""The right to erasure across modules: the orchestrator owns contacts, so the flow that erases
a person lives here and asks each module to erase what it holds (compliance cannot import the
orchestrator). Its HTTP routes sit under /api/v1/compliance, where a privacy officer looks.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent import service as agent
from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.db import IN_LIST_CHUNK, Database
from marketing_agent.core.deps import CurrentSettings, DbSession, get_database
from marketing_agent.core.errors import Conflict, NotFound, ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.core.validation import DbId
from marketing_agent.orchestrator import privacy_scan, queue
from marketing_agent.orchestrator.models import Contact, Delivery
from marketing_agent.orchestrator.privacy_scan import PrivacyScan, RedactionCreate, RedactionResult
from marketing_agent.safety import service as safety
from marketing_agent.telegram import service as telegram

log = get_logger(__name__)

# Stand-ins for an erased contact's deliveries lie far below any real id (SQLite reuses the
# highest id after a delete, so the old id itself must not stay behind).
_STAND_IN_BASE = 2**40


class ErasureCreate(BaseModel):
    contact_id: DbId
    request_id: DbId | None = Field(None, description="The data-subject request, if any.")


class ErasureResult(BaseModel):
    """What was erased: counts only, never the person's data."""

    contact_id: int
    deliveries_anonymised: int
    deliveries_stopped: int
    events_anonymised: int
    consent_records_anonymised: int
    requests_cleared: int
    suppressed: bool = True


async def erase_contact(
    *,
    session: AsyncSession,
    key: compliance.SuppressionKey,
    contact_id: int,
    actor: str,
    request_id: int | None = None,
) -> ErasureResult:
    """Erases a person everywhere, in one transaction: each module anonymises its own rows
    (aggregates survive), the contact row goes, a suppression entry keeps an import from
    re-adding them, and the audit log records the fact without the data."""
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"Contact {contact_id} does not exist.")
    await compliance.suppress(session=session, key=key, telegram_id=contact.telegram_id)
    anonymised, stopped = await _erase_deliveries(session, contact_id)
    events = await analytics.erase_contact(session=session, contact_id=contact_id)
    held = await compliance.erase_contact(session=session, contact_id=contact_id)
    await telegram.erase_chat(session=session, chat_id=contact.telegram_id)
    await agent.erase_contact(session=session, contact_id=contact_id)  # the reply inbox
    # The agent's usage rows name campaigns, never people; review items are about campaigns.
    await session.delete(contact)
    await session.flush()
    result = ErasureResult(
        contact_id=contact_id,
        deliveries_anonymised=anonymised,
        deliveries_stopped=stopped,
        events_anonymised=events,
        consent_records_anonymised=held["consent_records"],
        requests_cleared=held["requests"],
    )
    data = result.model_dump(exclude={"contact_id"})
    if request_id is not None:
        data["request_id"] = request_id
    await compliance.audit(
        session=session,
        actor=actor,
        action="contact.erased",
        entity_type="contact",
        entity_id=contact_id,
        data=data,
    )
    log.info("contact.erased", contact_id=contact_id, events=events, deliveries=anonymised)
    return result


async def _erase_deliveries(session: AsyncSession, contact_id: int) -> tuple[int, int]:
    """Gives each delivery a random stand-in for the contact and drops the message ids; the
    ones not sent yet are skipped (the worker skips a contact it cannot find, too)."""
    rows = (await session.scalars(select(Delivery).where(Delivery.contact_id == contact_id))).all()
    stopped = 0
    now = clock.now()
    for delivery in rows:
        delivery.contact_id = -(_STAND_IN_BASE + secrets.randbelow(2**62))
        delivery.message_id = None
        if delivery.status == queue.QUEUED:
            delivery.status, delivery.reason, delivery.updated_at = (
                queue.SKIPPED,
                "contact_erased",
                now,
            )
            stopped += 1
    await session.flush()
    return len(rows), stopped


async def refuse_suppressed(
    *, session: AsyncSession, key: compliance.SuppressionKey, telegram_id: int
) -> None:
    """Raises Conflict when an operator adds by hand a person who was erased and has not come
    back on their own."""
    if await compliance.suppressed_among(session=session, key=key, telegram_ids=[telegram_id]):
        raise Conflict(
            "This person was erased at their request and is on the suppression list; they can "
            "only come back by subscribing through a bot themselves."
        )


# Data-subject requests ---------------------------------------------------------------------------

RECTIFIABLE = frozenset({"username", "first_name", "language", "timezone"})
_STOPS_MARKETING = {
    "restriction": "processing restricted: every consent withdrawn, nothing more is sent",
    "objection": "objection to marketing honoured: every consent withdrawn",
    "ccpa_opt_out": "opted out of sale and sharing: we sell and share nothing; every consent "
    "withdrawn",
}


async def complete_request(
    *, session: AsyncSession, key: compliance.SuppressionKey, request_id: int, actor: str
) -> compliance.PrivacyRequestRead:
    """Carries out a verified data-subject request and closes it: an access request produces
    the export, an erasure erases, a rectification corrects, restriction, objection and the
    CCPA opt-out withdraw every consent."""
    request = await compliance.get_request_or_raise(session=session, request_id=request_id)
    compliance.check_request_completable(request)
    contact_id = request.contact_id
    contact = await session.get(Contact, contact_id) if contact_id else None
    if contact is None or contact_id is None:
        raise Conflict(f"The contact of request {request_id} no longer exists.")
    export: dict[str, Any] | None = None
    if request.kind == "erasure":
        erased = await erase_contact(
            session=session, key=key, contact_id=contact_id, actor=actor, request_id=request_id
        )
        result: dict[str, Any] = erased.model_dump(exclude={"contact_id"})
        outcome = "erased everywhere; aggregates kept anonymised; suppressed from imports"
    elif request.kind == "access":
        export = await export_contact(session=session, contact=contact)
        result = {key_: len(v) for key_, v in export.items() if isinstance(v, list)}
        outcome = export["summary"]
    elif request.kind == "rectification":
        result = {"fields": _rectify(contact, request.details)}
        request.details = {}  # the corrected values now live on the contact only
        outcome = f"corrected: {', '.join(result['fields'])}"
    else:
        result = {"withdrawn": await _withdraw_everything(session, contact_id, actor)}
        outcome = _STOPS_MARKETING[request.kind]
    done = await compliance.complete_request(
        session=session, request=request, actor=actor, outcome=outcome, result=result, export=export
    )
    return compliance.request_read(done)


async def export_contact(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    """Returns everything held about a person as JSON, with a summary a person can read."""
    consents = await compliance.consent_history(session=session, contact_id=contact.id)
    deliveries = (
        await session.scalars(
            select(Delivery).where(Delivery.contact_id == contact.id).order_by(Delivery.id)
        )
    ).all()
    events = await analytics.contact_events(session=session, contact_id=contact.id)
    profile = {
        "telegram_id": contact.telegram_id,
        "username": contact.username,
        "first_name": contact.first_name,
        "language": contact.language,
        "timezone": contact.timezone,
        "tags": contact.tags,
        "attributes": contact.attributes,
        "created_at": contact.created_at.isoformat(),
    }
    granted = sorted({(c.sender_id, c.purpose) for c in consents if c.status == "granted"})
    sent = [d for d in deliveries if d.status == queue.SENT]
    return {
        "format": "marketing-agent.subject-export/1",
        "exported_at": clock.now().isoformat(),
        "profile": profile,
        "consents": [
            compliance.ConsentRead.model_validate(c).model_dump(mode="json") for c in consents
        ],
        "deliveries": [
            {
                "campaign_id": d.campaign_id,
                "variant_key": d.variant_key,
                "status": d.status,
                "reason": d.reason,
                "sent_at": d.sent_at.isoformat() if d.sent_at else None,
            }
            for d in deliveries
        ],
        "events": events,
        "summary": (
            f"We hold your Telegram profile (id, username, first name, language), "
            f"{len(consents)} consent decision(s) ({len(granted)} sender/purpose consent(s) "
            f"given), {len(sent)} message(s) sent to you in {len(deliveries)} campaign(s), and "
            f"{len(events)} record(s) of what happened to them (delivered, read, clicks, "
            "replies). We use them to send the marketing messages you agreed to and to measure "
            "which message works best."
        ),
    }


def _rectify(contact: Contact, details: dict[str, Any]) -> list[str]:
    changes = details.get("changes") or {}
    wrong = sorted(set(changes) - RECTIFIABLE) if isinstance(changes, dict) else ["changes"]
    if wrong or not changes:
        raise ValidationFailed(
            [
                field_error(
                    ("body", "details", "changes"),
                    f"give the fields to correct among {sorted(RECTIFIABLE)}; not {wrong}",
                )
            ]
        )
    for field, value in changes.items():
        setattr(contact, field, value)
    return sorted(changes)


async def _withdraw_everything(session: AsyncSession, contact_id: int, actor: str) -> int:
    history = await compliance.consent_history(session=session, contact_id=contact_id)
    withdrawn = 0
    for sender_id in sorted({c.sender_id for c in history}):
        withdrawn += await compliance.withdraw_consent(
            session=session,
            contact_id=contact_id,
            sender_id=sender_id,
            purposes=None,
            source="privacy_request",
            actor=actor,
        )
    return withdrawn


# Retention -------------------------------------------------------------------------------------

RETENTION_ACTOR = "system:retention"
RETENTION_ACTION = "retention.purged"


class RetentionReport(BaseModel):
    """What a purge removed, by category (counts only)."""

    contacts_erased: int = 0
    exports_deleted: int = 0
    events_anonymised: int = 0
    replies_deleted: int = 0
    inbound_updates_deleted: int = 0


async def purge_expired(
    *,
    session: AsyncSession,
    settings: Settings,
    key: compliance.SuppressionKey | None = None,
    actor: str = RETENTION_ACTOR,
    always_audit: bool = False,
    reason: str | None = None,
) -> RetentionReport:
    """Applies the retention rules of the settings (0 days = keep): erases contacts inactive
    for MA_RETENTION_INACTIVE_CONTACTS_DAYS, deletes access exports older than
    MA_RETENTION_DSR_EXPORTS_DAYS, unlinks events older than MA_RETENTION_EVENTS_DAYS from their
    contacts (anonymised; the figures stay), deletes replies older than
    MA_RETENTION_REPLIES_DAYS and the stored Telegram updates applied more than
    MA_RETENTION_INBOUND_LOG_DAYS ago; audited when it removed something, or always (a scheduled or
    requested run: the log then shows that retention ran)."""
    report = RetentionReport()
    now = clock.now()
    if settings.retention_events_days:
        cutoff = now - timedelta(days=settings.retention_events_days)
        report.events_anonymised = await analytics.anonymise_events_before(
            session=session, cutoff=cutoff
        )
    if settings.retention_replies_days:
        cutoff = now - timedelta(days=settings.retention_replies_days)
        report.replies_deleted = await agent.delete_replies_before(session=session, cutoff=cutoff)
    if settings.retention_inbound_log_days:
        cutoff = now - timedelta(days=settings.retention_inbound_log_days)
        report.inbound_updates_deleted = await telegram.delete_inbound_before(
            session=session, cutoff=cutoff
        )
    if settings.retention_dsr_exports_days:
        cutoff = now - timedelta(days=settings.retention_dsr_exports_days)
        report.exports_deleted = await compliance.purge_request_exports(
            session=session, completed_before=cutoff
        )
    if settings.retention_inactive_contacts_days:
        key = key or compliance.SuppressionKey.from_settings(settings)
        cutoff = now - timedelta(days=settings.retention_inactive_contacts_days)
        for contact_id in await _inactive_contacts(session, cutoff):
            await erase_contact(session=session, key=key, contact_id=contact_id, actor=actor)
            report.contacts_erased += 1
    if always_audit or any(report.model_dump().values()):
        await compliance.audit(
            session=session,
            actor=actor,
            action=RETENTION_ACTION,
            entity_type="retention",
            entity_id="-",
            data={
                **report.model_dump(),
                "inactive_contacts_days": settings.retention_inactive_contacts_days,
                "dsr_exports_days": settings.retention_dsr_exports_days,
                "events_days": settings.retention_events_days,
                "replies_days": settings.retention_replies_days,
                "inbound_log_days": settings.retention_inbound_log_days,
                **({"reason": reason} if reason else {}),
            },
        )
    log.info("retention.purged", **report.model_dump())
    return report


async def _inactive_contacts(session: AsyncSession, cutoff: datetime) -> list[int]:
    """Returns contacts created before the cutoff with no message, event or consent decision
    since."""
    old = list(await session.scalars(select(Contact.id).where(Contact.created_at < cutoff)))
    if not old:
        return []
    messaged = set(
        await session.scalars(
            select(Delivery.contact_id)
            .where(Delivery.contact_id.in_(old) if len(old) <= IN_LIST_CHUNK else Delivery.id > 0)
            .where(Delivery.sent_at >= cutoff)
        )
    )
    active = await analytics.contacts_active_since(session=session, contact_ids=old, since=cutoff)
    decided = await compliance.contacts_with_decisions_since(
        session=session, contact_ids=old, since=cutoff
    )
    return [c for c in old if c not in messaged | active | decided]


# HTTP ------------------------------------------------------------------------------------------

router = APIRouter(prefix="/api/v1/compliance", tags=["compliance"])
CanWrite = Annotated[Principal, Depends(authorize(Permission.COMPLIANCE_WRITE))]
CanRead = Annotated[Principal, Depends(authorize(Permission.COMPLIANCE_READ))]


@router.post("/erasures")
async def create_erasure(
    erasure_in: ErasureCreate,
    session: DbSession,
    db: Annotated[Database, Depends(get_database)],
    settings: CurrentSettings,
    principal: CanWrite,
) -> ErasureResult:
    """Erases a contact now (GDPR art. 17, CCPA right to delete): irreversible."""
    result = await erase_contact(
        session=session,
        key=compliance.SuppressionKey.from_settings(settings),
        contact_id=erasure_in.contact_id,
        actor=principal.actor,
        request_id=erasure_in.request_id,
    )
    await session.commit()
    await flush_erased_pages(db)
    return result


class RetentionStatus(BaseModel):
    """The retention rules in force and the last run (counts only)."""

    inactive_contacts_days: int
    dsr_exports_days: int
    events_days: int = Field(description="Events older than this are anonymised; 0: kept.")
    replies_days: int = Field(description="Replies older than this are deleted; 0: kept.")
    inbound_log_days: int = Field(
        description="Stored Telegram updates applied longer ago than this are deleted; 0: kept."
    )
    purge_interval_hours: float
    last_run_at: datetime | None
    last_run_by: str | None
    last_report: RetentionReport | None


@router.get("/retention")
async def retention_status(
    session: DbSession, settings: CurrentSettings, principal: CanRead
) -> RetentionStatus:
    """Returns the retention rules of this deployment and what the last purge removed."""
    entries, _ = await compliance.list_audit(session=session, entity_type="retention", limit=1)
    last = entries[0] if entries else None
    return RetentionStatus(
        inactive_contacts_days=settings.retention_inactive_contacts_days,
        dsr_exports_days=settings.retention_dsr_exports_days,
        events_days=settings.retention_events_days,
        replies_days=settings.retention_replies_days,
        inbound_log_days=settings.retention_inbound_log_days,
        purge_interval_hours=settings.retention_purge_interval_hours,
        last_run_at=last.occurred_at if last else None,
        last_run_by=last.actor if last else None,
        last_report=RetentionReport.model_validate(last.data) if last else None,
    )


class RetentionRun(BaseModel):
    """Optional details of a purge asked for by hand."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=200, description="Kept in the audit entry.")


@router.post("/retention/purge")
async def run_retention(
    session: DbSession,
    db: Annotated[Database, Depends(get_database)],
    settings: CurrentSettings,
    principal: CanWrite,
    run_in: RetentionRun | None = None,
) -> RetentionReport:
    """Applies the retention rules now (as the scheduler does on its interval); audited."""
    reason = safety.redact(run_in.reason) if run_in and run_in.reason else None
    report = await purge_expired(
        session=session,
        settings=settings,
        actor=principal.actor,
        always_audit=True,
        reason=reason,
    )
    await session.commit()
    if report.contacts_erased:
        await flush_erased_pages(db)
    return report


@router.get("/privacy-scan")
async def scan_for_personal_data(session: DbSession, principal: CanRead) -> PrivacyScan:
    """Finds personal data in free-text fields (contacts' attributes and tags, campaigns'
    goals, variants' texts); each finding masked."""
    return await privacy_scan.scan(session=session)


@router.post("/privacy-scan/redact")
async def redact_personal_data(
    redaction_in: RedactionCreate, session: DbSession, principal: CanWrite
) -> RedactionResult:
    """Replaces the personal data of the named fields by its type ("[EMAIL]"); audited."""
    return await privacy_scan.redact(
        session=session, redaction_in=redaction_in, actor=principal.actor
    )


class UnmaskCreate(BaseModel):
    reason: str = Field(
        min_length=10,
        max_length=500,
        description="Why the person's data must be seen, e.g. the request it serves; kept in "
        "the audit log (with any personal data in it redacted).",
    )


class UnmaskedContact(BaseModel):
    contact_id: int
    telegram_id: int
    username: str | None
    first_name: str | None
    attributes: dict[str, Any]


@router.post("/contacts/{contact_id}/unmask")
async def unmask_contact(
    contact_id: Annotated[DbId, PathParam(description="The contact's id")],
    unmask_in: UnmaskCreate,
    session: DbSession,
    principal: CanRead,
) -> UnmaskedContact:
    """Shows one contact's personal data in full to a role that sees it masked, for a stated
    reason; audited (who, which contact, why)."""
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"Contact {contact_id} does not exist.")
    await compliance.audit(
        session=session,
        actor=principal.actor,
        action="contact.unmasked",
        entity_type="contact",
        entity_id=contact_id,
        data={"reason": safety.redact(unmask_in.reason), "role": principal.role.value},
    )
    return UnmaskedContact(
        contact_id=contact.id,
        telegram_id=contact.telegram_id,
        username=contact.username,
        first_name=contact.first_name,
        attributes=contact.attributes or {},
    )


async def flush_erased_pages(db: Database) -> None:
    """On SQLite, moves the write-ahead log into the file and truncates it, so the erased rows'
    old pages do not linger in the -wal file (secure_delete zeroes them in the file itself).
    Best effort: a long-running reader can hold the log; the next checkpoint then does it."""
    if not db.is_sqlite:
        return
    async with db.engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# CLI -------------------------------------------------------------------------------------------


async def erase_from_cli(settings: Settings, *, contact_id: int, actor: str) -> ErasureResult:
    """Erases a contact for `marketing-agent contacts erase` in a transaction of its own."""
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            result = await erase_contact(
                session=session,
                key=compliance.SuppressionKey.from_settings(settings),
                contact_id=contact_id,
                actor=actor,
            )
        await flush_erased_pages(db)
        return result
    finally:
        await db.dispose()


@router.post("/requests/{request_id}/complete")
async def complete_privacy_request(
    request_id: Annotated[DbId, PathParam()],
    session: DbSession,
    db: Annotated[Database, Depends(get_database)],
    settings: CurrentSettings,
    principal: CanWrite,
) -> compliance.PrivacyRequestRead:
    """Carries out a verified request and closes it (an erasure is irreversible)."""
    result = await complete_request(
        session=session,
        key=compliance.SuppressionKey.from_settings(settings),
        request_id=request_id,
        actor=principal.actor,
    )
    await session.commit()
    await flush_erased_pages(db)
    return result

"""The compliance module's public API: consent in force, consent decisions, the audit log, the
erasure of what it holds about a person and the suppression list."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, Text, func, insert, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from marketing_agent.compliance import audit as audit_log
from marketing_agent.compliance import bot_requests as bot_requests  # /mydata, /forgetme
from marketing_agent.compliance import (
    consent_texts,
    head_export,
    imports,
    masking,
    receipts,
    suppression,
)
from marketing_agent.compliance import requests as privacy_requests
from marketing_agent.compliance.audit import HeadAnchor
from marketing_agent.compliance.models import AuditEntry, ConsentRecord, PrivacyRequest
from marketing_agent.compliance.schemas import AuditVerification, ConsentStatus, JoinRequestEvidence
from marketing_agent.compliance.schemas import ConsentCreate as ConsentCreate
from marketing_agent.compliance.schemas import ConsentRead as ConsentRead
from marketing_agent.compliance.schemas import IdentityVerification as IdentityVerification
from marketing_agent.compliance.schemas import ImportBatchRead as ImportBatchRead
from marketing_agent.compliance.schemas import LawfulBasis as LawfulBasis
from marketing_agent.compliance.schemas import PrivacyRequestCreate as PrivacyRequestCreate
from marketing_agent.compliance.schemas import PrivacyRequestRead as PrivacyRequestRead
from marketing_agent.compliance.schemas import RequestKind as RequestKind
from marketing_agent.compliance.suppression import SuppressionKey as SuppressionKey
from marketing_agent.core import clock
from marketing_agent.core.db import in_chunks
from marketing_agent.core.logging import get_logger

log = get_logger(__name__)
_BATCH = 1000  # rows per INSERT (an executemany: no bound-parameter limit applies)


async def record_consent(
    *, session: AsyncSession, consent_in: ConsentCreate, actor: str
) -> ConsentRecord:
    """Records one consent decision and audits it; the newest decision is the one in force."""
    record = ConsentRecord(
        contact_id=consent_in.contact_id,
        sender_id=consent_in.sender_id,
        purpose=consent_in.purpose,
        status=consent_in.status.value,
        source=consent_in.source,
        proof=consent_in.proof,
        recorded_at=clock.now(),
        lawful_basis=consent_in.lawful_basis.value,
        consent_text_version=_text_version(consent_in),
        import_batch_id=consent_in.import_batch_id,
    )
    session.add(record)
    await session.flush()
    await audit_log.append(
        session=session,
        actor=actor,
        action=f"consent.{consent_in.status.value}",
        entity_type="contact",
        entity_id=consent_in.contact_id,
        data={
            "sender_id": consent_in.sender_id,
            "purpose": consent_in.purpose,
            "source": consent_in.source,
            "lawful_basis": record.lawful_basis,
            "consent_text_version": record.consent_text_version,
        },
    )
    log.info(
        "consent.recorded",
        contact_id=record.contact_id,
        sender_id=record.sender_id,
        purpose=record.purpose,
        status=record.status,
    )
    return record


async def record_consents(
    *, session: AsyncSession, consents: Sequence[ConsentCreate], actor: str
) -> int:
    """Records many decisions (an import) with one audit entry for the batch; returns how many
    were new. A decision already on record (same contact, sender, purpose, status, source and
    proof) is not recorded again, so re-importing a file adds nothing."""
    fresh = await _not_yet_recorded(session, consents)
    if not fresh:
        return 0
    now = clock.now()
    table = cast(Table, ConsentRecord.__table__)
    for chunk in in_chunks(fresh, _BATCH):
        rows = [
            {
                "contact_id": c.contact_id,
                "sender_id": c.sender_id,
                "purpose": c.purpose,
                "status": c.status.value,
                "source": c.source,
                "proof": c.proof,
                "recorded_at": now,
                "lawful_basis": c.lawful_basis.value,
                "consent_text_version": _text_version(c),
                "import_batch_id": c.import_batch_id,
            }
            for c in chunk
        ]
        await session.execute(insert(table), rows)  # Core: the ORM would cost seconds of CPU
    await audit_log.append(
        session=session,
        actor=actor,
        action="consent.bulk_recorded",
        entity_type="consent",
        entity_id="batch",
        data={"count": len(fresh), "contact_ids": [c.contact_id for c in fresh][:1000]},
    )
    return len(fresh)


def _text_version(consent_in: ConsentCreate) -> str | None:
    return consent_in.consent_text_version or consent_texts.version_in_proof(consent_in.proof)


def _decision_key(contact_id: int, status: str, proof: dict[str, Any]) -> tuple[int, str, str]:
    return contact_id, status, json.dumps(proof, sort_keys=True, default=str)


async def _not_yet_recorded(
    session: AsyncSession, consents: Sequence[ConsentCreate]
) -> list[ConsentCreate]:
    """Returns the consents of which no identical decision is on record, in order."""
    groups: dict[tuple[int, str, str], list[ConsentCreate]] = {}
    for c in consents:
        groups.setdefault((c.sender_id, c.purpose, c.source), []).append(c)
    recorded: set[tuple[int, str, str]] = set()
    for (sender_id, purpose, source), members in groups.items():
        contact_ids = sorted({c.contact_id for c in members})
        for ids in in_chunks(contact_ids):
            rows = await session.execute(
                select(ConsentRecord.contact_id, ConsentRecord.status, ConsentRecord.proof).where(
                    ConsentRecord.contact_id.in_(ids),
                    ConsentRecord.sender_id == sender_id,
                    ConsentRecord.purpose == purpose,
                    ConsentRecord.source == source,
                )
            )
            recorded.update(_decision_key(cid, status, proof or {}) for cid, status, proof in rows)
    fresh = []
    for batch in in_chunks(consents, _BATCH):
        fresh += [
            c for c in batch if _decision_key(c.contact_id, c.status.value, c.proof) not in recorded
        ]
        await asyncio.sleep(0)  # a large import must not hold up the API's other requests
    return fresh


async def withdraw_consent(
    *,
    session: AsyncSession,
    contact_id: int,
    sender_id: int,
    purposes: Sequence[str] | None,
    source: str,
    proof: dict[str, Any] | None = None,
    actor: str,
) -> int:
    """Withdraws consent at once for the given purposes (all recorded ones when None)."""
    if purposes is None:
        purposes = (
            await session.scalars(
                select(ConsentRecord.purpose)
                .where(ConsentRecord.contact_id == contact_id, ConsentRecord.sender_id == sender_id)
                .distinct()
            )
        ).all()
    for purpose in purposes:
        await record_consent(
            session=session,
            consent_in=ConsentCreate(
                contact_id=contact_id,
                sender_id=sender_id,
                purpose=purpose,
                status=ConsentStatus.WITHDRAWN,
                source=source,
                proof=proof or {},
            ),
            actor=actor,
        )
    return len(purposes)


async def consent_in_force(
    *, session: AsyncSession, contact_ids: Sequence[int], sender_id: int, purpose: str
) -> dict[int, bool]:
    """Returns, for each contact, whether a granted consent is in force right now."""
    result: dict[int, bool] = dict.fromkeys(contact_ids, False)
    ids = list(result)
    for chunk in in_chunks(ids):
        newest = (
            select(ConsentRecord.contact_id, func.max(ConsentRecord.id).label("newest_id"))
            .where(
                ConsentRecord.contact_id.in_(chunk),
                ConsentRecord.sender_id == sender_id,
                ConsentRecord.purpose == purpose,
            )
            .group_by(ConsentRecord.contact_id)
            .subquery()
        )
        rows = await session.execute(
            select(ConsentRecord.contact_id, ConsentRecord.status).join(
                newest, ConsentRecord.id == newest.c.newest_id
            )
        )
        for contact_id, status in rows:
            result[contact_id] = status == ConsentStatus.GRANTED
    return result


async def has_consent(
    *, session: AsyncSession, contact_id: int, sender_id: int, purpose: str
) -> bool:
    """Returns whether `contact_id` may receive `purpose` messages from `sender_id` now."""
    status = await consent_in_force(
        session=session, contact_ids=[contact_id], sender_id=sender_id, purpose=purpose
    )
    return status[contact_id]


async def consent_states(
    *, session: AsyncSession, contact_ids: Sequence[int] | None, purpose: str = "marketing"
) -> dict[int, str]:
    """Returns each contact's consent for `purpose` now: "granted" when some sender's newest
    decision grants it, "withdrawn" when every recorded one is withdrawn; contacts with no
    record are absent. `contact_ids` None means every contact."""
    newest = select(func.max(ConsentRecord.id)).where(ConsentRecord.purpose == purpose)
    if contact_ids is not None:
        if not contact_ids:
            return {}
        newest = newest.where(ConsentRecord.contact_id.in_(list(contact_ids)))
    newest = newest.group_by(ConsentRecord.contact_id, ConsentRecord.sender_id)
    rows = await session.execute(
        select(ConsentRecord.contact_id, ConsentRecord.status).where(
            ConsentRecord.id.in_(newest.scalar_subquery())
        )
    )
    states: dict[int, str] = {}
    for contact_id, status in rows:
        if status == ConsentStatus.GRANTED or contact_id not in states:
            states[contact_id] = "granted" if status == ConsentStatus.GRANTED else "withdrawn"
    return states


def consent_contact_ids_query(*, state: str, purpose: str = "marketing") -> Select[int]:
    """Returns SQL selecting the contact ids whose consent for `purpose` is `state` now
    ("granted", "withdrawn", as `consent_states` decides) or who have any record ("recorded"),
    for the segments to filter in the database."""
    recorded = select(ConsentRecord.contact_id).where(ConsentRecord.purpose == purpose)
    if state == "recorded":
        return recorded
    if state == "granted":
        return _granted_now(ConsentRecord, purpose)
    # Withdrawn when recorded and no sender's newest decision grants it.
    granted = aliased(ConsentRecord)
    return recorded.where(
        ~_granted_now(granted, purpose)
        .where(granted.contact_id == ConsentRecord.contact_id)
        .exists()
    )


def _granted_now(record: Any, purpose: str) -> Select[int]:
    """The contact ids of `record` (the table or an alias) whose grant no later decision of the
    same contact, sender and purpose replaced: each sender's newest decision, as an anti-join
    (PostgreSQL's plan for the earlier `id IN (max(id) ... GROUP BY)` grouped every record on
    every count; NOT EXISTS lets either database seek `ix_consent_lookup` or hash once)."""
    newer = aliased(ConsentRecord)
    replaced = (
        select(newer.id)
        .where(
            newer.contact_id == record.contact_id,
            newer.sender_id == record.sender_id,
            newer.purpose == record.purpose,
            newer.id > record.id,
        )
        .exists()
    )
    return select(record.contact_id).where(
        record.purpose == purpose, record.status == ConsentStatus.GRANTED, ~replaced
    )


async def count_withdrawals(*, session: AsyncSession, since: datetime) -> int:
    """Returns how many consent withdrawals (opt-outs) were recorded since `since`."""
    return (
        await session.scalar(
            select(func.count(ConsentRecord.id)).where(
                ConsentRecord.status == ConsentStatus.WITHDRAWN,
                ConsentRecord.recorded_at >= since,
            )
        )
        or 0
    )


async def consent_history(*, session: AsyncSession, contact_id: int) -> Sequence[ConsentRecord]:
    """Returns every consent decision of a contact, oldest first (the proof trail)."""
    return (
        await session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.contact_id == contact_id)
            .order_by(ConsentRecord.id)
        )
    ).all()


async def consent_reads(
    *, session: AsyncSession, records: Sequence[ConsentRecord]
) -> list[ConsentRead]:
    """Returns consent records as read, each import's with the evidence of its batch, each join
    request's with the chat and invite link it came through."""
    batch_ids = {r.import_batch_id for r in records if r.import_batch_id is not None}
    batches = await imports.batches_by_id(session=session, batch_ids=batch_ids)
    reads = []
    for record in records:
        read = ConsentRead.model_validate(record)
        if record.import_batch_id in batches:
            read.import_batch = ImportBatchRead.model_validate(batches[record.import_batch_id])
        joined = (record.proof or {}).get("join_request")
        if isinstance(joined, dict):
            read.join_request = JoinRequestEvidence.model_validate(joined)
        reads.append(read)
    return reads


async def audit(
    *,
    session: AsyncSession,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Appends a state change or decision to the audit log, in the caller's transaction."""
    return await audit_log.append(
        session=session,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        data=data,
    )


async def list_audit(
    *,
    session: AsyncSession,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[AuditEntry], int]:
    """Returns audit entries, newest first, with the total count of the filter; `q` finds the
    text anywhere in an entry (actor, action, entity, note or data), any case."""
    query = select(AuditEntry)
    if q:
        needle = q.lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (
                        AuditEntry.actor,
                        AuditEntry.action,
                        AuditEntry.entity_type,
                        AuditEntry.entity_id,
                        func.coalesce(AuditEntry.note, ""),
                        sql_cast(AuditEntry.data, Text),
                    )
                )
            )
        )
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (
        await session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
    ).all()
    return rows, total


async def verify_audit_chain(
    *, session: AsyncSession, anchors: Sequence[HeadAnchor] = ()
) -> AuditVerification:
    """Recomputes the whole chain, checking it against head hashes exported earlier; says where
    it was tampered with, if anywhere."""
    return await audit_log.verify_chain(session=session, anchors=anchors)


verify_audit_export = audit_log.verify_export
parse_head_anchors = audit_log.parse_anchors
load_head_anchors = head_export.load_anchors
export_audit_head = head_export.export_head
HEAD_EXPORTED_ACTION = head_export.ACTION


async def last_audited(*, session: AsyncSession, action: str) -> datetime | None:
    """Returns when `action` was last recorded, if ever (when a periodic job last ran)."""
    last: datetime | None = await session.scalar(
        select(AuditEntry.occurred_at)
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )
    return last


# Erasure and suppression -------------------------------------------------------------------

# What an erased person's consent proofs keep: the fact, how and under which text it was given,
# never who gave it (no Telegram id, no typed text, no free-form evidence).
RETAINED_PROOF_KEYS = frozenset(
    {
        "bot",
        "sender_id",
        "source",
        "method",
        "opt_in_text",
        "at",
        "recorded_at",
        "consent_at",
        "lawful_basis",
        "consent_text_version",
    }
)
# Stand-ins lie far below any real id, so no later contact can ever match them.
_STAND_IN_BASE = 2**40


async def erase_contact(*, session: AsyncSession, contact_id: int) -> dict[str, int]:
    """Anonymises what this module holds about a contact: consent records keep their facts
    under a random stand-in id; data-subject requests lose their details and exports."""
    stand_in = -(_STAND_IN_BASE + secrets.randbelow(2**62))
    records = (
        await session.scalars(select(ConsentRecord).where(ConsentRecord.contact_id == contact_id))
    ).all()
    for record in records:
        record.contact_id = stand_in
        kept = {k: v for k, v in (record.proof or {}).items() if k in RETAINED_PROOF_KEYS}
        record.proof = {**kept, "erased": True}
    requests = (
        await session.scalars(select(PrivacyRequest).where(PrivacyRequest.contact_id == contact_id))
    ).all()
    for request in requests:
        request.contact_id = None
        request.details = {}
        request.export = None
    await session.flush()
    return {"consent_records": len(records), "requests": len(requests)}


async def suppress(*, session: AsyncSession, key: SuppressionKey, telegram_id: int) -> None:
    """Puts an erased person on the suppression list (a keyed hash of the Telegram id only)."""
    await suppression.suppress(session=session, key=key, telegram_id=telegram_id, reason="erasure")


async def count_suppressed(*, session: AsyncSession) -> int:
    """Returns how many people are on the suppression list."""
    return await suppression.count(session=session)


async def suppressed_among(
    *, session: AsyncSession, key: SuppressionKey, telegram_ids: Collection[int]
) -> set[int]:
    """Returns which of `telegram_ids` belong to erased people who must not be re-added."""
    return await suppression.suppressed_among(session=session, key=key, telegram_ids=telegram_ids)


contact_for_role = masking.for_role  # field masking of a contact view, by the caller's role
consent_for_role = masking.consent_for_role  # a consent proof's identifiers, by role
sees_personal_data = masking.sees_personal_data
mask_telegram_id = masking.mask_telegram_id
mask_text = masking.mask_text
mask_attributes = masking.mask_attributes

consent_receipts = receipts.receipts_of
consent_receipt_text = receipts.receipt_text

# Import evidence ---------------------------------------------------------------------------

record_import_batch = imports.record_batch
finish_import_batch = imports.finish_batch
get_import_batch_or_raise = imports.get_or_raise
check_import_file = imports.check_file
consent_text_version = consent_texts.version_of

# Data-subject requests -----------------------------------------------------------------------

create_request = privacy_requests.create
get_request_or_raise = privacy_requests.get_or_raise
list_requests = privacy_requests.list_requests
verify_request_identity = privacy_requests.verify_identity
check_request_completable = privacy_requests.check_completable
complete_request = privacy_requests.mark_completed
request_read = privacy_requests.to_read
extend_request = privacy_requests.extend
reject_request = privacy_requests.reject
remind_due_requests = privacy_requests.remind_due


def export_audit_lines(*, session: AsyncSession, with_head: bool = True) -> AsyncIterator[str]:
    """Returns the audit log as JSON lines, oldest first, the head line last
    (`marketing-agent audit export`)."""
    return audit_log.export_lines(session=session, with_head=with_head)


async def contacts_with_decisions_since(
    *, session: AsyncSession, contact_ids: Sequence[int], since: datetime
) -> set[int]:
    """Returns which of `contact_ids` made a consent decision at or after `since` (retention)."""
    found: set[int] = set()
    for chunk in in_chunks(contact_ids):
        rows = await session.scalars(
            select(ConsentRecord.contact_id)
            .where(ConsentRecord.contact_id.in_(chunk))
            .where(ConsentRecord.recorded_at >= since)
            .distinct()
        )
        found.update(rows)
    return found


async def purge_request_exports(*, session: AsyncSession, completed_before: datetime) -> int:
    """Deletes access exports of requests completed before the cutoff; returns how many."""
    rows = (
        await session.scalars(
            select(PrivacyRequest).where(
                PrivacyRequest.export.is_not(None), PrivacyRequest.completed_at < completed_before
            )
        )
    ).all()
    for request in rows:
        request.export = None
    await session.flush()
    return len(rows)

"""The compliance module's public API: consent in force, consent decisions, the audit log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import audit as audit_log
from marketing_agent.compliance.models import AuditEntry, ConsentRecord
from marketing_agent.compliance.schemas import AuditVerification, ConsentCreate, ConsentStatus
from marketing_agent.core import clock
from marketing_agent.core.logging import get_logger

log = get_logger(__name__)
_BATCH = 1000  # rows per INSERT and ids per IN (...), well under every driver's limits


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
    for start in range(0, len(fresh), _BATCH):
        rows = [
            {
                "contact_id": c.contact_id,
                "sender_id": c.sender_id,
                "purpose": c.purpose,
                "status": c.status.value,
                "source": c.source,
                "proof": c.proof,
                "recorded_at": now,
            }
            for c in fresh[start : start + _BATCH]
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
        for start in range(0, len(contact_ids), _BATCH):
            rows = await session.execute(
                select(ConsentRecord.contact_id, ConsentRecord.status, ConsentRecord.proof).where(
                    ConsentRecord.contact_id.in_(contact_ids[start : start + _BATCH]),
                    ConsentRecord.sender_id == sender_id,
                    ConsentRecord.purpose == purpose,
                    ConsentRecord.source == source,
                )
            )
            recorded.update(_decision_key(cid, status, proof or {}) for cid, status, proof in rows)
    fresh = []
    for start in range(0, len(consents), _BATCH):
        batch = consents[start : start + _BATCH]
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
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
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


async def consent_history(*, session: AsyncSession, contact_id: int) -> Sequence[ConsentRecord]:
    """Returns every consent decision of a contact, oldest first (the proof trail)."""
    return (
        await session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.contact_id == contact_id)
            .order_by(ConsentRecord.id)
        )
    ).all()


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
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[AuditEntry], int]:
    """Returns audit entries, newest first, with the total count of the filter."""
    query = select(AuditEntry)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (
        await session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
    ).all()
    return rows, total


async def verify_audit_chain(*, session: AsyncSession) -> AuditVerification:
    """Recomputes the whole chain; says where it was tampered with, if anywhere."""
    return await audit_log.verify_chain(session=session)

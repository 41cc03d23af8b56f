"""The tamper-evident audit log: each entry's hash covers its content and its predecessor's hash,
so editing, deleting or reordering any row breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance.models import AuditEntry, AuditHead
from marketing_agent.compliance.schemas import AuditEntryRead, AuditVerification
from marketing_agent.core import clock

GENESIS = "0" * 64


def compute_hash(
    *,
    prev_hash: str,
    seq: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    data: dict[str, Any],
) -> str:
    """Returns the SHA-256 of the entry's canonical JSON, chained to `prev_hash`."""
    body = json.dumps(
        {
            "seq": seq,
            "at": occurred_at.astimezone(clock.UTC).isoformat(),
            "actor": actor,
            "action": action,
            "entity": [entity_type, entity_id],
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


async def _advance_head(session: AsyncSession) -> tuple[int, str]:
    """Takes the next sequence number; the UPDATE locks the head until the caller commits."""
    result = await session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hash)
    )
    row = result.one_or_none()
    if row is None:
        session.add(AuditHead(id=1, seq=1, last_hash=GENESIS))
        await session.flush()
        return 1, GENESIS
    return int(row[0]), str(row[1])


async def append(
    *,
    session: AsyncSession,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Appends one entry in the caller's transaction, so it commits with the change it records."""
    seq, prev_hash = await _advance_head(session)
    occurred_at = clock.now()
    payload = json.loads(json.dumps(data or {}, default=str))
    entry = AuditEntry(
        seq=seq,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        data=payload,
        prev_hash=prev_hash,
    )
    entry.hash = compute_hash(
        prev_hash=prev_hash,
        seq=seq,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        data=payload,
    )
    session.add(entry)
    await session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=entry.hash))
    await session.flush()
    return entry


class ChainCheck:
    """Walks entries in storage order and says where the chain first breaks."""

    def __init__(self) -> None:
        self.expected_prev, self.expected_seq, self.checked = GENESIS, 1, 0

    def feed(self, entry: AuditEntry) -> AuditVerification | None:
        """Checks the next entry; returns the failure, or None while the chain holds."""
        problem = _check_entry(
            entry, expected_prev=self.expected_prev, expected_seq=self.expected_seq
        )
        if problem:
            return AuditVerification(
                ok=False, checked=self.checked, first_bad_seq=entry.seq, reason=problem
            )
        self.expected_prev, self.expected_seq = entry.hash, entry.seq + 1
        self.checked += 1
        return None

    def finish(self, head: AuditHead | None) -> AuditVerification:
        """Compares the end of the walk with the head row, which catches a cut-off tail."""
        if head is not None and (head.seq != self.checked or head.last_hash != self.expected_prev):
            return AuditVerification(
                ok=False,
                checked=self.checked,
                first_bad_seq=self.checked + 1,
                reason="entries at the end of the log are missing",
            )
        return AuditVerification(ok=True, checked=self.checked)


def verify_entries(entries: Iterable[AuditEntry], head: AuditHead | None) -> AuditVerification:
    """Verifies entries already in memory (in storage order) against the head."""
    check = ChainCheck()
    for entry in entries:
        failure = check.feed(entry)
        if failure:
            return failure
    return check.finish(head)


async def verify_chain(*, session: AsyncSession, batch: int = 5000) -> AuditVerification:
    """Recomputes every hash in order; returns the first entry that does not match."""
    check = ChainCheck()
    last_id = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for entry in rows:
            failure = check.feed(entry)
            if failure:
                return failure
            last_id = entry.id
    return check.finish(await session.get(AuditHead, 1))


def _check_entry(entry: AuditEntry, *, expected_prev: str, expected_seq: int) -> str | None:
    if entry.seq != expected_seq:
        return f"sequence gap: expected {expected_seq}, found {entry.seq}"
    if entry.prev_hash != expected_prev:
        return "previous-hash link broken (a row was removed or reordered)"
    recomputed = compute_hash(
        prev_hash=entry.prev_hash,
        seq=entry.seq,
        occurred_at=entry.occurred_at,
        actor=entry.actor,
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        data=entry.data,
    )
    if recomputed != entry.hash:
        return "content does not match its hash (the row was edited)"
    return None


async def export_lines(*, session: AsyncSession, batch: int = 5000) -> AsyncIterator[str]:
    """Yields every entry as one JSON line, oldest first, for a SIEM (hashes included, so the
    receiver can re-verify the chain itself)."""
    last_id = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            return
        for entry in rows:
            yield AuditEntryRead.model_validate(entry).model_dump_json()
            last_id = entry.id

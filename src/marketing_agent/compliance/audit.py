"""The tamper-evident audit log: each entry's hash covers its content and its predecessor's hash,
so editing, deleting or reordering any row breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance.models import AuditEntry, AuditHead
from marketing_agent.compliance.schemas import AuditEntryRead, AuditVerification
from marketing_agent.core import clock

GENESIS = "0" * 64
HEAD_KEY = "head"  # the last line of an export: {"head": {"seq", "hash", "exported_at"}}


class ChainedEntry(Protocol):
    """What the chain check reads of an entry: a stored row or a line of an export."""

    seq: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class HeadAnchor:
    """The chain's head as exported at some moment (a file line or a POST body); a later
    rewrite of the whole chain, hashes and all, cannot match it."""

    seq: int
    hash: str
    at: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "at": self.at}


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
    """Walks entries in storage order and says where the chain first breaks; entries named by
    head anchors must carry the anchored hash."""

    def __init__(self, anchors: Iterable[HeadAnchor] = ()) -> None:
        self.expected_prev, self.expected_seq, self.checked = GENESIS, 1, 0
        self.anchors: Mapping[int, HeadAnchor] = {a.seq: a for a in anchors if a.seq > 0}
        self.anchors_checked = 0

    def feed(self, entry: ChainedEntry) -> AuditVerification | None:
        """Checks the next entry; returns the failure, or None while the chain holds."""
        problem = _check_entry(
            entry, expected_prev=self.expected_prev, expected_seq=self.expected_seq
        )
        anchor = self.anchors.get(entry.seq)
        if problem is None and anchor is not None:
            if anchor.hash != entry.hash:
                problem = (
                    f"differs from the head hash exported at {anchor.at or 'an earlier time'} "
                    "(the chain was rewritten)"
                )
            else:
                self.anchors_checked += 1
        if problem:
            return self._failed(entry.seq, problem)
        self.expected_prev, self.expected_seq = entry.hash, entry.seq + 1
        self.checked += 1
        return None

    def finish(self, head_seq: int | None, head_hash: str | None) -> AuditVerification:
        """Compares the end of the walk with the head (the head row, or an export's last line),
        which catches a cut-off tail, and with the anchors, which catch a shorter rewrite."""
        if head_seq is not None and (head_seq != self.checked or head_hash != self.expected_prev):
            return self._failed(self.checked + 1, "entries at the end of the log are missing")
        beyond = [seq for seq in self.anchors if seq > self.checked]
        if beyond:
            missing = min(beyond)
            anchor = self.anchors[missing]
            return self._failed(
                missing,
                f"entry {missing}, whose hash was exported at {anchor.at or 'an earlier time'}, "
                "is missing (the chain was cut and rewritten)",
            )
        return AuditVerification(
            ok=True,
            checked=self.checked,
            head_hash=self.expected_prev,
            anchors_checked=self.anchors_checked,
        )

    def _failed(self, seq: int, reason: str) -> AuditVerification:
        return AuditVerification(
            ok=False,
            checked=self.checked,
            first_bad_seq=seq,
            reason=reason,
            anchors_checked=self.anchors_checked,
        )


def verify_entries(
    entries: Iterable[ChainedEntry], head: AuditHead | None, anchors: Iterable[HeadAnchor] = ()
) -> AuditVerification:
    """Verifies entries already in memory (in storage order) against the head."""
    check = ChainCheck(anchors)
    for entry in entries:
        failure = check.feed(entry)
        if failure:
            return failure
    return check.finish(*_head_of(head))


def _head_of(head: AuditHead | None) -> tuple[int | None, str | None]:
    return (head.seq, head.last_hash) if head is not None else (None, None)


async def verify_chain(
    *, session: AsyncSession, anchors: Iterable[HeadAnchor] = (), batch: int = 5000
) -> AuditVerification:
    """Recomputes every hash in order; returns the first entry that does not match (or that
    differs from an anchored head)."""
    check = ChainCheck(anchors)
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
    return check.finish(*_head_of(await session.get(AuditHead, 1)))


def _check_entry(entry: ChainedEntry, *, expected_prev: str, expected_seq: int) -> str | None:
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


async def export_lines(
    *, session: AsyncSession, with_head: bool = True, batch: int = 5000
) -> AsyncIterator[str]:
    """Yields every entry as one JSON line, oldest first, for a SIEM (hashes included, so the
    receiver can re-verify the chain itself), then the head the export ends at: the entries up
    to the head as read when the export began, so the last line's hash is the chain's."""
    head = await session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.last_hash) if head is not None else (0, GENESIS)
    last_id = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.id > last_id, AuditEntry.seq <= head_seq)
                .order_by(AuditEntry.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for entry in rows:
            yield AuditEntryRead.model_validate(entry).model_dump_json()
            last_id = entry.id
    if with_head:
        exported_at = clock.now().isoformat()
        yield json.dumps({HEAD_KEY: {"seq": head_seq, "hash": head_hash, "at": exported_at}})


def verify_export(lines: Iterable[str], anchors: Iterable[HeadAnchor] = ()) -> AuditVerification:
    """Verifies an export offline: every entry's hash and link, the head its last line names
    (a cut-off export fails) and, when given, the head hashes exported on a schedule (a
    rewritten chain fails)."""
    check = ChainCheck(anchors)
    head: tuple[int | None, str | None] = (None, None)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if HEAD_KEY in record:
                head = (int(record[HEAD_KEY]["seq"]), str(record[HEAD_KEY]["hash"]))
                continue
            entry = AuditEntryRead.model_validate(record)
            if head[0] is not None:
                raise ValueError("an entry after the head line")
        except (ValueError, TypeError, KeyError):
            return AuditVerification(
                ok=False,
                checked=check.checked,
                first_bad_seq=check.expected_seq,
                reason=f"line {number} is not an audit entry",
            )
        failure = check.feed(entry)
        if failure:
            return failure
    if head[0] is None:
        return AuditVerification(
            ok=False,
            checked=check.checked,
            first_bad_seq=check.checked + 1,
            reason="the export has no head line (cut off, or exported without it)",
        )
    return check.finish(*head)


def parse_anchors(lines: Iterable[str]) -> list[HeadAnchor]:
    """Returns the head anchors of a head-export file (one JSON object a line)."""
    anchors = []
    for line in lines:
        if line.strip():
            record = json.loads(line)
            anchors.append(
                HeadAnchor(int(record["seq"]), str(record["hash"]), record.get("at", ""))
            )
    return anchors


async def current_head(*, session: AsyncSession) -> HeadAnchor:
    """Returns the chain's head now."""
    head = await session.get(AuditHead, 1)
    at = clock.now().isoformat()
    return HeadAnchor(head.seq, head.last_hash, at) if head else HeadAnchor(0, GENESIS, at)

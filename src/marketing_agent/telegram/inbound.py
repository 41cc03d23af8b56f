"""Inbound updates: fetched from a sender's transport, stored (once per update id), claimed to be
applied in the applying transaction, failures counted, old ones deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core import clock
from marketing_agent.core.db import in_chunks
from marketing_agent.telegram.models import InboundUpdate
from marketing_agent.telegram.pool import TransportPool
from marketing_agent.telegram.transport import InboundEvent


async def fetch_updates(*, transports: TransportPool, sender_id: int) -> list[InboundEvent]:
    """Returns the sender's inbound events whose time has come and that are not yet confirmed
    stored (confirm_updates)."""
    return await transports.get(sender_id).fetch_updates()


def confirm_updates(*, transports: TransportPool, sender_id: int) -> None:
    """Tells the sender's transport that what it handed out is stored (`store_inbound`
    committed): Telegram may forget it."""
    transports.get(sender_id).confirm_updates()


@dataclass(frozen=True)
class StoredUpdate:
    """An inbound update kept in the store, claimed to be applied."""

    id: int
    sender_id: int
    event: InboundEvent


INBOUND_MAX_FAILURES = 5  # applications of one update that failed before it is set aside


_INBOUND: Table = InboundUpdate.__table__  # type: ignore[assignment]


async def store_inbound(
    *, session: AsyncSession, sender_id: int, events: Sequence[InboundEvent]
) -> None:
    """Stores what people did, to be applied later; an update stored before (the same
    update_id) is not stored again."""
    if not events:
        return
    now = clock.now()
    rows = [
        {
            "sender_id": sender_id,
            "update_id": e.update_id,
            "event": _event_json(e),
            "received_at": now,
            "failures": 0,
        }
        for e in events
    ]
    dialect = session.get_bind().dialect.name
    insert_of = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_of(InboundUpdate).on_conflict_do_nothing(
        index_elements=["sender_id", "update_id"]
    )
    for chunk in in_chunks(rows, 1000):
        await session.execute(statement, chunk)


async def claim_inbound(
    *,
    session: AsyncSession,
    limit: int,
    after_id: int = 0,
    sender_id: int | None = None,
    update_ids: Sequence[int] | None = None,
) -> list[StoredUpdate]:
    """Marks stored updates not yet applied as applied and returns them, oldest first: the
    caller applies them in the same transaction, so the mark and the effects commit together
    (or neither does). Updates another transaction holds are skipped, never applied twice."""
    table = _INBOUND.c
    pending = (
        select(table.id)
        .where(
            table.applied_at.is_(None),
            table.failures < INBOUND_MAX_FAILURES,
            table.id > after_id,
        )
        .order_by(table.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if sender_id is not None:
        pending = pending.where(table.sender_id == sender_id)
    if update_ids is not None:
        pending = pending.where(table.id.in_(update_ids))
    rows = await session.execute(
        update(_INBOUND)
        .where(table.id.in_(pending.scalar_subquery()), table.applied_at.is_(None))
        .values(applied_at=clock.now())
        .returning(table.id, table.sender_id, table.event)
    )
    claimed = [StoredUpdate(r.id, r.sender_id, _event_of(r.event)) for r in rows]
    claimed.sort(key=lambda u: u.id)
    return claimed


async def record_inbound_failure(*, session: AsyncSession, update_id: int, error: str) -> None:
    """Counts a failed application of a stored update (it is retried on the next round, and
    set aside after INBOUND_MAX_FAILURES)."""
    await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.id == update_id)
        .values(failures=InboundUpdate.failures + 1, last_error=error[:255])
    )


async def delete_inbound_before(*, session: AsyncSession, cutoff: datetime) -> int:
    """Deletes the stored updates applied before the cutoff, and those set aside (failed too
    often) received before it (retention); an update still to be applied stays. Returns how
    many went."""
    table = _INBOUND.c
    result = await session.execute(
        delete(InboundUpdate).where(
            or_(
                table.applied_at < cutoff,
                and_(
                    table.applied_at.is_(None),
                    table.failures >= INBOUND_MAX_FAILURES,
                    table.received_at < cutoff,
                ),
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _event_json(event: InboundEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "chat_id": event.chat_id,
        "occurred_at": event.occurred_at.isoformat(),
        "message_id": event.message_id,
        "text": event.text,
        "payload": dict(event.payload),
        "update_id": event.update_id,
    }


def _event_of(data: dict[str, Any]) -> InboundEvent:
    occurred_at = datetime.fromisoformat(data["occurred_at"])
    return InboundEvent(
        kind=data["kind"],
        chat_id=int(data["chat_id"]),
        occurred_at=occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=clock.UTC),
        message_id=data.get("message_id"),
        text=data.get("text"),
        payload=data.get("payload") or {},
        update_id=data.get("update_id"),
    )

"""The delivery queue: the deliveries table is the queue, so the database stays the only truth.

States (docs/architecture.md, "The delivery queue"):

    queued ──claim──▶ sending ──▶ sent | failed | skipped(reason)
       ▲                 │ └──transient, attempts left──▶ queued (not_before = backoff)
       │                 │ └──transient, none left──────▶ dead      (re-drivable)
       │                 └──lease expired (worker died)─▶ queued    (idempotent transport,
       │                                              │             or never attempted)
       │                                              └─▶ in_doubt  (Bot API, attempted:
       │                                                             maybe sent)
       └──────────── re-drive by an operator ◀── dead | in_doubt

A claim is one statement that moves due rows to `sending` under a lease (`claimed_by`,
`lease_until`), with `FOR UPDATE SKIP LOCKED` on PostgreSQL so workers never overlap, and writes
each row's `random_id` before anything is sent. A committed `sending` row means "an attempt may
have started": that is what makes a crash at any instant recoverable without a double send.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Table, and_, bindparam, exists, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core.db import in_chunks
from marketing_agent.orchestrator.models import Campaign, Delivery
from marketing_agent.orchestrator.state_machine import CampaignStatus


# The states of a delivery (the diagram above), the one spelling of each. (A comment, not a
# docstring: the API's schema shows a docstring as the enum's description.)
class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker: an attempt may have started
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it for good (blocked, deactivated, too long, ...)
    SKIPPED = "skipped"  # never sent: no consent, content blocked, campaign cancelled, ...
    DEAD = "dead"  # dead-lettered: transient failures until attempts ran out; re-drivable
    IN_DOUBT = "in_doubt"  # a worker died mid-send on a transport without idempotency


QUEUED, SENDING, SENT, FAILED, SKIPPED, DEAD, IN_DOUBT = DeliveryStatus
# Re-driven rows of a completed campaign are sent too: `completed` is final in the lifecycle,
# and a re-drive must not need to reopen it.
CLAIMABLE_CAMPAIGNS = (CampaignStatus.RUNNING.value, CampaignStatus.COMPLETED.value)
MAX_ATTEMPTS = 5
LOST_TOO_OFTEN = "worker_lost_too_often"  # recovery's dead letter; its last worker may still write
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0
_TABLE: Table = Delivery.__table__  # type: ignore[assignment]
_ID_SPACE = 2**32


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this worker holds in `sending`."""

    id: int
    campaign_id: int
    contact_id: int
    sender_id: int
    variant_key: str
    attempts: int  # including this one
    random_id: int


@dataclass
class Outcomes:
    """What became of a chunk's deliveries, written back in one transaction."""

    sent: list[tuple[int, int | None]] = field(default_factory=list)  # (id, message id)
    # id -> the columns to set (queued again, failed, skipped, dead)
    other: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sent) + len(self.other)


@dataclass(frozen=True)
class Recovered:
    """Rows taken back from workers whose lease ran out."""

    requeued: int = 0
    in_doubt: int = 0
    dead: int = 0


async def runnable_campaigns(session: AsyncSession, *, now: datetime) -> list[int]:
    """Returns the campaigns that have deliveries due now and may send."""
    rows = await session.scalars(
        select(Delivery.campaign_id)
        .where(
            Delivery.status == QUEUED,
            or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
            exists().where(
                Campaign.id == Delivery.campaign_id, Campaign.status.in_(CLAIMABLE_CAMPAIGNS)
            ),
        )
        .distinct()
    )
    return sorted(rows.all())


async def claim(
    session: AsyncSession,
    *,
    campaign_id: int,
    worker_id: str,
    limit: int,
    lease_s: float,
    now: datetime,
) -> list[ClaimedDelivery]:
    """Moves up to `limit` due deliveries of a campaign to `sending` for this worker; returns
    them. Rows another worker holds (or is claiming) are skipped, never waited for."""
    due = (
        select(Delivery.id)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == QUEUED,
            or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
            exists().where(
                Campaign.id == Delivery.campaign_id, Campaign.status.in_(CLAIMABLE_CAMPAIGNS)
            ),
        )
        .order_by(Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    # Random high bits per claim, the row's id below: unique, unguessable, one statement.
    random_base = secrets.randbits(30) * _ID_SPACE
    table = _TABLE.c
    # Core, not ORM: the claim is on the hot path and needs no identity map.
    rows = await session.execute(
        update(_TABLE)
        .where(table.id.in_(due.scalar_subquery()))
        .values(
            status=SENDING,
            claimed_by=worker_id,
            lease_until=now + timedelta(seconds=lease_s),
            attempts=table.attempts + 1,
            random_id=func.coalesce(table.random_id, literal(random_base) + table.id % _ID_SPACE),
            attempted_at=None,
            updated_at=now,
        )
        .returning(
            table.id,
            table.campaign_id,
            table.contact_id,
            table.sender_id,
            table.variant_key,
            table.attempts,
            table.random_id,
        )
    )
    claimed = [
        ClaimedDelivery(
            id=row.id,
            campaign_id=row.campaign_id,
            contact_id=row.contact_id,
            sender_id=row.sender_id,
            variant_key=row.variant_key,
            attempts=row.attempts,
            random_id=int(row.random_id),
        )
        for row in rows
    ]
    claimed.sort(key=lambda d: d.id)
    return claimed


async def renew_leases(
    session: AsyncSession,
    *,
    worker_id: str,
    delivery_ids: Sequence[int],
    lease_s: float,
    now: datetime,
) -> int:
    """Extends the lease of the rows this worker holds and is still working on; returns how
    many. Rows another transaction is writing right now (this worker's own journal or record)
    are skipped, not waited for: a renewal that waited could deadlock with them, and the next
    renewal, a third of a lease later, catches them."""
    renewed = 0
    for chunk in in_chunks(delivery_ids):
        free = (
            select(Delivery.id)
            .where(
                Delivery.id.in_(chunk),
                Delivery.status == SENDING,
                Delivery.claimed_by == worker_id,
            )
            .with_for_update(skip_locked=True)
        )
        result = await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(free.scalar_subquery()))
            .values(lease_until=now + timedelta(seconds=lease_s))
            .execution_options(synchronize_session=False)
        )
        renewed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return renewed


async def journal_attempts(
    session: AsyncSession, *, worker_id: str, delivery_ids: Sequence[int], now: datetime
) -> set[int]:
    """Marks rows this worker still holds as attempted (their send request may leave once this
    commits); returns those ids. A row missing from the answer was taken back meanwhile and must
    not be sent."""
    if not delivery_ids:
        return set()
    rows = await session.execute(
        update(_TABLE)
        .where(
            _TABLE.c.id.in_(delivery_ids),
            _TABLE.c.status == SENDING,
            _TABLE.c.claimed_by == worker_id,
        )
        .values(attempted_at=now)
        .returning(_TABLE.c.id)
    )
    return set(rows.scalars())


async def recover_expired(
    session: AsyncSession, *, now: datetime, idempotent_senders: Collection[int]
) -> Recovered:
    """Takes back the rows of workers whose lease ran out (they died, or stalled).

    An attempt may have reached Telegram. Through a transport that deduplicates by random_id the
    row is queued again and its resend delivers nothing new. Through the Bot API, which has no
    such key, a row the attempt journal marked (`attempted_at`: its request may have left)
    becomes `in_doubt` and is resent only when an operator re-drives it; one never attempted is
    queued again, its claim not counted as an attempt.
    """
    expired = (
        await session.execute(
            select(Delivery.id, Delivery.sender_id, Delivery.attempts, Delivery.attempted_at)
            .where(Delivery.status == SENDING, Delivery.lease_until < now)
            .with_for_update(skip_locked=True)
        )
    ).all()
    idempotent = [(i, a) for i, s, a, _ in expired if s in idempotent_senders]
    requeue = [i for i, a in idempotent if a < MAX_ATTEMPTS]
    dead = [i for i, a in idempotent if a >= MAX_ATTEMPTS]
    doubt = [i for i, s, _, t in expired if s not in idempotent_senders and t is not None]
    unsent = [i for i, s, _, t in expired if s not in idempotent_senders and t is None]
    common = {"lease_until": None, "updated_at": now}
    released = {"claimed_by": None}
    for ids, values in (
        (requeue, {"status": QUEUED, "not_before": None, "reason": "worker_lost", **released}),
        (
            unsent,
            {
                "status": QUEUED,
                "not_before": None,
                "reason": "worker_lost_before_send",
                "attempts": Delivery.attempts - 1,
                **released,
            },
        ),
        # claimed_by stays on both: the operator sees which worker was lost, and that worker,
        # if it was only stalled (a loaded machine), can still write what really happened.
        (dead, {"status": DEAD, "reason": LOST_TOO_OFTEN}),
        (doubt, {"status": IN_DOUBT, "reason": "worker_lost_mid_send"}),
    ):
        for chunk in in_chunks(ids):
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(chunk), Delivery.status == SENDING)
                .values(**values, **common)
                .execution_options(synchronize_session=False)
            )
    return Recovered(requeued=len(requeue) + len(unsent), in_doubt=len(doubt), dead=len(dead))


async def record(
    session: AsyncSession,
    *,
    worker_id: str,
    outcomes: Outcomes,
    now: datetime,
    campaign_id: int | None = None,
) -> int:
    """Writes a chunk's outcomes; returns how many rows this worker still held and wrote.

    A row whose lease was taken back meanwhile is left as recovery set it, unless recovery made it
    `in_doubt`, or dead-lettered it for losing its workers too often: then this worker knows what
    happened and says so (a stalled worker's send is not shown as never made). With
    `campaign_id`, the deliveries decided not to be sent (skipped, dead-lettered) are audited,
    one entry a call.
    """
    held = and_(
        _TABLE.c.id == bindparam("b_id"),
        _TABLE.c.claimed_by == worker_id,
        or_(
            _TABLE.c.status == SENDING,
            _TABLE.c.status == IN_DOUBT,
            and_(_TABLE.c.status == DEAD, _TABLE.c.reason == LOST_TOO_OFTEN),
        ),
    )
    written = 0
    if outcomes.sent:
        result = await session.execute(
            update(_TABLE)
            .where(held)
            .values(
                status=SENT,
                message_id=bindparam("b_message_id"),
                sent_at=now,
                reason=None,
                claimed_by=None,
                lease_until=None,
                updated_at=now,
            ),
            [{"b_id": i, "b_message_id": m} for i, m in outcomes.sent],
        )
        written += max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]
    decided: dict[str, dict[str, list[int]]] = {}  # status -> reason -> delivery ids
    for delivery_id, values in outcomes.other.items():
        result = await session.execute(
            update(_TABLE)
            .where(held)
            .values(**values, claimed_by=None, lease_until=None, updated_at=now),
            {"b_id": delivery_id},
        )
        changed = int(result.rowcount or 0)  # type: ignore[attr-defined]
        written += changed
        if changed and values["status"] in (SKIPPED, DEAD):
            by_reason = decided.setdefault(str(values["status"]), {})
            by_reason.setdefault(str(values.get("reason") or "unknown"), []).append(delivery_id)
    if decided and campaign_id is not None:
        # The worker's automated decisions not to send, one entry a chunk (not a row each):
        # which deliveries, and why; a STOP-skipped or content-blocked send is traceable.
        await compliance.audit(
            session=session,
            actor=f"worker:{worker_id}",
            action="deliveries.not_sent",
            entity_type="campaign",
            entity_id=campaign_id,
            data=decided,
        )
    return written


def retry_later(attempts: int, *, reason: str, now: datetime) -> dict[str, Any]:
    """Returns the columns of a transient failure: back to the queue after an exponential
    backoff with jitter, or dead-lettered once `MAX_ATTEMPTS` are spent."""
    if attempts >= MAX_ATTEMPTS:
        return {"status": DEAD, "reason": f"{reason} (after {attempts} attempts)"[:255]}
    # "Equal jitter": half the backoff is fixed, half random, so retries never synchronise.
    backoff_s = min(BACKOFF_BASE_S * 2 ** (attempts - 1), BACKOFF_CAP_S)
    delay_s = backoff_s / 2 + random.uniform(0, backoff_s / 2)
    return {
        "status": QUEUED,
        "not_before": now + timedelta(seconds=delay_s),
        "reason": reason[:255],
    }


def put_back(attempts: int, *, until: datetime | None, reason: str) -> dict[str, Any]:
    """Returns the columns of a delivery handed back unsent (a FloodWait, a busy chat, a hold):
    queued again, and the attempt it was claimed for does not count."""
    return {"status": QUEUED, "attempts": attempts - 1, "not_before": until, "reason": reason}


async def redrive(
    session: AsyncSession,
    *,
    campaign_id: int,
    states: Sequence[str],
    now: datetime,
) -> dict[str, int]:
    """Queues a campaign's dead-lettered and/or in-doubt deliveries again; returns how many of
    each. Attempts start afresh; an in-doubt row keeps its random_id (a transport that knows it
    will not deliver twice)."""
    counts: dict[str, int] = {}
    for state in states:
        result = await session.execute(
            update(Delivery)
            .where(Delivery.campaign_id == campaign_id, Delivery.status == state)
            .values(
                status=QUEUED,
                attempts=0,
                not_before=None,
                reason=f"redriven_from_{state}",
                claimed_by=None,
                lease_until=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        counts[state] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts

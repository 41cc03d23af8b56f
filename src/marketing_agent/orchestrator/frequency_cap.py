"""The per-contact frequency cap across campaigns: at most N marketing messages in any rolling
window, checked for a worker's chunk in one query and counted for a launch preview.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core.db import in_chunks
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import queue
from marketing_agent.orchestrator.models import Campaign, Delivery

FREQUENCY_CAP = "frequency_cap"


_CAP_LOCK_SPACE = 0x4D41  # "MA": pg_advisory_xact_lock(space, contact) of the frequency cap


@dataclass(frozen=True)
class FrequencyCap:
    """At most `count` messages of `purpose` per contact in any rolling `days`; 0 disables."""

    count: int
    days: float
    purpose: str = "marketing"

    @classmethod
    def from_settings(cls, settings: Settings) -> FrequencyCap:
        return cls(count=settings.frequency_cap_count, days=settings.frequency_cap_days)

    @property
    def enabled(self) -> bool:
        return self.count > 0 and self.days > 0


class SendJob(Protocol):
    """What the worker knows about a claimed delivery (queue.ClaimedDelivery)."""

    @property
    def id(self) -> int: ...

    @property
    def campaign_id(self) -> int: ...

    @property
    def contact_id(self) -> int: ...


async def over_frequency_cap(
    session: AsyncSession, jobs: Sequence[SendJob], cap: FrequencyCap, now: datetime
) -> list[int]:
    """Returns the deliveries that would take their contact over the cap, in one query.

    A contact's messages in the window are those sent (or maybe sent: in doubt) since
    `now - days`, and those other chunks hold in `sending`. On PostgreSQL a transaction lock per
    contact first serialises chunks that share contacts (the claim and this check are one
    transaction), so concurrent workers cannot both let a contact's last slot through; on SQLite
    the claim's write lock does that already.
    """
    if not jobs or not cap.enabled:
        return []
    contact_ids = sorted({j.contact_id for j in jobs})
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(:space, k) FROM"
                " (SELECT k FROM unnest(CAST(:keys AS integer[])) AS k ORDER BY k) AS ordered"
            ),
            {"space": _CAP_LOCK_SPACE, "keys": sorted({c % 2**31 for c in contact_ids})},
        )
    since = now - timedelta(days=cap.days)
    rows = await session.execute(
        select(Delivery.contact_id, func.count())
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(
            Delivery.contact_id.in_(contact_ids),
            Campaign.purpose == cap.purpose,
            or_(
                and_(Delivery.status == queue.SENT, Delivery.sent_at >= since),
                and_(
                    Delivery.status.in_((queue.SENDING, queue.IN_DOUBT)),
                    Delivery.updated_at >= since,
                    Delivery.id.not_in([j.id for j in jobs]),
                ),
            ),
        )
        .group_by(Delivery.contact_id)
    )
    used: dict[int, int] = {contact_id: n for contact_id, n in rows}
    over = []
    for job in sorted(jobs, key=lambda j: j.id):
        if used.get(job.contact_id, 0) >= cap.count:
            over.append(job.id)
        else:
            used[job.contact_id] = used.get(job.contact_id, 0) + 1
    return over


async def contacts_at_cap(
    session: AsyncSession, contact_ids: Sequence[int], cap: FrequencyCap, now: datetime
) -> set[int]:
    """Returns the contacts that have had `cap.count` messages of its purpose sent in the window
    ending `now` (what a launch preview counts; the worker's check also counts those in
    flight)."""
    since = now - timedelta(days=cap.days)
    over: set[int] = set()
    for chunk in in_chunks(contact_ids):
        rows = await session.execute(
            select(Delivery.contact_id, func.count())
            .join(Campaign, Campaign.id == Delivery.campaign_id)
            .where(
                Delivery.contact_id.in_(chunk),
                Campaign.purpose == cap.purpose,
                and_(Delivery.status == queue.SENT, Delivery.sent_at >= since),
            )
            .group_by(Delivery.contact_id)
        )
        over.update(cid for cid, n in rows if n >= cap.count)
    return over

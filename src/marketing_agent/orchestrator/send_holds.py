"""Send-time holds: which deliveries of a worker's claimed chunk must not go out now (outside
the send window, inside quiet hours, or over the frequency cap), with a few bulk queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core import clock
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import queue
from marketing_agent.orchestrator.frequency_cap import (
    FREQUENCY_CAP,
    FrequencyCap,
    SendJob,
    over_frequency_cap,
)
from marketing_agent.orchestrator.models import Campaign
from marketing_agent.orchestrator.send_windows import SendRule, contact_zones, first_send_time


@dataclass(frozen=True)
class Hold:
    """Why a claimed delivery must not be sent now: it waits until `until`, or, when `until` is
    None, it is skipped for good."""

    reason: str
    until: datetime | None = None

    def change(self, attempts: int) -> dict[str, Any]:
        """Returns the delivery's new columns; `attempts` counts the claim it was held at."""
        if self.until is None:
            return {"status": queue.SKIPPED, "reason": self.reason}
        return queue.put_back(attempts, until=self.until, reason=self.reason)


async def hold_unsendable(
    session: AsyncSession, jobs: Sequence[SendJob], *, cap: FrequencyCap | None = None
) -> dict[int, Hold]:
    """Returns, per delivery id of the chunk, why it must not go out now: its contact's local
    time is outside the campaign's send window or inside quiet hours (it waits for the next
    opening), or the contact has had `cap.count` marketing messages in the rolling window (it
    is skipped). Deliveries of campaigns that may not send are left to the worker."""
    if not jobs:
        return {}
    now = clock.now()
    campaigns = await _running_campaigns(session, {j.campaign_id for j in jobs})
    live = [j for j in jobs if j.campaign_id in campaigns]
    zones = await contact_zones(session, {j.contact_id for j in live})
    holds: dict[int, Hold] = {}
    waits: dict[tuple[int, str | None], tuple[datetime | None, str | None]] = {}
    for job in live:
        campaign, zone = campaigns[job.campaign_id], zones.get(job.contact_id)
        if (job.campaign_id, zone) not in waits:  # one computation per campaign and zone
            waits[job.campaign_id, zone] = first_send_time(campaign.rule, now, zone, campaign.zone)
        until, reason = waits[job.campaign_id, zone]
        if until is not None and reason is not None:
            holds[job.id] = Hold(reason=reason, until=until)
    cap = cap or FrequencyCap.from_settings(Settings())
    capped = [
        j for j in live if j.id not in holds and campaigns[j.campaign_id].purpose == cap.purpose
    ]
    for delivery_id in await over_frequency_cap(session, capped, cap, now):
        holds[delivery_id] = Hold(reason=FREQUENCY_CAP)
    return holds


@dataclass(frozen=True)
class _LiveCampaign:
    rule: SendRule
    zone: str  # for contacts without a (known) zone of their own
    purpose: str


async def _running_campaigns(session: AsyncSession, ids: set[int]) -> dict[int, _LiveCampaign]:
    rows = await session.execute(
        select(
            Campaign.id,
            Campaign.send_window,
            Campaign.quiet_hours,
            Campaign.timezone,
            Campaign.purpose,
        ).where(Campaign.id.in_(ids), Campaign.status.in_(queue.CLAIMABLE_CAMPAIGNS))
    )
    return {
        row.id: _LiveCampaign(
            rule=SendRule.of(row), zone=row.timezone or "UTC", purpose=row.purpose
        )
        for row in rows
    }

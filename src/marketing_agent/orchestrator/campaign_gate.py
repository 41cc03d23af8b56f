"""Pause, resume, cancel while a campaign sends: the worker asks the gate right before each send
whether the campaign may still send; a background reader keeps the answer fresh."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import select

from marketing_agent.core.db import Database
from marketing_agent.core.logging import get_logger
from marketing_agent.orchestrator import queue
from marketing_agent.orchestrator.models import Campaign
from marketing_agent.orchestrator.state_machine import CampaignStatus

log = get_logger(__name__)


class CampaignGate:
    """Whether a campaign may still send, asked right before each send without waiting: an
    await between the limiter's slot and the send would bunch the pace into a FloodWait.

    While a campaign sends, a background task re-reads its status every `refresh_s` (one query
    for all the campaigns this worker is sending), so a pause or a cancel stops this worker's
    sends within about `refresh_s` at any send rate. The task ends once no send has asked for
    `idle_s` (longer than the slowest sender's gap between sends), or when the worker is gone.
    Both intervals are real time: they bound database reads, not business time.
    """

    def __init__(self, db: Database, *, refresh_s: float = 0.2, idle_s: float = 10.0) -> None:
        self.db = db
        self.refresh_s = refresh_s
        self.idle_s = idle_s
        self.status: dict[int, str] = {}
        self.asked_at: dict[int, float] = {}  # campaign id -> loop time of its last send
        self._refresher: asyncio.Task[None] | None = None

    def hold(self, campaign_id: int, attempts: int) -> dict[str, Any] | None:
        """Returns None when the campaign may send, else the delivery's new columns: put back
        unsent while it is paused, skipped once it is cancelled."""
        loop = asyncio.get_running_loop()
        self.asked_at[campaign_id] = loop.time()
        if self._refresher is None or self._refresher.done():
            self._refresher = loop.create_task(_refresh_gate(weakref.ref(self)))
        status = self.status.get(campaign_id)
        if status is None or status in queue.CLAIMABLE_CAMPAIGNS:
            return None  # not read yet: the claim a moment ago found it sending
        if status == CampaignStatus.CANCELLED:
            return {"status": queue.SKIPPED, "reason": "campaign_cancelled"}
        return queue.put_back(attempts, until=None, reason=f"campaign_{status}")


async def _refresh_gate(gate_ref: weakref.ref[CampaignGate]) -> None:
    """Re-reads the statuses a gate is asked about until it is idle or gone; holds the gate only
    while reading, so a dropped worker ends it."""
    loop = asyncio.get_running_loop()
    while (gate := gate_ref()) is not None:
        now = loop.time()
        for campaign_id in [c for c, t in gate.asked_at.items() if now - t > gate.idle_s]:
            del gate.asked_at[campaign_id]
            gate.status.pop(campaign_id, None)
        if not gate.asked_at:
            return
        try:
            async with gate.db.session() as session:
                rows = await session.execute(
                    select(Campaign.id, Campaign.status).where(Campaign.id.in_(list(gate.asked_at)))
                )
                found: dict[int, str] = {cid: status for cid, status in rows}
        except Exception as exc:  # the next send starts a new reader; the claim guards new work
            log.warning("campaign_gate.read_failed", error=type(exc).__name__)
            gate.status.clear()
            return
        for campaign_id in gate.asked_at:
            gate.status[campaign_id] = found.get(campaign_id, CampaignStatus.CANCELLED)
        refresh_s, gate = gate.refresh_s, None
        await asyncio.sleep(refresh_s)

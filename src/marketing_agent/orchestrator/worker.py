"""The delivery worker: claims queued deliveries, checks consent and content at send time,
keeps the sender's limits, sends through the sender's transport and records the outcome.

A claimed row is `sending` before anything is sent, so a second worker run never sends it
again. What happens to a row caught in `sending` by a crash is the delivery engine's issue.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.schemas import EventCreate
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.db import Database
from marketing_agent.core.logging import get_logger
from marketing_agent.orchestrator.models import Campaign, Contact, Delivery
from marketing_agent.orchestrator.rendering import render_text
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.safety import service as safety
from marketing_agent.safety.ratelimit import SenderRateLimiter
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.profiles import get_profile_by_name
from marketing_agent.telegram.transport import OutgoingMessage, SendOutcome, SendStatus

log = get_logger(__name__)
MAX_ATTEMPTS = 5
CHUNK = 25  # sends between commits and campaign-status checks (pause takes effect within ~1 s)


@dataclass
class _Job:
    delivery_id: int
    campaign_id: int
    contact_id: int
    sender_id: int
    variant_key: str
    attempts: int


class DeliveryWorker:
    """Sends queued deliveries; one instance per process, any number of processes."""

    def __init__(self, db: Database, *, batch_size: int = 200) -> None:
        self.db = db
        self.batch_size = batch_size
        self._limiters: dict[int, SenderRateLimiter] = {}

    async def run_forever(self, stop: asyncio.Event, *, idle_s: float = 0.2) -> None:
        """Processes batches until `stop` is set, sleeping briefly when there is nothing to do."""
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:
                log.exception("worker.batch_failed")
                done = 0
            if not done:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=idle_s)
                except TimeoutError:
                    pass

    async def run_once(self) -> int:
        """Claims and processes one batch; returns how many deliveries it finished."""
        async with self.db.session() as session:
            jobs = await self._claim(session)
        finished = 0
        for start in range(0, len(jobs), CHUNK):
            finished += await self._process_chunk(jobs[start : start + CHUNK])
        return finished

    async def _claim(self, session: AsyncSession) -> list[_Job]:
        now = clock.now()
        query = (
            select(Delivery)
            .join(Campaign, Campaign.id == Delivery.campaign_id)
            .where(
                Delivery.status == "queued",
                Campaign.status == CampaignStatus.RUNNING.value,
                (Delivery.not_before.is_(None)) | (Delivery.not_before <= now),
            )
            .order_by(Delivery.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True, of=Delivery)
        )
        rows = (await session.scalars(query)).all()
        if not rows:
            return []
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_([d.id for d in rows]))
            .values(status="sending", attempts=Delivery.attempts + 1, updated_at=now)
        )
        return [
            _Job(d.id, d.campaign_id, d.contact_id, d.sender_id, d.variant_key, d.attempts + 1)
            for d in rows
        ]

    async def _process_chunk(self, jobs: list[_Job]) -> int:
        async with self.db.session() as session:
            context = await _load_context(session, jobs)
            results: list[tuple[_Job, dict[str, Any]]] = []
            events: list[EventCreate] = []
            for job in jobs:
                change = await self._deliver(session, job, context, events)
                results.append((job, change))
            for job, change in results:
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id == job.delivery_id)
                    .values(updated_at=clock.now(), **change)
                )
            if events:
                await analytics.record_events(session=session, events=events)
        return sum(1 for _, change in results if change["status"] != "queued")

    async def _deliver(
        self, session: AsyncSession, job: _Job, context: _Context, events: list[EventCreate]
    ) -> dict[str, Any]:
        campaign = context.campaigns[job.campaign_id]
        if campaign["status"] == CampaignStatus.CANCELLED:
            return {"status": "skipped", "reason": "campaign_cancelled"}
        if campaign["status"] != CampaignStatus.RUNNING:
            return {"status": "queued", "attempts": job.attempts - 1}  # paused: put it back
        if not context.consent.get(job.contact_id, False):
            return {"status": "skipped", "reason": "no_consent"}
        contact = context.contacts.get(job.contact_id)
        if contact is None:
            return {"status": "skipped", "reason": "contact_erased"}
        text = render_text(campaign["variants"][job.variant_key], contact)
        verdict = await safety.check_content(session=session, text=text)
        if not verdict.allowed:
            codes = ",".join(r.code for r in verdict.reasons if r.severity == "block")
            return {"status": "skipped", "reason": f"content_blocked:{codes}"[:255]}

        limiter = self._limiter(job.sender_id, campaign["profile"])
        await limiter.acquire(contact["telegram_id"], "private")
        outcome = await telegram.send_message(
            sender_id=job.sender_id,
            profile_name=campaign["profile"],
            message=OutgoingMessage(
                chat_id=contact["telegram_id"],
                text=text,
                tags={"campaign_id": str(job.campaign_id), "variant_key": job.variant_key},
            ),
        )
        return self._record_outcome(job, outcome, limiter, events)

    def _record_outcome(
        self,
        job: _Job,
        outcome: SendOutcome,
        limiter: SenderRateLimiter,
        events: list[EventCreate],
    ) -> dict[str, Any]:
        now = clock.now()
        base = {
            "campaign_id": job.campaign_id,
            "variant_key": job.variant_key,
            "contact_id": job.contact_id,
            "sender_id": job.sender_id,
            "occurred_at": now,
        }
        if outcome.status is SendStatus.SENT:
            events.append(EventCreate(type="sent", **base))
            events.append(EventCreate(type="delivered", **base))
            return {
                "status": "sent",
                "message_id": outcome.message_id,
                "sent_at": now,
                "reason": None,
            }
        if outcome.status is SendStatus.RETRY_AFTER:
            wait_s = outcome.retry_after_s or 1.0
            limiter.pause(wait_s)
            log.warning("delivery.flood_wait", sender_id=job.sender_id, retry_after_s=wait_s)
            return {
                "status": "queued",
                "attempts": job.attempts - 1,
                "not_before": now + timedelta(seconds=wait_s),
                "reason": "flood_wait",
            }
        if outcome.status is SendStatus.PERMANENT or job.attempts >= MAX_ATTEMPTS:
            events.append(EventCreate(type="failed", properties={"reason": outcome.reason}, **base))
            return {"status": "failed", "reason": (outcome.reason or outcome.status.value)[:255]}
        backoff_s = min(2**job.attempts, 300)
        return {
            "status": "queued",
            "not_before": now + timedelta(seconds=backoff_s),
            "reason": outcome.reason or outcome.status.value,
        }

    def _limiter(self, sender_id: int, profile_name: str) -> SenderRateLimiter:
        if sender_id not in self._limiters:
            self._limiters[sender_id] = SenderRateLimiter(get_profile_by_name(profile_name))
        return self._limiters[sender_id]


@dataclass
class _Context:
    campaigns: dict[int, dict[str, Any]]
    contacts: dict[int, dict[str, Any]]
    consent: dict[int, bool]


async def _load_context(session: AsyncSession, jobs: list[_Job]) -> _Context:
    """Loads what a chunk needs in a few queries: campaigns, contacts and consent in force."""
    campaign_ids = {j.campaign_id for j in jobs}
    campaigns: dict[int, dict[str, Any]] = {}
    for campaign in (
        await session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))
    ).all():
        sender = await telegram.get_sender_or_raise(session=session, sender_id=campaign.sender_id)
        campaigns[campaign.id] = {
            "status": campaign.status,
            "purpose": campaign.purpose,
            "profile": sender.profile,
            "variants": {v.key: v.text for v in campaign.variants},
        }
    contact_ids = [j.contact_id for j in jobs]
    contacts = {
        row.id: {
            "telegram_id": row.telegram_id,
            "first_name": row.first_name,
            "username": row.username,
        }
        for row in (
            await session.execute(
                select(Contact.id, Contact.telegram_id, Contact.first_name, Contact.username).where(
                    Contact.id.in_(contact_ids)
                )
            )
        )
    }
    consent: dict[int, bool] = {}
    for campaign_id, loaded in campaigns.items():
        sender_jobs = [j for j in jobs if j.campaign_id == campaign_id]
        consent.update(
            await compliance.consent_in_force(
                session=session,
                contact_ids=[j.contact_id for j in sender_jobs],
                sender_id=sender_jobs[0].sender_id,
                purpose=loaded["purpose"],
            )
        )
    return _Context(campaigns=campaigns, contacts=contacts, consent=consent)

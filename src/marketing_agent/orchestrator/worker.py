"""The delivery worker: claims due deliveries in chunks, checks consent and content at send time,
keeps the sender's limits, sends through the sender's transport and records the outcome.

Per campaign, a pipeline of chunks (a chunk is about `chunk_s` seconds of sending at the
sender's rate):

    claim + pre-check (one transaction) → send, concurrently under the limiter → record
                  chunk n+1 is claimed while chunk n sends; chunk n-1 is recorded meanwhile

A claimed row is committed as `sending` (with its random_id) before any of its sends starts, so
a worker killed at any instant leaves nothing unknown: orchestrator/queue.py recovers it. Through
a transport without an idempotency key (the Bot API) the attempt journal also commits
`attempted_at` on a few rows at a time just before their requests may leave, and at most
`max_in_flight` requests are under way per worker: a killed worker leaves only those in doubt.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.db import Database, in_chunks
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import campaign_gate, frequency_cap, queue, send_holds
from marketing_agent.orchestrator.models import Campaign, Contact
from marketing_agent.orchestrator.queue import ClaimedDelivery, Outcomes
from marketing_agent.orchestrator.rendering import VariantTexts, render_chunk, render_text
from marketing_agent.safety import service as safety
from marketing_agent.safety.service import ContentPolicy
from marketing_agent.telegram import service as telegram

log = get_logger(__name__)
# How long the deliveries of a sender that cannot send wait before they are looked at again.
SENDER_HOLD_S = 60.0
MAX_ATTEMPTS = queue.MAX_ATTEMPTS
# A chat (or a paused sender) not ready within this is handed back to the queue rather than
# waited for inside a chunk, so a chunk's lease and the in-doubt window stay short.
MAX_CHAT_WAIT_S = 2.0
# How long one run_once keeps feeding one campaign before giving the others a turn (real time).
RUN_SLICE_S = 5.0
# Send requests under way at once per worker, and per Bot API journal group: about
# JOURNAL_WINDOW_S of the sender's rate (8 for a 30/s bot, 50 for a 1000/s paid broadcast), so
# a fast sender keeps its rate over a real network's latency; a kill leaves one group in doubt.
MAX_REQUESTS_IN_FLIGHT = 64
MIN_JOURNAL_GROUP = 8
JOURNAL_WINDOW_S = 0.05

SendFunction = Callable[
    ..., Awaitable[telegram.SendOutcome]
]  # (sender_id=, profile_name=, message=)


@dataclass(frozen=True)
class _CampaignToSend:
    """What the worker keeps of a campaign it sends: its sender, variant texts and purpose."""

    sender: telegram.SenderInfo
    variants: dict[str, VariantTexts]
    purpose: str


@dataclass
class _Send:
    """A delivery that passed every pre-check, with the exact text that will be sent."""

    job: ClaimedDelivery
    chat_id: int
    chat_kind: telegram.ChatKind
    text: str
    parts: dict[str, Any] = field(default_factory=dict)  # image and buttons (OutgoingMessage)


@dataclass
class _Chunk:
    """A claimed chunk of one campaign: what to send, and what is already decided."""

    campaign_id: int
    sender_id: int
    profile: telegram.SenderProfile
    sends: list[_Send]
    purpose: str = "marketing"
    outcomes: Outcomes = field(default_factory=Outcomes)
    events: list[analytics.EventCreate] = field(default_factory=list)
    learned: safety.LearnedRate | None = None
    decided_early: int = 0  # finished and written before the chunk's record (pre-check, journal)
    journaled: bool = False  # no idempotency key: each send is journaled before it may leave
    health: safety.SendTally = field(default_factory=safety.SendTally)  # the sender's health


class DeliveryWorker:
    """Sends due deliveries; one instance per process, any number of processes."""

    def __init__(
        self,
        db: Database,
        *,
        transports: telegram.TransportPool,
        batch_size: int = 200,
        limits: safety.RateLimits | None = None,
        worker_id: str | None = None,
        lease_s: float = 60.0,
        chunk_s: float = 1.0,
        send: SendFunction | None = None,
        links: analytics.LinkTracker | None = None,
        max_in_flight: int = MAX_REQUESTS_IN_FLIGHT,
        cap: frequency_cap.FrequencyCap | None = None,
        rules: safety.ContentRules | None = None,
    ) -> None:
        self.db = db
        # The frequency cap of the process's policies (Runtime.policies); None: the settings'.
        self.cap = cap or frequency_cap.FrequencyCap.from_settings(Settings())
        # The content rules of its policies (opt-out line, link allow-list), where the admin
        # set none in Safety settings; None: the settings'.
        self.rules = rules or safety.ContentRules.from_settings(Settings())
        self.batch_size = batch_size
        self.limits = limits or safety.open_rate_limits(redis_url=None)
        self.worker_id = worker_id or _worker_id()
        self.lease_s = lease_s
        self.chunk_s = chunk_s
        self.transports = transports  # the process's (Runtime.transports)
        self._send = send or functools.partial(telegram.send_message, transports=transports)
        self.links = links  # rewrites every URL of a sent text to a tracked link; None: off
        self._limiters: dict[int, safety.SenderLimiter] = {}
        # Rows of the chunks in progress: only these leases are renewed, so the rows of a chunk
        # that failed half-way expire and are recovered like a dead worker's.
        self._in_flight: set[int] = set()
        # A campaign's sender, profile, texts, purpose and whether its transport deduplicates
        # resends, read once per run slice.
        self._campaigns: dict[int, _CampaignToSend] = {}
        self._gate = campaign_gate.CampaignGate(db)  # pause/cancel within a second, any rate
        self._requests = asyncio.Semaphore(max_in_flight)
        self._max_in_flight = max_in_flight

    async def run_forever(self, stop: asyncio.Event, *, idle_s: float = 0.2) -> None:
        """Processes work until `stop` is set, renewing its leases and recovering dead workers'
        rows on the side, and sleeping briefly when there is nothing to do."""
        keeper = asyncio.create_task(self._keep_leases(stop))
        try:
            while not stop.is_set():
                try:
                    done = await self.run_once()
                except Exception:
                    log.exception("worker.batch_failed", worker_id=self.worker_id)
                    done = 0
                if not done:
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=idle_s)
                    except TimeoutError:
                        pass
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)

    async def run_once(self) -> int:
        """Recovers expired leases, then feeds every runnable campaign for a while; returns how
        many deliveries it finished."""
        await self.recover()
        async with self.db.session() as session:
            campaign_ids = await queue.runnable_campaigns(session, now=clock.now())
        done = await asyncio.gather(*(self._run_campaign(cid) for cid in campaign_ids))
        return sum(done)

    async def recover(self) -> queue.Recovered:
        """Takes back the rows of workers whose lease ran out (see queue.recover_expired)."""
        async with self.db.session() as session:
            await telegram.record_sender_health(session=session, transports=self.transports)
            await safety.end_elapsed_cooldowns(session=session)  # audited before sends resume
            senders = await telegram.load_senders(session=session, transports=self.transports)
            idempotent = {s.id for s in senders if s.deduplicates_resends}
            recovered = await queue.recover_expired(
                session, now=clock.now(), idempotent_senders=idempotent
            )
        if recovered.requeued or recovered.in_doubt or recovered.dead:
            log.warning(
                "worker.leases_recovered",
                worker_id=self.worker_id,
                requeued=recovered.requeued,
                in_doubt=recovered.in_doubt,
                dead=recovered.dead,
            )
        return recovered

    async def _run_campaign(self, campaign_id: int) -> int:
        """Pipelines one campaign's chunks: claim the next while this one sends, record the
        previous meanwhile."""
        finished = 0
        deadline = time.monotonic() + RUN_SLICE_S
        self._campaigns.pop(campaign_id, None)  # read afresh once per slice
        chunk = await self._process_chunk(campaign_id)
        recording: asyncio.Task[int] | None = None
        try:
            while chunk is not None:
                sending = asyncio.create_task(self._send_chunk(chunk))
                upcoming = None
                if time.monotonic() < deadline:
                    upcoming = await self._process_chunk(campaign_id)
                await sending
                if recording is not None:
                    finished += await recording
                recording = asyncio.create_task(self._record_chunk(chunk))
                chunk = upcoming
            if recording is not None:
                finished += await recording
        except Exception:
            # What was claimed and not recorded is left to lease expiry and recovery, exactly
            # as if this worker had died: no guess about what was sent.
            self._in_flight.clear()
            raise
        return finished

    async def _process_chunk(self, campaign_id: int) -> _Chunk | None:
        """Claims a chunk and pre-checks each delivery at send time (consent, render, content),
        in one transaction; the ones that fail are decided here and never sent."""
        async with self.db.session() as session:
            campaign = self._campaigns.get(campaign_id) or await _load_campaign(
                session, self.transports, campaign_id
            )
            if campaign is None:
                return None
            self._campaigns[campaign_id] = campaign
            sender, variants, purpose = campaign.sender, campaign.variants, campaign.purpose
            sender_id, profile = sender.id, sender.profile
            limiter = await self._limiter(session, sender_id, profile)
            if await safety.sender_paused(session=session, sender_id=sender_id):
                return None  # cooling down (account health): its deliveries wait, queued
            claimed = await queue.claim(
                session,
                campaign_id=campaign_id,
                worker_id=self.worker_id,
                limit=self._chunk_size(limiter),
                lease_s=self.lease_s,
                now=clock.now(),
            )
            if not claimed:
                return None
            self._in_flight.update(job.id for job in claimed)
            chunk = _Chunk(
                campaign_id=campaign_id,
                sender_id=sender_id,
                profile=profile,
                sends=[],
                purpose=purpose,
                journaled=not sender.deduplicates_resends,
            )
            contacts = await _load_contacts(session, claimed)
            consent = await compliance.consent_in_force(
                session=session,
                contact_ids=[job.contact_id for job in claimed],
                sender_id=sender_id,
                purpose=purpose,
            )
            policy = await safety.load_content_policy(session=session, rules=self.rules)
            # Send windows and quiet hours in the contact's zone, and the frequency cap.
            holds = await send_holds.hold_unsendable(session, claimed, cap=self.cap)
            # A bot's marketing message carries a way out (the rules add the line or block).
            way_out = profile.name != "user" and purpose == "marketing"
            policy.prepare_many(  # one scan a chunk
                render_chunk(claimed, variants, contacts), marketing_from_bot=way_out
            )
            for job in claimed:
                hold = holds.get(job.id)
                decision = (
                    hold.change(job.attempts)
                    if hold is not None
                    else self._check_before_send(
                        job, variants, contacts, consent, policy, profile, way_out=way_out
                    )
                )
                if isinstance(decision, _Send):
                    chunk.sends.append(decision)
                else:
                    chunk.outcomes.other[job.id] = decision
            if chunk.outcomes.other:  # decided without a send: written with the claim
                await queue.record(
                    session,
                    worker_id=self.worker_id,
                    outcomes=chunk.outcomes,
                    now=clock.now(),
                    campaign_id=chunk.campaign_id,
                )
                chunk.decided_early = len(chunk.outcomes.other)
                self._in_flight.difference_update(chunk.outcomes.other)
                chunk.outcomes = Outcomes()
        return chunk

    def _check_before_send(
        self,
        job: ClaimedDelivery,
        variants: dict[str, VariantTexts],
        contacts: dict[int, dict[str, Any]],
        consent: dict[int, bool],
        policy: ContentPolicy,
        profile: telegram.SenderProfile,
        *,
        way_out: bool = True,
    ) -> _Send | dict[str, Any]:
        """Returns the send, or the columns of a delivery that must not be sent now."""
        if not consent.get(job.contact_id, False):
            return {"status": queue.SKIPPED, "reason": "no_consent"}
        contact = contacts.get(job.contact_id)
        if contact is None:
            return {"status": queue.SKIPPED, "reason": "contact_erased"}
        template = variants[job.variant_key].for_language(contact.get("language"))
        text = render_text(template, contact)
        parts = _message_parts(variants[job.variant_key])
        caption = variants[job.variant_key].image_url is not None
        text, verdict = policy.prepare(  # the exact text sent, with the way out if added
            text,
            buttons=parts["buttons"],
            caption=caption,
            max_len=profile.max_len(caption=caption),
            marketing_from_bot=way_out,
        )
        if not verdict.allowed:
            codes = ",".join(r.code for r in verdict.reasons if r.severity == "block")
            return {"status": queue.SKIPPED, "reason": f"content_blocked:{codes}"[:255]}
        if self.links is not None:  # after the check, which must see the real target domains
            text = analytics.track_links(
                text,
                tracker=self.links,
                delivery_id=job.id,
                campaign_id=job.campaign_id,
                contact_id=job.contact_id,
                variant_key=job.variant_key,
                now=clock.now(),
            )
        chat_id = contact["telegram_id"]
        return _Send(
            job=job,
            chat_id=chat_id,
            chat_kind=telegram.chat_kind_of(chat_id),
            text=text,
            parts=parts,
        )

    async def _send_chunk(self, chunk: _Chunk) -> None:
        """Sends a chunk's messages concurrently (at most `max_in_flight` requests under way):
        the limiter orders them into slots, so a chat that must wait never holds up the others.
        Through a transport without an idempotency key, group by group (_journal_attempts)."""
        limiter = self._limiters[chunk.sender_id]
        await self._drop_withdrawn(chunk)
        if not chunk.journaled:
            await asyncio.gather(*(self._deliver(chunk, item, limiter) for item in chunk.sends))
            return
        # No idempotency key: a few at a time, each group journaled as attempted (together with
        # the previous group's outcomes) before its first request, so a kill leaves at most one
        # group in doubt.
        size = min(journal_group_size(chunk.profile), self._max_in_flight)
        for start in range(0, len(chunk.sends), size):
            group = chunk.sends[start : start + size]
            held = await self._journal_attempts(chunk, group)
            await asyncio.gather(
                *(self._deliver(chunk, item, limiter) for item in group if item.job.id in held)
            )

    async def _journal_attempts(self, chunk: _Chunk, group: list[_Send]) -> set[int]:
        """Writes the outcomes so far and marks `group` attempted, in one transaction; returns
        the rows still this worker's (only those may be sent). If that fails, the group is
        handed back unsent and the outcomes stay for the chunk's record."""
        try:
            async with self.db.session() as session:
                await queue.record(
                    session,
                    worker_id=self.worker_id,
                    outcomes=chunk.outcomes,
                    now=clock.now(),
                    campaign_id=chunk.campaign_id,
                )
                if chunk.events:
                    await analytics.record_events(session=session, events=chunk.events)
                held = await queue.journal_attempts(
                    session,
                    worker_id=self.worker_id,
                    delivery_ids=[item.job.id for item in group],
                    now=clock.now(),
                )
        except Exception:
            log.exception("worker.attempt_journal_failed", campaign_id=chunk.campaign_id)
            for item in group:
                chunk.outcomes.other[item.job.id] = queue.put_back(
                    item.job.attempts, until=None, reason="attempt_journal_failed"
                )
            return set()
        requeued = sum(1 for v in chunk.outcomes.other.values() if v["status"] == queue.QUEUED)
        chunk.decided_early += len(chunk.outcomes) - requeued
        chunk.outcomes, chunk.events = Outcomes(), []
        return held

    async def _drop_withdrawn(self, chunk: _Chunk) -> None:
        """Checks consent once more just before the chunk goes out: a STOP that arrived after
        the claim (the previous chunk was still sending) is honoured, not sent past."""
        if not chunk.sends:
            return
        async with self.db.session() as session:
            consent = await compliance.consent_in_force(
                session=session,
                contact_ids=[item.job.contact_id for item in chunk.sends],
                sender_id=chunk.sender_id,
                purpose=chunk.purpose,
            )
        keep = []
        for item in chunk.sends:
            if consent.get(item.job.contact_id, False):
                keep.append(item)
            else:
                chunk.outcomes.other[item.job.id] = {
                    "status": queue.SKIPPED,
                    "reason": "no_consent",
                }
                self._in_flight.discard(item.job.id)
        chunk.sends = keep

    async def _deliver(self, chunk: _Chunk, item: _Send, limiter: safety.SenderLimiter) -> None:
        job = item.job
        async with self._requests:  # bounds the requests under way (and so those in doubt)
            busy_s = await limiter.acquire(item.chat_id, item.chat_kind, max_wait_s=MAX_CHAT_WAIT_S)
            if busy_s is not None:  # the chat, or the paused sender, is not ready for a while
                until = clock.now() + timedelta(seconds=busy_s)
                chunk.outcomes.other[job.id] = queue.put_back(
                    job.attempts, until=until, reason="sender_or_chat_busy"
                )
                return
            stopped = self._gate.hold(job.campaign_id, job.attempts)  # paused or cancelled
            if stopped is not None:
                chunk.outcomes.other[job.id] = stopped
                return
            outcome = await self._send(
                sender_id=job.sender_id,
                profile_name=chunk.profile.name,
                message=telegram.OutgoingMessage(
                    chat_id=item.chat_id,
                    text=item.text,
                    chat_kind=item.chat_kind,
                    random_id=job.random_id,
                    tags={"campaign_id": str(job.campaign_id), "variant_key": job.variant_key},
                    **item.parts,
                ),
            )
            # The answer bounds when Telegram counted the send.
            limiter.sent(item.chat_id, answered_at=outcome.answered_at)
        await self._record_outcome(chunk, job, outcome, limiter)

    async def _record_outcome(
        self,
        chunk: _Chunk,
        job: ClaimedDelivery,
        outcome: telegram.SendOutcome,
        limiter: safety.SenderLimiter,
    ) -> None:
        now = clock.now()
        chunk.health.note(
            outcome.status.value, outcome.reason, at=now, retry_after_s=outcome.retry_after_s
        )
        if outcome.status is telegram.SendStatus.SENT:
            chunk.outcomes.sent.append((job.id, outcome.message_id))
            chunk.events.append(_event("sent", job, now))
            chunk.events.append(_event("delivered", job, now))
            return
        if outcome.status is telegram.SendStatus.RETRY_AFTER:
            # Telegram says we were too fast: our model of the limit was wrong. Pause the whole
            # sender for the time asked (every worker, in scale mode) and learn a lower rate.
            wait_s = outcome.retry_after_s or 1.0
            chunk.learned = await limiter.flood_wait(wait_s)
            log.warning(
                "delivery.flood_wait",
                sender_id=job.sender_id,
                retry_after_s=wait_s,
                rate_share=round(chunk.learned.share, 4),
            )
            chunk.outcomes.other[job.id] = queue.put_back(
                job.attempts, until=now + timedelta(seconds=wait_s), reason="flood_wait"
            )
            return
        reason = (outcome.reason or outcome.status.value)[:255]
        if outcome.status is telegram.SendStatus.SENDER_UNHEALTHY:
            # The sender itself cannot send (PEER_FLOOD pause, revoked session, ban): its
            # recipients wait for it, without spending attempts, and never move to another
            # account (that would be evading Telegram's anti-spam).
            chunk.outcomes.other[job.id] = queue.put_back(
                job.attempts, until=now + timedelta(seconds=SENDER_HOLD_S), reason=reason
            )
            return
        if outcome.status is telegram.SendStatus.PERMANENT:
            chunk.outcomes.other[job.id] = {"status": queue.FAILED, "reason": reason}
            chunk.events.append(_event("failed", job, now, reason=reason))
            return
        retry = queue.retry_later(job.attempts, reason=reason, now=now)
        if retry["status"] == queue.DEAD:
            log.warning("delivery.dead_lettered", delivery_id=job.id, reason=reason)
            chunk.events.append(_event("failed", job, now, reason=reason))
        chunk.outcomes.other[job.id] = retry

    async def _record_chunk(self, chunk: _Chunk) -> int:
        """Writes a chunk's outcomes and events in one transaction; returns how many finished."""
        async with self.db.session() as session:
            await queue.record(
                session,
                worker_id=self.worker_id,
                outcomes=chunk.outcomes,
                now=clock.now(),
                campaign_id=chunk.campaign_id,
            )
            if chunk.events:
                await analytics.record_events(session=session, events=chunk.events)
            if chunk.learned is not None:
                await safety.save_learned_rate(
                    session=session, sender_id=chunk.sender_id, learned=chunk.learned
                )
            await safety.record_send_outcomes(
                session=session,
                sender_id=chunk.sender_id,
                profile_name=chunk.profile.name,
                tally=chunk.health,
            )
        self._in_flight.difference_update(item.job.id for item in chunk.sends)
        requeued = sum(1 for v in chunk.outcomes.other.values() if v["status"] == queue.QUEUED)
        return chunk.decided_early + len(chunk.outcomes) - requeued

    async def _keep_leases(self, stop: asyncio.Event) -> None:
        """Renews this worker's leases and recovers expired ones, a few times per lease."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.lease_s / 3)
                return
            except TimeoutError:
                pass
            try:
                async with self.db.session() as session:
                    await queue.renew_leases(
                        session,
                        worker_id=self.worker_id,
                        delivery_ids=sorted(self._in_flight),
                        lease_s=self.lease_s,
                        now=clock.now(),
                    )
                await self.recover()
            except Exception:
                log.exception("worker.lease_keeping_failed", worker_id=self.worker_id)

    async def _limiter(
        self, session: AsyncSession, sender_id: int, profile: telegram.SenderProfile
    ) -> safety.SenderLimiter:
        limiter = self._limiters.get(sender_id)
        if limiter is None or limiter.profile != profile:
            learned = await safety.load_learned_rate(session=session, sender_id=sender_id)
            limiter = self.limits.limiter(sender_id, profile, learned)
            self._limiters[sender_id] = limiter
        return limiter

    def _chunk_size(self, limiter: safety.SenderLimiter) -> int:
        """Returns about `chunk_s` seconds of sending at the sender's rate, within the batch."""
        rate = limiter.profile.global_per_s
        return max(1, min(self.batch_size, math.ceil(rate * self.chunk_s)))

    async def close(self) -> None:
        """Releases the limits' connections (Redis)."""
        await self.limits.close()


def journal_group_size(profile: telegram.SenderProfile) -> int:
    """Returns how many sends of a sender without an idempotency key are journaled (and under
    way) together: about JOURNAL_WINDOW_S of its rate, within MIN_JOURNAL_GROUP and
    MAX_REQUESTS_IN_FLIGHT."""
    size = math.ceil(profile.global_per_s * JOURNAL_WINDOW_S)
    return max(MIN_JOURNAL_GROUP, min(MAX_REQUESTS_IN_FLIGHT, size))


def _message_parts(variant: VariantTexts) -> dict[str, Any]:
    """Returns a variant's image and link buttons as OutgoingMessage fields."""
    return {
        "media": telegram.Media(kind="photo", url=variant.image_url) if variant.image_url else None,
        "buttons": tuple((telegram.Button(text=label, url=url),) for label, url in variant.buttons),
    }


def _event(
    kind: str, job: ClaimedDelivery, now: datetime, reason: str | None = None
) -> analytics.EventCreate:
    # Built from the delivery row the worker claimed (ids and a key the database holds), so not
    # validated again: validation cost about 15 µs an event in a profile, two events a message.
    return analytics.EventCreate.model_construct(
        type=analytics.EventType(kind),
        campaign_id=job.campaign_id,
        variant_key=job.variant_key,
        contact_id=job.contact_id,
        sender_id=job.sender_id,
        occurred_at=now,
        properties={"reason": reason} if reason else {},
    )


def _worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


async def _load_campaign(
    session: AsyncSession, transports: telegram.TransportPool, campaign_id: int
) -> _CampaignToSend | None:
    """Returns what the worker keeps of a campaign while it sends it, or None."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    sender = await telegram.load_sender(
        session=session, transports=transports, sender_id=campaign.sender_id
    )
    variants = {v.key: VariantTexts.of(v) for v in campaign.variants}
    return _CampaignToSend(sender=sender, variants=variants, purpose=campaign.purpose)


async def _load_contacts(
    session: AsyncSession, jobs: list[ClaimedDelivery]
) -> dict[int, dict[str, Any]]:
    """Returns what rendering and sending need of each contact, in one query per IN_LIST_CHUNK."""
    ids = [j.contact_id for j in jobs]
    contacts: dict[int, dict[str, Any]] = {}
    for chunk in in_chunks(ids):
        rows = await session.execute(
            select(
                Contact.id,
                Contact.telegram_id,
                Contact.first_name,
                Contact.username,
                Contact.language,
            ).where(Contact.id.in_(chunk))
        )
        for contact_id, telegram_id, first_name, username, language in rows:
            contacts[contact_id] = {
                "telegram_id": telegram_id,
                "first_name": first_name,
                "username": username,
                "language": language,
            }
    return contacts

"""Periodic jobs of the orchestrator: make the runs of recurring campaigns, start due campaigns,
complete finished ones, recount the stalest segment size, and pull inbound events (reads, clicks,
replies, /stop) from every sender.

The active scheduler runs two loops side by side: the periodic jobs every `poll_s`, and the
inbound loop, which only pulls updates, stores and applies them and hands the consent bot's
answers to the responder, every `inbound_poll_s`. So a /start or a STOP is answered within a
fraction of a second even while a job (a results summary waiting for the LLM, a large rollout)
takes long; before, the first answer waited for the whole tick.

Exactly one scheduler is active. On PostgreSQL the active one holds the leader lease
(leader.py); the others stand by and take it when its holder's session ends (a crash closes
it). On SQLite there is one process, so the scheduler simply runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from marketing_agent.core.auth import Principal, Role
from marketing_agent.core.logging import get_logger
from marketing_agent.orchestrator import flows, privacy_jobs, reviews, rollout, service
from marketing_agent.orchestrator.leader import LEADER_LOCK_KEY, SchedulerLease
from marketing_agent.safety import service as safety
from marketing_agent.telegram import service as telegram

if TYPE_CHECKING:
    from marketing_agent.runtime import Runtime

log = get_logger(__name__)


def summary_writer() -> Principal:
    """Returns whom the strategist acts as when it writes a summary: an analyst, who reads
    results and nothing else."""
    return Principal(user_id=0, username=flows.SYSTEM_ACTOR, role=Role.ANALYST, via="system")


RESPONDER_BATCH = 25  # stored updates applied per transaction when answers go out meanwhile


INBOUND_POLL_S = 0.1  # how often the inbound loop looks for updates the transports received


async def tick(runtime: Runtime, responder: flows.Responder | None = None) -> None:
    """Runs every periodic job and one inbound pull, once (the one-shot form of the scheduler's
    two loops); the consent bot's answers go through `responder` when given (in the
    background), else they are sent before it returns."""
    await run_jobs(runtime)
    await pull_inbound(runtime, responder)


async def run_jobs(runtime: Runtime) -> None:
    """Runs every periodic job once: all but the inbound pull, which has a loop of its own."""
    db = runtime.database
    async with db.session() as session:  # the health job: what transports found, pauses ended
        await telegram.record_sender_health(session=session, transports=runtime.transports)
        await safety.end_elapsed_cooldowns(session=session)
    async with db.session() as session:
        await flows.create_due_runs(session=session)
    async with db.session() as session:
        await flows.start_due_campaigns(session=session)
    async with db.session() as session:
        await rollout.advance(session=session)
    async with db.session() as session:
        finished = await flows.complete_finished_campaigns(session=session)
        await flows.skip_leftovers_of_cancelled(session=session)
        await reviews.mark_overdue(session=session)  # late reviews: the creator is told
    async with db.session() as session:  # the segment list's sizes, one stale one a tick
        await service.recount_stalest_segment(session=session)
    await write_results_summaries(runtime, finished)
    await privacy_jobs.run_due_jobs(runtime)  # retention, the audit head's export


async def write_results_summaries(runtime: Runtime, campaign_ids: Sequence[int]) -> None:
    """Has the strategist write the results summary of each campaign that just completed,
    after the completion is committed; a summary that fails is logged and never stops the
    scheduler (the campaign page then builds one from the latest figures)."""
    for campaign_id in campaign_ids:
        try:
            await runtime.strategist.write_results_summary(
                campaign_id=campaign_id, principal=summary_writer()
            )
        except Exception:
            log.exception("campaign.summary_failed", campaign_id=campaign_id)


async def pull_inbound(runtime: Runtime, responder: flows.Responder | None = None) -> int:
    """Fetches the updates of every sender, stores them (and only then confirms them to the
    sender's transport), and applies every stored update not yet applied, including those a
    crashed process had stored; returns how many analytics events were recorded."""
    db = runtime.database
    async with db.session() as session:
        senders = await telegram.load_senders(session=session, transports=runtime.transports)
    for sender in senders:
        try:
            events = await telegram.fetch_updates(
                transports=runtime.transports, sender_id=sender.id
            )
        except Exception:
            log.exception("inbound.fetch_failed", sender_id=sender.id)
            continue  # one sender's trouble never stops the others'
        if events:
            await _record_inbound(runtime, sender.id, events)
    if responder is None:
        return await flows.apply_inbound(runtime)
    # Smaller batches in the background: the first answers leave after 25 updates are applied,
    # not 200, and each batch's answers overlap the next one's transaction.
    return await flows.apply_inbound(runtime, responder=responder, batch=RESPONDER_BATCH)


async def _record_inbound(
    runtime: Runtime, sender_id: int, events: Sequence[telegram.InboundEvent]
) -> None:
    """Stores a batch of updates and, once that committed, confirms them; a batch that could
    not be stored stays unconfirmed and is fetched again (a STOP among them must never be
    lost)."""
    try:
        async with runtime.database.session() as session:
            await telegram.store_inbound(session=session, sender_id=sender_id, events=events)
    except Exception:
        log.exception("inbound.store_failed", sender_id=sender_id, events=len(events))
        return
    telegram.confirm_updates(transports=runtime.transports, sender_id=sender_id)


async def run_scheduler(
    runtime: Runtime,
    stop: asyncio.Event,
    *,
    poll_s: float = 0.5,
    leader_retry_s: float = 1.0,
    inbound_poll_s: float = INBOUND_POLL_S,
) -> None:
    """Runs the jobs and the inbound loop until `stop` is set, as the one active scheduler: on
    PostgreSQL it first waits to be the leader (standing by, retrying every `leader_retry_s`),
    and stands by again if it loses the lead; elsewhere it starts at once."""
    # The consent bot answers one batch while the next is fetched and applied: awaiting each
    # batch's answers held the next /start back for its whole send (900 /start took ~80 s).
    responder = flows.Responder(runtime)
    loops = _Loops(poll_s=poll_s, inbound_poll_s=inbound_poll_s)
    try:
        await _lead(runtime, stop, responder, loops, leader_retry_s=leader_retry_s)
    finally:
        await responder.drain()


@dataclass(frozen=True)
class _Loops:
    poll_s: float
    inbound_poll_s: float


async def _lead(
    runtime: Runtime,
    stop: asyncio.Event,
    responder: flows.Responder,
    loops: _Loops,
    *,
    leader_retry_s: float,
) -> None:
    db = runtime.database
    if db.engine.dialect.name != "postgresql":
        await _run_until(runtime, stop, responder, loops, lease=None)
        return
    lease = SchedulerLease(db.url)
    announced_standby = False
    try:
        while not stop.is_set():
            if await lease.try_acquire():
                announced_standby = False
                log.info("scheduler.leading", lock_key=LEADER_LOCK_KEY)
                await _run_until(runtime, stop, responder, loops, lease=lease)
                if not stop.is_set():
                    log.warning("scheduler.lead_lost")
                continue
            if not announced_standby:
                log.info("scheduler.standby", lock_key=LEADER_LOCK_KEY)
                announced_standby = True
            await _wait(stop, leader_retry_s)
    finally:
        await lease.release()


async def _run_until(
    runtime: Runtime,
    stop: asyncio.Event,
    responder: flows.Responder,
    loops: _Loops,
    *,
    lease: SchedulerLease | None,
) -> None:
    """Runs the jobs every `poll_s` and the inbound loop every `inbound_poll_s`, side by side,
    until `stop`, or until the lease (when there is one) is lost; then both end."""
    halt = asyncio.Event()  # stop, or the lead lost

    async def relay_stop() -> None:
        await stop.wait()
        halt.set()

    async def jobs() -> None:
        while not halt.is_set():
            if lease is not None and not await lease.still_held():
                halt.set()
                return
            try:
                await run_jobs(runtime)
            except Exception:
                log.exception("scheduler.tick_failed")
            await _wait(halt, loops.poll_s)

    async def inbound() -> None:
        while not halt.is_set():
            try:
                await pull_inbound(runtime, responder)
            except Exception:
                log.exception("scheduler.inbound_failed")
            await _wait(halt, loops.inbound_poll_s)

    relay = asyncio.create_task(relay_stop())
    try:
        await asyncio.gather(jobs(), inbound())
    finally:
        halt.set()
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

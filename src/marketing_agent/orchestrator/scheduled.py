"""Periodic jobs of the orchestrator: make the runs of recurring campaigns, start due campaigns,
complete finished ones, recount the stalest segment size, and pull inbound events (reads, clicks,
replies, /stop) from every sender.

`tick` runs each of them once; the scheduler role (scheduler_role.py) runs them in its loops.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from marketing_agent.core.auth import Principal, Role
from marketing_agent.core.logging import get_logger
from marketing_agent.orchestrator import flows, privacy_jobs, reviews, rollout, service
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

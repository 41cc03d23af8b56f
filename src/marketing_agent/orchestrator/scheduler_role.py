"""The scheduler role: the periodic jobs (scheduled.py) every `poll_s` and, side by side, the
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
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from marketing_agent.core.logging import get_logger
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.leader import LEADER_LOCK_KEY, SchedulerLease
from marketing_agent.orchestrator.scheduled import pull_inbound, run_jobs

if TYPE_CHECKING:
    from marketing_agent.runtime import Runtime

log = get_logger(__name__)

INBOUND_POLL_S = 0.1  # how often the inbound loop looks for updates the transports received


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

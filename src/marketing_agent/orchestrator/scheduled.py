"""Periodic jobs of the orchestrator: start due campaigns, complete finished ones, and pull
inbound events (reads, clicks, replies, /stop) from every sender."""

from __future__ import annotations

import asyncio

from marketing_agent.core.db import Database
from marketing_agent.core.logging import get_logger
from marketing_agent.orchestrator import flows
from marketing_agent.telegram import service as telegram

log = get_logger(__name__)


async def tick(db: Database) -> None:
    """Runs every periodic job once."""
    async with db.session() as session:
        await flows.start_due_campaigns(session=session)
    async with db.session() as session:
        await flows.complete_finished_campaigns(session=session)
    await pull_inbound(db)


async def pull_inbound(db: Database) -> int:
    """Fetches the updates of every sender and records them; returns how many were recorded."""
    async with db.session() as session:
        senders = await telegram.list_senders(session=session)
    recorded = 0
    for sender in senders:
        events = await telegram.fetch_updates(sender_id=sender.id)
        if not events:
            continue
        async with db.session() as session:
            recorded += await flows.handle_inbound(
                session=session, sender_id=sender.id, events=events
            )
    return recorded


async def run_scheduler(db: Database, stop: asyncio.Event, *, poll_s: float = 0.5) -> None:
    """Ticks until `stop` is set; a failed tick is logged and the next one goes on."""
    while not stop.is_set():
        try:
            await tick(db)
        except Exception:
            log.exception("scheduler.tick_failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=poll_s)
        except TimeoutError:
            pass

"""Pause, resume and cancel take effect within a second, on the real clock, at a bot's 30
messages a second and at a user account's one a second."""

from __future__ import annotations

import asyncio

import pytest

from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.schemas import SenderCreate, SenderKind, TransportKind
from marketing_agent.telegram.simulator import SimulatorStats
from tests.factories import counts, launch, make_contacts, runtime_of, simulator_of, transports_of
from tests.waits import wait_until

LIMIT_S = 1.0


async def make_sender_with_profile(db: Database, profile: str) -> int:
    async with db.session() as session:
        sender = await telegram.create_sender(
            session=session,
            sender_in=SenderCreate(
                name=f"Simulated {profile}",
                kind=SenderKind.BOT if profile == "bot" else SenderKind.USER,
                transport=TransportKind.SIMULATOR,
                profile=profile,
            ),
        )
        return sender.id


async def set_status(db: Database, campaign_id: int, action: str) -> float:
    """Pauses, resumes or cancels through the service; returns the loop time of the commit."""
    async with db.session() as session:
        change = getattr(orchestrator, f"{action}_campaign")
        await change(session=session, campaign_id=campaign_id, actor="test")
    return asyncio.get_running_loop().time()


@pytest.mark.parametrize(
    ("profile", "contacts", "sent_before_pause"), [("bot", 150, 15), ("user", 12, 2)]
)
async def test_pause_resume_and_cancel_take_effect_within_a_second(
    db: Database, settings: Settings, profile: str, contacts: int, sent_before_pause: int
) -> None:
    sender_id = await make_sender_with_profile(db, profile)
    await make_contacts(db, contacts, sender_id=sender_id)
    campaign_id = await launch(db, settings, sender_id=sender_id)
    await scheduled.tick(runtime_of(db))
    stop = asyncio.Event()
    worker = DeliveryWorker(db, transports=transports_of(db))
    running = asyncio.create_task(worker.run_forever(stop, idle_s=0.05))
    try:
        stats: SimulatorStats = (await simulator_of(db, sender_id)).stats
        await wait_until(lambda: stats.sent >= sent_before_pause, timeout_s=10, what="sends")

        paused_at = await set_status(db, campaign_id, "pause")
        await asyncio.sleep(LIMIT_S + 0.5)
        assert stats.last_sent_at_s is not None
        assert stats.last_sent_at_s <= paused_at + LIMIT_S, stats.last_sent_at_s - paused_at
        sent_while_paused = stats.sent

        await set_status(db, campaign_id, "resume")
        await wait_until(
            lambda: stats.sent > sent_while_paused, timeout_s=3, what="sends after resume"
        )

        cancelled_at = await set_status(db, campaign_id, "cancel")
        await asyncio.sleep(LIMIT_S + 0.5)
        assert stats.last_sent_at_s <= cancelled_at + LIMIT_S, stats.last_sent_at_s - cancelled_at
    finally:
        stop.set()
        await running
        await worker.close()

    await scheduled.tick(runtime_of(db))  # sweeps what the worker handed back after the cancel
    final = await counts(db, campaign_id)
    assert final.sent == stats.sent < contacts
    assert (final.queued, final.sending) == (0, 0)
    assert final.skipped_reasons == {"campaign_cancelled": contacts - stats.sent}

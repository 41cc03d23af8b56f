"""Send-rate efficiency: the ideal duration at a profile's limits divided by the achieved one,
through the whole worker (claim, pre-check, limiter, simulator, record), on the virtual clock,
with a mix of private chats and groups (three campaigns to the same audience, so chats repeat).

Target: at least 0.98 with zero FloodWaits."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import seed, sqlite_database, start_campaigns

from marketing_agent.core import clock
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.profiles import PROFILES
from marketing_agent.telegram.simulator import BehaviourModel, RecipientBehaviour

CASES = (("bot", 1500), ("paid_broadcast", 10_000), ("user", 150))  # contacts; x3 campaigns
CAMPAIGNS = 3
GROUP_SHARE = 0.05


async def measure(profile_name: str, contacts: int) -> tuple[int, float, float, int]:
    previous = clock.set_clock(VirtualClock())
    try:
        db = await sqlite_database()
        transports = telegram.open_transports()
        sender_id = await seed(
            db, transports=transports, contacts=contacts, profile=profile_name, group_share=0.05
        )
        transports.configure_simulator(
            sender_id, behaviour=BehaviourModel(default=RecipientBehaviour(read_p=0.0))
        )
        campaign_ids = await start_campaigns(db, sender_id=sender_id, count=CAMPAIGNS)
        worker = DeliveryWorker(db, transports=transports, batch_size=1000)
        while await _pending(db, campaign_ids):
            if not await worker.run_once():
                await clock.get_clock().sleep(0.05)  # only deliveries handed back for later
        stats = transports.simulator(sender_id).stats
        rate = PROFILES[profile_name].global_per_s
        ideal_s = (stats.sent - 1) / rate
        achieved_s = (stats.last_sent_at_s or 0.0) - (stats.first_sent_at_s or 0.0)
        await transports.close_all()
        await db.dispose()
        return stats.sent, ideal_s, achieved_s, stats.flood_waits
    finally:
        clock.set_clock(previous)


async def _pending(db: Database, campaign_ids: list[int]) -> int:
    async with db.session() as session:
        counts = await orchestrator.delivery_counts(session=session, campaign_ids=campaign_ids)
    return sum(c.queued + c.sending for c in counts.values())


async def main() -> None:
    print(
        f"{'profile':<16}{'messages':>9}{'ideal s':>10}{'achieved s':>12}{'efficiency':>12}"
        f"{'FloodWaits':>12}"
    )
    for profile_name, contacts in CASES:
        # One process per profile: nothing of one run (pool, limiters, clock) reaches the next.
        result = subprocess.run(  # noqa: ASYNC221 (one child at a time, by design)
            [sys.executable, __file__, profile_name, str(contacts)],
            capture_output=True,
            text=True,
            check=True,
        )
        print(result.stdout.strip().splitlines()[-1])


async def one_case(profile_name: str, contacts: int) -> None:
    sent, ideal_s, achieved_s, floods = await measure(profile_name, contacts)
    efficiency = ideal_s / achieved_s if achieved_s else 0.0
    print(
        f"{profile_name:<16}{sent:>9}{ideal_s:>10.2f}{achieved_s:>12.2f}"
        f"{efficiency:>12.4f}{floods:>12}"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3:
        asyncio.run(one_case(sys.argv[1], int(sys.argv[2])))
    else:
        asyncio.run(main())

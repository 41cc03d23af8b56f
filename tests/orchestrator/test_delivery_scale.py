"""Scale mode for real: `marketing-agent worker` processes on PostgreSQL and Redis, one simulated
Telegram that counts what it received across them (the simulator's receipt ledger in Redis), and
workers killed with SIGKILL at random instants and restarted.

Each run ends with: every consenting recipient got exactly one message (or is `in_doubt`,
counted), nobody got two, and the bot's rate was never exceeded, measured on the receipts.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis.asyncio as redis
from sqlalchemy import insert

from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.schemas import ConsentCreate
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator.models import Contact
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.ledger import read_receipts, record_started_chats
from marketing_agent.telegram.profiles import PROFILES
from marketing_agent.telegram.schemas import SenderCreate, SenderKind, TransportKind
from tests.conftest import REDIS_URL
from tests.factories import counts, start_campaign

pytestmark = [pytest.mark.multiprocess, pytest.mark.postgres, pytest.mark.redis]
RATE = PROFILES["paid_broadcast"].global_per_s


async def _audience(db: Database, size: int, prefix: str) -> int:
    """Creates a paid-broadcast simulator bot and `size` consenting contacts, who started it
    (in the ledger, for every worker's simulator); returns the bot."""
    async with db.session() as session:
        sender = await telegram.create_sender(
            session=session,
            sender_in=SenderCreate(
                name="Broadcast bot",
                kind=SenderKind.BOT,
                transport=TransportKind.SIMULATOR,
                profile="paid_broadcast",
            ),
        )
        rows = [
            {"telegram_id": 500_000 + n, "first_name": f"P{n}", "tags": [], "attributes": {}}
            for n in range(size)
        ]
        ids: list[int] = []
        for start in range(0, size, 5000):
            result = await session.execute(
                insert(Contact).returning(Contact.id), rows[start : start + 5000]
            )
            ids += list(result.scalars())
        await compliance.record_consents(
            session=session,
            consents=[
                ConsentCreate(
                    contact_id=i,
                    sender_id=sender.id,
                    purpose="marketing",
                    source="test",
                    proof={"text": "yes"},
                )
                for i in ids
            ],
            actor="test",
        )
    client = redis.Redis.from_url(REDIS_URL)
    await record_started_chats(
        client, prefix=prefix, sender_id=sender.id, chat_ids=[r["telegram_id"] for r in rows]
    )
    await client.aclose()
    return sender.id


def _start_worker(db: Database, prefix: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MA_DATABASE_URL": db.url,
        "MA_REDIS_URL": REDIS_URL,
        "MA_REDIS_PREFIX": prefix,
        "MA_SIMULATOR_LEDGER": "true",
        "MA_DATA_DIR": str(tmp_path),
        "MA_LOG_LEVEL": "WARNING",
        "MA_WORKER_LEASE_S": "2",
        "MA_WORKER_POLL_S": "0.1",
        "MA_WORKER_BATCH_SIZE": "250",
        "MA_QUIET_HOURS": "off",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "marketing_agent.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "worker.log").open("ab"),
    )


async def _wait_until_done(db: Database, campaign_id: int, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = await counts(db, campaign_id)
        if state.queued == 0 and state.sending == 0:
            return
        await asyncio.sleep(0.5)
    pytest.fail(f"campaign {campaign_id} not done in {timeout_s} s: {state}")


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for process in workers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in workers:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


async def _assert_exactly_once(
    db: Database, prefix: str, sender_id: int, campaign_id: int, audience: int
) -> None:
    final = await counts(db, campaign_id)
    client = redis.Redis.from_url(REDIS_URL)
    receipts = await read_receipts(client, prefix=prefix, sender_id=sender_id)
    await client.aclose()
    assert final.sent + final.in_doubt == audience
    assert final.failed == final.dead == final.skipped == 0
    assert receipts.duplicates == 0  # nobody got a message twice
    assert max(receipts.received.values()) == 1
    # Every recipient marked sent received it; an in-doubt one may or may not have.
    assert final.sent <= len(receipts.received) <= audience
    assert receipts.max_in_window(1.0) <= RATE  # the bot's rate, across all workers


async def test_three_worker_processes_send_20000_messages_once_each_at_the_bot_rate(
    pg_db: Database, settings: Settings, redis_prefix: str, tmp_path: Path
) -> None:
    audience = 20_000
    sender_id = await _audience(pg_db, audience, redis_prefix)
    campaign_id = await start_campaign(pg_db, settings, sender_id=sender_id)
    workers = [_start_worker(pg_db, redis_prefix, tmp_path) for _ in range(3)]
    started = time.monotonic()
    try:
        await _wait_until_done(pg_db, campaign_id, timeout_s=300)
    finally:
        _stop(workers)
    elapsed = time.monotonic() - started

    await _assert_exactly_once(pg_db, redis_prefix, sender_id, campaign_id, audience)
    assert (await counts(pg_db, campaign_id)).in_doubt == 0  # the simulator is idempotent
    print(f"\n20,000 messages, 3 workers: {elapsed:.1f} s, {audience / elapsed:.0f}/s")


async def test_workers_killed_at_random_instants_and_restarted_lose_and_repeat_nothing(
    pg_db: Database, settings: Settings, redis_prefix: str, tmp_path: Path
) -> None:
    audience = 8_000
    sender_id = await _audience(pg_db, audience, redis_prefix)
    campaign_id = await start_campaign(pg_db, settings, sender_id=sender_id)
    workers = [_start_worker(pg_db, redis_prefix, tmp_path) for _ in range(3)]
    rng = random.Random(2026)
    kills = 0
    try:
        await asyncio.sleep(1.5)  # the workers are up and sending
        while kills < 12:
            await asyncio.sleep(rng.uniform(0.2, 0.8))
            state = await counts(pg_db, campaign_id)
            if state.queued == 0 and state.sending == 0:
                break
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            kills += 1
            workers[victim] = _start_worker(pg_db, redis_prefix, tmp_path)
        await _wait_until_done(pg_db, campaign_id, timeout_s=300)
    finally:
        _stop(workers)

    assert kills >= 10, f"the campaign ended after {kills} kills; make it longer"
    await _assert_exactly_once(pg_db, redis_prefix, sender_id, campaign_id, audience)
    client = redis.Redis.from_url(REDIS_URL)
    receipts = await read_receipts(client, prefix=redis_prefix, sender_id=sender_id)
    await client.aclose()
    print(f"\n{kills} kills; resends deduplicated by random_id: {receipts.deduplicated}")

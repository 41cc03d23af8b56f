"""Pipeline overhead: messages per second through claim → pre-check (consent, render, content)
→ send (simulator, zero latency, no limits) → record → events, on the real clock.

Embedded (SQLite, one worker) and PostgreSQL (MA_BENCH_POSTGRES_URL, default the local test
server; one worker). Also the peak Python memory (tracemalloc) of the embedded run, which holds
its whole audience in flight in the database. Target: ≥ 5,000/s embedded on one core."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import UNBOUNDED, seed, sqlite_database, start_campaigns
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from marketing_agent.core.db import Database
from marketing_agent.migrate import upgrade
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.safety.ratelimit import NoRateLimits
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.simulator import BehaviourModel, RecipientBehaviour

POSTGRES = os.environ.get("MA_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1/test")
MESSAGES = int(os.environ.get("MA_BENCH_MESSAGES", "20000"))


async def run(db: Database, *, trace_memory: bool = False) -> tuple[float, float]:
    """Returns (messages per second, peak traced MiB) of one worker draining a campaign."""
    sender_id = await seed(db, contacts=MESSAGES, profile=UNBOUNDED.name)
    telegram.pool().configure_simulator(
        sender_id, behaviour=BehaviourModel(default=RecipientBehaviour(read_p=0.0))
    )
    await start_campaigns(db, sender_id=sender_id)
    worker = DeliveryWorker(db, batch_size=1000, limits=NoRateLimits())
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    done = 0
    while finished := await worker.run_once():
        done += finished
    elapsed = time.perf_counter() - started
    peak_mib = 0.0
    if trace_memory:
        peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    assert telegram.pool().simulator(sender_id).stats.sent == MESSAGES, done
    await telegram.shutdown()
    return MESSAGES / elapsed, peak_mib


async def postgres_database() -> tuple[Database, str]:
    admin = create_async_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"ma_bench_{uuid.uuid4().hex[:8]}"
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    await upgrade(url)
    return Database(url), name


async def drop(name: str) -> None:
    admin = create_async_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def main() -> None:
    db = await sqlite_database()
    rate, _ = await run(db)
    await db.dispose()
    print(f"embedded (SQLite), 1 worker: {rate:,.0f} messages/s over {MESSAGES:,}")
    db = await sqlite_database()
    _, peak = await run(db, trace_memory=True)
    await db.dispose()
    print(f"  peak traced Python memory while sending {MESSAGES:,} (embedded): {peak:.1f} MiB")
    pg, name = await postgres_database()
    try:
        rate, _ = await run(pg)
        print(f"PostgreSQL, 1 worker:         {rate:,.0f} messages/s over {MESSAGES:,}")
    finally:
        await pg.dispose()
        await drop(name)


if __name__ == "__main__":
    asyncio.run(main())

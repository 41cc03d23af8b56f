"""Pipeline overhead: messages per second through claim → pre-check (consent, render, content)
→ send (simulator, zero latency, no limits) → record → events, on the real clock.

Embedded (SQLite, one worker); PostgreSQL (MA_BENCH_POSTGRES_URL, default the local test server)
with one worker in this process, then 1, 2 and 4 worker processes. Also the peak Python memory
(tracemalloc) of the embedded run, whose whole audience is in flight in the database.
Also both in-process runs with the attempt journal of a Bot API sender. MA_BENCH_PROCESSES=0
skips the worker-process runs. Target: at least 5,000/s embedded on one core."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import UNBOUNDED, chat_ids, seed, sqlite_database, start_campaigns
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from marketing_agent.core.db import Database
from marketing_agent.migrate import upgrade
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.safety.ratelimit import NoRateLimits
from marketing_agent.telegram import sender_info
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.simulator import BehaviourModel, RecipientBehaviour

POSTGRES = os.environ.get("MA_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1/test")
MESSAGES = int(os.environ.get("MA_BENCH_MESSAGES", "20000"))


async def run(db: Database, *, trace_memory: bool = False) -> tuple[float, float]:
    """Returns (messages per second, peak traced MiB) of one worker draining a campaign."""
    transports = telegram.open_transports()
    sender_id = await seed(db, transports=transports, contacts=MESSAGES, profile=UNBOUNDED.name)
    transports.configure_simulator(
        sender_id, behaviour=BehaviourModel(default=RecipientBehaviour(read_p=0.0))
    )
    await start_campaigns(db, sender_id=sender_id)
    worker = DeliveryWorker(db, transports=transports, batch_size=1000, limits=NoRateLimits())
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
    assert transports.simulator(sender_id).stats.sent == MESSAGES, done
    await transports.close_all()
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


async def worker_process(url: str) -> None:
    """One worker of the multi-process run: says it is ready, then drains the queue."""
    db = Database(url)
    transports = telegram.open_transports()
    worker = DeliveryWorker(db, transports=transports, batch_size=1000, limits=NoRateLimits())
    async with db.session() as session:  # this process's simulator learns who started the bot
        for sender in await telegram.list_senders(session=session):
            transports.started_chats(sender.id).update(chat_ids(MESSAGES))
    print("ready", flush=True)
    sys.stdin.readline()  # the campaign has started
    while True:
        if await worker.run_once():
            continue
        async with db.session() as session:
            campaign_ids = await orchestrator.list_campaigns(session=session)
            counts = await orchestrator.delivery_counts(
                session=session, campaign_ids=[c.id for c in campaign_ids[0]]
            )
        if not any(c.queued or c.sending for c in counts.values()):
            break
        await asyncio.sleep(0.01)
    await transports.close_all()
    await db.dispose()


async def run_processes(workers: int) -> float:
    """Returns messages per second of `workers` worker processes on a fresh PostgreSQL."""
    pg, name = await postgres_database()
    try:
        sender_id = await seed(
            pg, transports=telegram.open_transports(), contacts=MESSAGES, profile=UNBOUNDED.name
        )
        processes = [
            subprocess.Popen(  # noqa: ASYNC220 (started once, before the measurement)
                [sys.executable, __file__, "--worker", pg.url],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ, "MA_LOG_LEVEL": "ERROR"},
            )
            for _ in range(workers)
        ]
        for process in processes:
            assert process.stdout is not None
            process.stdout.readline()  # imported, connected: ready
        await start_campaigns(pg, sender_id=sender_id)
        started = time.perf_counter()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            process.stdin.flush()
        for process in processes:
            process.wait()
        elapsed = time.perf_counter() - started
        async with pg.session() as session:
            campaigns, _ = await orchestrator.list_campaigns(session=session)
            counts = await orchestrator.delivery_counts(
                session=session, campaign_ids=[c.id for c in campaigns]
            )
        assert sum(c.sent for c in counts.values()) == MESSAGES, counts
        return MESSAGES / elapsed
    finally:
        await pg.dispose()
        await drop(name)


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
        print(f"PostgreSQL, 1 worker (in this process): {rate:,.0f} messages/s")
    finally:
        await pg.dispose()
        await drop(name)
    await run_journaled()
    if os.environ.get("MA_BENCH_PROCESSES", "1") == "0":
        return
    for workers in (1, 2, 4):
        rate = await run_processes(workers)
        print(f"PostgreSQL, {workers} worker process(es): {rate:,.0f} messages/s")


async def run_journaled() -> None:
    """The same runs with the attempt journal a Bot API sender needs (the simulator treated as
    a transport without an idempotency key): groups of worker.journal_group_size, each journaled
    as attempted with the previous group's outcomes in one transaction."""
    idempotent = sender_info.DEDUPLICATING_TRANSPORTS
    sender_info.DEDUPLICATING_TRANSPORTS = frozenset()
    try:
        db = await sqlite_database()
        rate, _ = await run(db)
        await db.dispose()
        print(f"embedded (SQLite), 1 worker, attempt journal: {rate:,.0f} messages/s")
        pg, name = await postgres_database()
        try:
            rate, _ = await run(pg)
            print(
                f"PostgreSQL, 1 worker (in this process), attempt journal: {rate:,.0f} messages/s"
            )
        finally:
            await pg.dispose()
            await drop(name)
    finally:
        sender_info.DEDUPLICATING_TRANSPORTS = idempotent


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        asyncio.run(worker_process(sys.argv[2]))
    else:
        asyncio.run(main())

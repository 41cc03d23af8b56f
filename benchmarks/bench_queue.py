"""The queue itself, two ways, for the choice in docs/architecture.md:

1. PostgreSQL rows (what we ship): claim a chunk (`UPDATE … WHERE id IN (SELECT … FOR UPDATE
   SKIP LOCKED) RETURNING`) and record it sent (one executemany), 1 and 2 consumers.
2. RabbitMQ (127.0.0.1:5672, through aio-pika when it is installed): publish every delivery id
   persistently with publisher confirms, consume with manual acks. A broker carries pointers only:
   the rows must still be marked and recorded in the database, so its cost adds to (1)'s record.

Prints deliveries per second of each."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import UNBOUNDED, seed, start_campaigns
from bench_pipeline import drop, postgres_database

from marketing_agent.core import clock
from marketing_agent.core.db import Database
from marketing_agent.orchestrator import queue
from marketing_agent.telegram import service as telegram

ROWS = int(os.environ.get("MA_BENCH_QUEUE_ROWS", "20000"))
CHUNK = 200
AMQP_URL = os.environ.get("MA_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


async def consume_rows(db: Database, campaign_id: int, worker_id: str) -> int:
    """Claims and records chunks until none is left; returns how many rows."""
    done = 0
    while True:
        async with db.session() as session:
            claimed = await queue.claim(
                session,
                campaign_id=campaign_id,
                worker_id=worker_id,
                limit=CHUNK,
                lease_s=60,
                now=clock.now(),
            )
        if not claimed:
            return done
        outcomes = queue.Outcomes(sent=[(job.id, job.id) for job in claimed])
        async with db.session() as session:
            await queue.record(session, worker_id=worker_id, outcomes=outcomes, now=clock.now())
        done += len(claimed)


async def postgres_queue(consumers: int) -> float:
    pg, name = await postgres_database()
    try:
        sender_id = await seed(
            pg, transports=telegram.open_transports(), contacts=ROWS, profile=UNBOUNDED.name
        )
        (campaign_id,) = await start_campaigns(pg, sender_id=sender_id)
        started = time.perf_counter()
        counts = await asyncio.gather(
            *(consume_rows(pg, campaign_id, f"bench-{n}") for n in range(consumers))
        )
        elapsed = time.perf_counter() - started
        assert sum(counts) == ROWS, counts
        return ROWS / elapsed
    finally:
        await pg.dispose()
        await drop(name)


async def rabbitmq_queue() -> float | None:
    try:
        import aio_pika
    except ImportError:
        return None
    connection = await aio_pika.connect_robust(AMQP_URL)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=CHUNK)
        name = f"ma-bench-{os.getpid()}"
        bench_queue = await channel.declare_queue(name, durable=True, auto_delete=False)
        started = time.perf_counter()
        for start in range(0, ROWS, CHUNK):  # confirmed in batches, like our chunks
            await asyncio.gather(
                *(
                    channel.default_exchange.publish(
                        aio_pika.Message(
                            str(i).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                        ),
                        routing_key=name,
                    )
                    for i in range(start, min(start + CHUNK, ROWS))
                )
            )
        received = 0
        async with bench_queue.iterator() as messages:
            async for message in messages:
                await message.ack()
                received += 1
                if received == ROWS:
                    break
        elapsed = time.perf_counter() - started
        await bench_queue.delete(if_unused=False, if_empty=False)
        return ROWS / elapsed
    finally:
        await connection.close()


async def main() -> None:
    for consumers in (1, 2):
        rate = await postgres_queue(consumers)
        print(
            f"PostgreSQL rows, {consumers} consumer(s): {rate:,.0f} deliveries/s "
            "(claim + record sent)"
        )
    rate_mq = await rabbitmq_queue()
    if rate_mq is None:
        print("RabbitMQ: skipped (pip install aio-pika to measure it)")
    else:
        print(
            f"RabbitMQ, persistent + confirms + acks: {rate_mq:,.0f} messages/s (publish+consume)"
        )


if __name__ == "__main__":
    asyncio.run(main())

"""The worker role as a process, and the deliveries' operations for the CLI.

`marketing-agent worker` runs `run_worker`: the delivery worker alone, on the database of
MA_DATABASE_URL, with the senders' limits in Redis when MA_REDIS_URL is set, until SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

from marketing_agent.analytics import service as analytics
from marketing_agent.core.crypto import load_secret_key
from marketing_agent.core.db import Database
from marketing_agent.core.logging import configure_logging, get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import service
from marketing_agent.orchestrator.models import Delivery
from marketing_agent.orchestrator.schemas import RedriveRequest, RedriveResult
from marketing_agent.orchestrator.worker import DeliveryWorker, SendFunction
from marketing_agent.safety import service as safety
from marketing_agent.telegram import service as telegram

log = get_logger(__name__)


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Runs one delivery worker until `stop` is set or the process gets SIGTERM or SIGINT."""
    configure_logging(settings.log_level, json=settings.log_json)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    db = Database(settings.resolved_database_url)
    limits = safety.open_rate_limits(redis_url=settings.redis_url, prefix=settings.redis_prefix)
    ledger = None
    send: SendFunction | None = None
    if settings.simulator_ledger and settings.redis_url:
        from marketing_agent.telegram.ledger import SimulatorLedger

        ledger = SimulatorLedger(settings.redis_url, prefix=settings.redis_prefix)
        send = ledger.send_message
    worker = DeliveryWorker(
        db,
        batch_size=settings.worker_batch_size,
        limits=limits,
        lease_s=settings.worker_lease_s,
        chunk_s=settings.worker_chunk_s,
        send=send,
        links=analytics.tracker_of(settings, load_secret_key(settings)),
    )
    log.info(
        "worker.started",
        worker_id=worker.worker_id,
        database=db.engine.dialect.name,
        shared_limits=bool(settings.redis_url),
    )
    try:
        await worker.run_forever(stop, idle_s=settings.worker_poll_s)
    finally:
        await worker.close()
        if ledger is not None:
            await ledger.close()
        await telegram.shutdown()
        await db.dispose()
        log.info("worker.stopped", worker_id=worker.worker_id)


async def list_deliveries(
    settings: Settings, *, state: str, campaign_id: int | None, limit: int
) -> tuple[Sequence[Delivery], int]:
    """Returns deliveries in `state` (for `marketing-agent deliveries list`)."""
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            return await service.list_deliveries_in_state(
                session=session, status=state, campaign_id=campaign_id, limit=limit
            )
    finally:
        await db.dispose()


async def redrive(
    settings: Settings, *, campaign_id: int, dead: bool, in_doubt: bool, actor: str
) -> RedriveResult:
    """Queues a campaign's parked deliveries again (for `marketing-agent deliveries redrive`)."""
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            return await service.redrive_campaign(
                session=session,
                campaign_id=campaign_id,
                redrive_in=RedriveRequest(dead=dead, in_doubt=in_doubt),
                actor=actor,
            )
    finally:
        await db.dispose()

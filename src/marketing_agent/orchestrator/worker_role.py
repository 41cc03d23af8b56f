"""The worker role as a process, and the deliveries' operations for the CLI.

`marketing-agent worker` runs `run_worker` (through `runtime.serve`): the delivery worker
alone, on the runtime's database, with the runtime's limits (in Redis when MA_REDIS_URL is set),
until SIGTERM.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from marketing_agent.core.logging import get_logger
from marketing_agent.orchestrator import service
from marketing_agent.orchestrator.models import Delivery
from marketing_agent.orchestrator.schemas import RedriveRequest, RedriveResult

if TYPE_CHECKING:
    from marketing_agent.runtime import Runtime

log = get_logger(__name__)


async def run_worker(runtime: Runtime, stop: asyncio.Event) -> None:
    """Runs the runtime's delivery worker until `stop` is set (`runtime.serve` sets it
    on SIGTERM or SIGINT)."""
    worker = runtime.delivery_worker()
    log.info(
        "worker.started",
        worker_id=worker.worker_id,
        database=runtime.database.engine.dialect.name,
        shared_limits=bool(runtime.settings.redis_url),
    )
    try:
        await worker.run_forever(stop, idle_s=runtime.settings.worker_poll_s)
    finally:
        log.info("worker.stopped", worker_id=worker.worker_id)


async def list_deliveries(
    runtime: Runtime, *, state: str, campaign_id: int | None, limit: int
) -> tuple[Sequence[Delivery], int]:
    """Returns deliveries in `state` (for `marketing-agent deliveries list`)."""
    async with runtime.database.session() as session:
        return await service.list_deliveries_in_state(
            session=session, status=state, campaign_id=campaign_id, limit=limit
        )


async def redrive(
    runtime: Runtime, *, campaign_id: int, dead: bool, in_doubt: bool, actor: str
) -> RedriveResult:
    """Queues a campaign's parked deliveries again (for `marketing-agent deliveries redrive`)."""
    async with runtime.database.session() as session:
        return await service.redrive_campaign(
            session=session,
            campaign_id=campaign_id,
            redrive_in=RedriveRequest(dead=dead, in_doubt=in_doubt),
            actor=actor,
        )

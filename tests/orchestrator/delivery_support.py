"""Helpers of the delivery-engine tests: a running campaign, a worker that dies, the counts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows, service
from marketing_agent.orchestrator.schemas import CampaignCreate, DeliveryCounts, VariantIn
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.telegram.transport import SendOutcome

TEXT = "Hi {first_name}, our winter boots are 20% off this week."


async def start_campaign(db: Database, settings: Settings, *, sender_id: int) -> int:
    """Creates, approves and starts a campaign to every contact; returns its id."""
    async with db.session() as session:
        campaign = await flows.create_campaign(
            session=session,
            settings=settings,
            campaign_in=CampaignCreate(
                name="Boots",
                goal="Winter boots sale",
                sender_id=sender_id,
                variants=[VariantIn(text=TEXT)],
            ),
            actor="test",
        )
        await flows.submit_campaign(
            session=session, settings=settings, campaign_id=campaign.id, actor="test"
        )
    async with db.session() as session:
        await flows.start_due_campaigns(session=session)
    return campaign.id


async def counts(db: Database, campaign_id: int) -> DeliveryCounts:
    async with db.session() as session:
        return (await service.delivery_counts(session=session, campaign_ids=[campaign_id]))[
            campaign_id
        ]


async def drain(db: Database, worker: DeliveryWorker | None = None, rounds: int = 50) -> None:
    """Runs a worker until it finds nothing more to do."""
    worker = worker or DeliveryWorker(db)
    for _ in range(rounds):
        if not await worker.run_once():
            return


class WorkerKilled(BaseException):
    """Stands for SIGKILL inside one process: nothing after it runs, nothing is cleaned up."""


class DiesAfter:
    """A send function that passes `sends` messages to `inner`, then dies with the process:
    that call and every later one raise, as if the worker had been killed there."""

    def __init__(self, inner: Callable[..., Awaitable[SendOutcome]], *, sends: int) -> None:
        self.inner = inner
        self.left = sends
        self.made = 0

    async def __call__(self, **kwargs: Any) -> SendOutcome:
        if self.left <= 0:
            raise WorkerKilled
        self.left -= 1
        outcome = await self.inner(**kwargs)
        self.made += 1
        return outcome

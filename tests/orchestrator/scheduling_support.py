"""Helpers of the scheduling tests: contacts in time zones, launched campaigns, and a driver that
runs the scheduler and the worker on the virtual clock, jumping to the next thing due."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from marketing_agent.core import clock
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings, get_settings
from marketing_agent.orchestrator import flows, scheduled, service
from marketing_agent.orchestrator.models import Campaign, Delivery
from marketing_agent.orchestrator.schemas import (
    CampaignCreate,
    ContactCreate,
    DeliveryCounts,
    VariantIn,
)
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.orchestrator.worker import DeliveryWorker
from tests.factories import grant_consent, runtime_of

TEXT = "Hi {first_name}, our winter boots are 20% off this week."
_telegram_ids = iter(range(50_000_000, 60_000_000))


async def add_contact(
    db: Database,
    *,
    sender_id: int,
    timezone: str | None = None,
    tags: tuple[str, ...] = (),
    purposes: tuple[str, ...] = ("marketing",),
) -> int:
    """Creates a contact in `timezone` with consent to `sender_id` for `purposes`."""
    async with db.session() as session:
        contact = await service.create_contact(
            session=session,
            contact_in=ContactCreate(
                telegram_id=next(_telegram_ids),
                first_name="Alex",
                timezone=timezone,
                tags=list(tags),
            ),
        )
        for purpose in purposes:
            await grant_consent(session, contact.id, sender_id, purpose)
        return contact.id


async def launch(db: Database, settings: Settings, *, sender_id: int, **fields: Any) -> int:
    """Creates and submits a campaign (approved by policy, hence scheduled); returns its id."""
    async with db.session() as session:
        campaign = await flows.create_campaign(
            session=session,
            settings=settings,
            campaign_in=CampaignCreate(
                name=fields.pop("name", "Boots"),
                goal="Winter boots sale",
                sender_id=sender_id,
                variants=[VariantIn(text=TEXT)],
                **fields,
            ),
            actor="test",
        )
        await flows.submit_campaign(
            session=session, settings=settings, campaign_id=campaign.id, actor="test"
        )
        return campaign.id


async def counts(db: Database, campaign_id: int) -> DeliveryCounts:
    async with db.session() as session:
        found = await service.delivery_counts(session=session, campaign_ids=[campaign_id])
        return found[campaign_id]


async def deliveries(db: Database, campaign_id: int) -> dict[int, Delivery]:
    """Returns the campaign's deliveries by contact id."""
    async with db.session() as session:
        rows, _ = await service.list_deliveries(
            session=session, campaign_id=campaign_id, limit=1000
        )
        return {d.contact_id: d for d in rows}


async def campaign(db: Database, campaign_id: int) -> Campaign:
    async with db.session() as session:
        return await service.get_campaign_or_raise(session=session, campaign_id=campaign_id)


async def _next_due(db: Database) -> datetime | None:
    """Returns when something next becomes due: a held delivery or a recurring run."""
    now = clock.now()
    async with db.session() as session:
        held = await session.scalar(
            select(func.min(Delivery.not_before)).where(
                Delivery.status == "queued", Delivery.not_before > now
            )
        )
        run = await session.scalar(
            select(func.min(Campaign.next_run_at)).where(
                Campaign.next_run_at > now,
                Campaign.status.in_(
                    (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED)
                ),
            )
        )
    due = [t for t in (held, run) if t is not None]
    return min(due) if due else None


async def drive(db: Database, virtual_clock: VirtualClock, *, until: datetime) -> None:
    """Runs the scheduler and the worker as the app does, jumping the virtual clock to the next
    thing due, until `until` (or until nothing is left to do)."""
    worker = DeliveryWorker(db)
    while clock.now() < until:
        await scheduled.tick(runtime_of(db))
        if await worker.run_once():
            continue
        await scheduled.tick(runtime_of(db))
        due = await _next_due(db)
        if due is None:
            return
        virtual_clock.advance(max((min(due, until) - clock.now()).total_seconds(), 0.001))


@contextmanager
def frequency_cap(monkeypatch: pytest.MonkeyPatch, count: int, days: float) -> Iterator[None]:
    """The worker reads the cap from the process's settings (MA_FREQUENCY_CAP_*)."""
    monkeypatch.setenv("MA_FREQUENCY_CAP_COUNT", str(count))
    monkeypatch.setenv("MA_FREQUENCY_CAP_DAYS", str(days))
    get_settings.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

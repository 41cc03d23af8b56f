"""Recurring campaigns on the virtual clock: each cron run is a campaign of its own, with its own
deliveries; pausing the template skips runs, cancelling it ends them; everything is audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from marketing_agent.compliance import service as compliance
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.models import Campaign
from tests.factories import (
    add_contact,
    campaign,
    counts,
    drive,
    frequency_cap,
    launch,
    make_sender,
    simulator_of,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
async def sender_id(db: Database, monkeypatch: pytest.MonkeyPatch) -> int:
    with frequency_cap(monkeypatch, count=0, days=7):  # daily runs would hit the weekly cap
        yield await make_sender(db)


async def runs_of(db: Database, template_id: int) -> list[Campaign]:
    async with db.session() as session:
        rows = await session.scalars(
            select(Campaign)
            .where(Campaign.parent_campaign_id == template_id)
            .order_by(Campaign.occurrence)
        )
        return list(rows.all())


async def audit_actions(db: Database, campaign_id: int) -> list[str]:
    """Returns the campaign's audit actions, oldest first."""
    async with db.session() as session:
        rows, _ = await compliance.list_audit(
            session=session, entity_type="campaign", entity_id=str(campaign_id), limit=1000
        )
        return [entry.action for entry in reversed(rows)]


async def test_each_cron_run_is_its_own_campaign_with_its_own_deliveries(
    db: Database, settings: Settings, virtual_clock: VirtualClock, sender_id: int
) -> None:
    contacts = [await add_contact(db, sender_id=sender_id) for _ in range(3)]
    template_id = await launch(
        db,
        settings,
        sender_id=sender_id,
        name="Daily deal",
        recurrence="0 9 * * *",
        timezone="Europe/Berlin",
        recurrence_max_runs=3,
        quiet_hours=None,
    )
    template = await campaign(db, template_id)
    assert template.status == "scheduled"
    assert template.next_run_at == utc(2026, 1, 1, 8, 0)  # 09:00 in Berlin

    await drive(db, virtual_clock, until=utc(2026, 1, 10))

    runs = await runs_of(db, template_id)
    assert [r.occurrence for r in runs] == [1, 2, 3]
    assert [r.start_at for r in runs] == [utc(2026, 1, d, 8, 0) for d in (1, 2, 3)]
    assert [r.name for r in runs] == [f"Daily deal · run {n}" for n in (1, 2, 3)]
    for run in runs:
        assert run.status == "completed"
        assert (await counts(db, run.id)).sent == len(contacts)
        assert [v.text for v in run.variants] == [v.text for v in template.variants]
    assert (await simulator_of(db, sender_id)).stats.max_received == 3  # one per run

    template = await campaign(db, template_id)
    assert (template.status, template.runs, template.next_run_at) == ("completed", 3, None)
    assert (await counts(db, template_id)).sent == 0  # the template itself sends nothing
    actions = await audit_actions(db, template_id)
    assert actions.count("campaign.run_created") == 3
    assert actions[-1] == "campaign.completed"
    assert "campaign.scheduled" in await audit_actions(db, runs[0].id)


async def test_paused_template_skips_its_runs_and_resumes_at_the_next_one(
    db: Database, settings: Settings, virtual_clock: VirtualClock, sender_id: int
) -> None:
    await add_contact(db, sender_id=sender_id)
    template_id = await launch(
        db, settings, sender_id=sender_id, recurrence="0 12 * * *", quiet_hours=None
    )
    await drive(db, virtual_clock, until=utc(2026, 1, 1, 13, 0))
    assert len(await runs_of(db, template_id)) == 1

    async with db.session() as session:
        await orchestrator.pause_campaign(session=session, campaign_id=template_id, actor="test")
    await drive(db, virtual_clock, until=utc(2026, 1, 3, 13, 0))  # 2 and 3 January pass
    assert len(await runs_of(db, template_id)) == 1
    assert (await campaign(db, template_id)).next_run_at == utc(2026, 1, 4, 12, 0)

    async with db.session() as session:
        await orchestrator.resume_campaign(session=session, campaign_id=template_id, actor="test")
    await drive(db, virtual_clock, until=utc(2026, 1, 4, 13, 0))
    runs = await runs_of(db, template_id)
    assert [(r.occurrence, r.start_at) for r in runs] == [
        (1, utc(2026, 1, 1, 12, 0)),
        (2, utc(2026, 1, 4, 12, 0)),
    ]
    assert (await audit_actions(db, template_id)).count("campaign.run_skipped") == 2


async def test_cancelled_template_makes_no_more_runs(
    db: Database, settings: Settings, virtual_clock: VirtualClock, sender_id: int
) -> None:
    await add_contact(db, sender_id=sender_id)
    template_id = await launch(
        db,
        settings,
        sender_id=sender_id,
        recurrence="0 12 * * MON",
        recurrence_until=utc(2026, 6, 1),
        quiet_hours=None,
    )
    await drive(db, virtual_clock, until=utc(2026, 1, 6))  # Monday 5 January ran
    assert len(await runs_of(db, template_id)) == 1

    async with db.session() as session:
        await orchestrator.cancel_campaign(session=session, campaign_id=template_id, actor="test")
    await drive(db, virtual_clock, until=utc(2026, 2, 1))
    assert len(await runs_of(db, template_id)) == 1
    assert (await campaign(db, template_id)).status == "cancelled"


async def test_series_ends_at_its_until_date(
    db: Database, settings: Settings, virtual_clock: VirtualClock, sender_id: int
) -> None:
    await add_contact(db, sender_id=sender_id)
    template_id = await launch(
        db,
        settings,
        sender_id=sender_id,
        recurrence="30 7 * * *",
        recurrence_until=utc(2026, 1, 3, 12, 0),
        quiet_hours=None,
    )
    await drive(db, virtual_clock, until=utc(2026, 1, 20))
    runs = await runs_of(db, template_id)
    assert [r.start_at for r in runs] == [utc(2026, 1, d, 7, 30) for d in (1, 2, 3)]
    assert (await campaign(db, template_id)).status == "completed"

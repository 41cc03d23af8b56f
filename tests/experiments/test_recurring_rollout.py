"""A recurring campaign's runs and its experiment: each run gets the template's rollout, and once
a run's test has chosen a winner the later runs send it to everyone instead of testing again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.experiments import service as experiments
from marketing_agent.experiments.schemas import RolloutConfig
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.models import Campaign
from marketing_agent.orchestrator.rollout import EXPERIMENT_HOLD
from marketing_agent.orchestrator.schemas import CampaignCreate, VariantIn
from tests.experiments.test_rollout import TEXTS, audited, convert, deliveries, send_what_is_due
from tests.factories import frequency_cap, make_contacts, make_sender


@pytest.fixture(autouse=True)
def no_frequency_cap(monkeypatch: pytest.MonkeyPatch) -> object:
    with frequency_cap(monkeypatch, count=0, days=7):  # daily runs would hit the weekly cap
        yield


async def recurring_campaign(db: Database, settings: Settings, **rollout: object) -> int:
    """A daily 09:00 test-then-send campaign of two variants to 60 people; returns the template."""
    sender_id = await make_sender(db)
    await make_contacts(db, 60, sender_id=sender_id)
    async with db.session() as session:
        template = await flows.create_campaign(
            session=session,
            settings=settings,
            campaign_in=CampaignCreate(
                name="Daily boots",
                goal="Winter boots sale",
                sender_id=sender_id,
                variants=[VariantIn(text=text) for text in TEXTS[:2]],
                recurrence="0 9 * * *",
                recurrence_max_runs=3,
                quiet_hours=None,
                timezone="UTC",
            ),
            actor="test",
        )
        await experiments.set_rollout(
            session=session,
            campaign_id=template.id,
            config=RolloutConfig.model_validate(
                {
                    "mode": "test_then_send",
                    "test_share": 0.5,
                    "wait_minutes": 60,
                    "min_trials_per_arm": 5,
                    **rollout,
                }
            ),
            settings=settings,
            actor="marketer",
        )
        await flows.submit_campaign(
            session=session, settings=settings, campaign_id=template.id, actor="test"
        )
        return template.id


async def runs_of(db: Database, template_id: int) -> list[int]:
    async with db.session() as session:
        rows = await session.scalars(
            select(Campaign.id)
            .where(Campaign.parent_campaign_id == template_id)
            .order_by(Campaign.occurrence)
        )
        return list(rows.all())


async def run_first_test_with_b_winning(
    db: Database, virtual_clock: VirtualClock, template_id: int
) -> int:
    """09:00 on day 1: run 1 tests A and B, B converts; 10:01: B goes to the rest."""
    virtual_clock.advance(9 * 3600)
    await send_what_is_due(db)
    await send_what_is_due(db)
    [first] = await runs_of(db, template_id)
    tested = [d for d in await deliveries(db, first) if d.status == "sent"]
    assert tested and len(tested) < 60
    await convert(db, first, [d for d in tested if d.variant_key == "B"], "converted")
    virtual_clock.advance(61 * 60)
    await send_what_is_due(db)
    assert (await audited(db, first, "experiment.winner_chosen"))[0]["winner"] == "B"
    return first


async def test_a_later_run_sends_the_earlier_runs_winner_to_everyone(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    template_id = await recurring_campaign(db, settings)
    first = await run_first_test_with_b_winning(db, virtual_clock, template_id)

    virtual_clock.advance(23 * 3600)  # 09:01 on day 2: run 2
    await send_what_is_due(db)
    await send_what_is_due(db)

    second = (await runs_of(db, template_id))[1]
    rows = await deliveries(db, second)
    assert len(rows) == 60
    assert all(d.status == "sent" and d.variant_key == "B" for d in rows)
    assert not [d for d in rows if d.reason == EXPERIMENT_HOLD]
    [inherited] = await audited(db, second, "experiment.winner_inherited")
    assert inherited["from_campaign_id"] == first and inherited["sent_now"] == 60
    assert f"campaign {first}, an earlier run" in str(inherited["summary"])
    async with db.session() as session:
        shown = await experiments.get_rollout(session=session, campaign_id=second)
    assert (shown.phase, shown.winner, shown.inherited_from_campaign_id) == (
        "rolled_out",
        "B",
        first,
    )


async def test_with_reuse_winner_off_every_run_tests_again(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    template_id = await recurring_campaign(db, settings, reuse_winner=False)
    await run_first_test_with_b_winning(db, virtual_clock, template_id)

    virtual_clock.advance(23 * 3600)
    await send_what_is_due(db)
    await send_what_is_due(db)

    second = (await runs_of(db, template_id))[1]
    rows = await deliveries(db, second)
    assert [d for d in rows if d.reason == EXPERIMENT_HOLD]  # the rest waits for its own test
    assert {d.variant_key for d in rows if d.status == "sent"} == {"A", "B"}
    assert not await audited(db, second, "experiment.winner_inherited")
    assert await audited(db, second, "experiment.rollout_started")


BANDIT = {
    "mode": "bandit",
    "batch_size": 20,
    "interval_minutes": 10,
    "delay_mean_minutes": 5,
    "burn_in_per_arm": 5,
    "floor_weight": 0.01,
    # Run 1 keeps re-weighting to its end (B would win by the rule after one batch and take
    # the rest), so both variants carry evidence into run 2.
    "stop_at_winner": False,
}


async def run_first_bandit_with_b_converting(
    db: Database, virtual_clock: VirtualClock, template_id: int
) -> int:
    """09:00 on day 1: run 1's bandit sends its batches; everyone sent B converts."""
    virtual_clock.advance(9 * 3600)
    converted: set[int] = set()
    for _ in range(6):
        await send_what_is_due(db)
        [first] = await runs_of(db, template_id)
        sent_b = [
            d
            for d in await deliveries(db, first)
            if d.status == "sent" and d.variant_key == "B" and d.contact_id not in converted
        ]
        await convert(db, first, sent_b, "converted")
        converted |= {d.contact_id for d in sent_b}
        virtual_clock.advance(10 * 60)
    await send_what_is_due(db)
    assert all(d.status == "sent" for d in await deliveries(db, first))
    return first


async def test_a_later_bandit_run_starts_from_the_earlier_runs_results(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    template_id = await recurring_campaign(db, settings, **BANDIT)
    first = await run_first_bandit_with_b_converting(db, virtual_clock, template_id)
    first_rows = [d for d in await deliveries(db, first) if d.status == "sent"]
    first_b = sum(d.variant_key == "B" for d in first_rows)

    virtual_clock.advance(24 * 3600 - 60 * 60)  # 09:00 on day 2: run 2
    await send_what_is_due(db)

    second = (await runs_of(db, template_id))[1]
    [started] = await audited(db, second, "experiment.bandit_warm_started")
    assert started["started_from_campaign_id"] == first
    prior = started["prior"]
    assert prior["B"]["sent"] == first_b and prior["B"]["conversions"] == first_b  # type: ignore[index]
    assert prior["A"]["conversions"] == 0  # type: ignore[index]
    assert prior["B"]["counts_as_sent"] == pytest.approx(0.5 * first_b)  # type: ignore[index]
    assert started["weights"]["B"] > 0.9  # type: ignore[index]
    assert f"started from campaign {first}'s results" in str(started["summary"])
    # The first batch already follows the earlier run's evidence instead of an equal split.
    batch = [d for d in await deliveries(db, second) if d.status == "sent"]
    assert len(batch) == 20 and sum(d.variant_key == "B" for d in batch) >= 17
    async with db.session() as session:
        shown = await experiments.get_rollout(session=session, campaign_id=second)
    assert shown.started_from_campaign_id == first
    assert shown.prior["B"].conversions == first_b


async def test_with_no_discount_a_bandit_run_learns_from_scratch(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    template_id = await recurring_campaign(db, settings, **BANDIT, warm_start_discount=0)
    await run_first_bandit_with_b_converting(db, virtual_clock, template_id)

    virtual_clock.advance(24 * 3600 - 60 * 60)
    await send_what_is_due(db)

    second = (await runs_of(db, template_id))[1]
    assert not await audited(db, second, "experiment.bandit_warm_started")
    [started] = await audited(db, second, "experiment.rollout_started")
    assert started["sent_now"] == 20
    async with db.session() as session:
        shown = await experiments.get_rollout(session=session, campaign_id=second)
    assert shown.started_from_campaign_id is None and shown.prior == {}
    assert shown.weights == {"A": 0.5, "B": 0.5}

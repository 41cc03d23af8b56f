"""Decisions while a campaign sends, end to end on the simulator and the virtual clock:
test-then-send picks and sends the winner, the bandit moves traffic batch by batch, a guardrail
pauses a variant, and every decision is in the audit log with its figures."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.experiments import service as experiments
from marketing_agent.experiments.schemas import RolloutConfig
from marketing_agent.orchestrator import flows, scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.models import Campaign, Delivery
from marketing_agent.orchestrator.rollout import EXPERIMENT_HOLD
from marketing_agent.orchestrator.schemas import CampaignCreate, VariantIn
from marketing_agent.orchestrator.worker import DeliveryWorker
from tests.factories import (
    database_of,
    headers_for,
    make_contacts,
    make_sender,
    runtime_of,
    transports_of,
)

TEXTS = [
    "Hi {first_name}, our winter boots are 20% off this week.",
    "Hello {first_name}! Winter boots: 20% off until Sunday.",
    "{first_name}, the boots you liked are 20% off for three days.",
]


async def new_campaign(
    db: Database, settings: Settings, *, variants: int, contacts: int, **rollout: object
) -> int:
    """A submitted (scheduled) campaign to `contacts` consenting people with a rollout mode."""
    sender_id = await make_sender(db)
    await make_contacts(db, contacts, sender_id=sender_id)
    async with db.session() as session:
        campaign = await flows.create_campaign(
            session=session,
            settings=settings,
            campaign_in=CampaignCreate(
                name="Boots",
                goal="Winter boots sale",
                sender_id=sender_id,
                variants=[VariantIn(text=text) for text in TEXTS[:variants]],
            ),
            actor="test",
        )
        await experiments.set_rollout(
            session=session,
            campaign_id=campaign.id,
            config=RolloutConfig.model_validate(rollout),
            settings=settings,
            actor="marketer",
        )
        await flows.submit_campaign(
            session=session, settings=settings, campaign_id=campaign.id, actor="test"
        )
        return campaign.id


async def send_what_is_due(db: Database) -> None:
    """One scheduler tick, then the worker until it finds nothing to send, then a tick."""
    runtime = runtime_of(db)
    worker = DeliveryWorker(
        db, transports=transports_of(db), limits=runtime.limits
    )  # the runtime's one limiter set
    await scheduled.tick(runtime)
    for _ in range(100):
        if not await worker.run_once():
            break
    await scheduled.tick(runtime)


async def deliveries(db: Database, campaign_id: int) -> list[Delivery]:
    async with db.session() as session:
        rows = await session.scalars(
            select(Delivery).where(Delivery.campaign_id == campaign_id).order_by(Delivery.id)
        )
        return list(rows.all())


async def convert(db: Database, campaign_id: int, rows: list[Delivery], event: str) -> None:
    """The contacts of `rows` did `event` (a shop's conversion, an opt-out) just now."""
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                analytics.EventCreate(
                    type=analytics.EventType(event),
                    campaign_id=campaign_id,
                    contact_id=row.contact_id,
                )
                for row in rows
            ],
        )


async def audited(db: Database, campaign_id: int, action: str) -> list[dict[str, object]]:
    async with db.session() as session:
        entries, _ = await compliance.list_audit(
            session=session, entity_type="campaign", entity_id=str(campaign_id), limit=1000
        )
    return [dict(entry.data) for entry in reversed(entries) if entry.action == action]


async def campaign_status(db: Database, campaign_id: int) -> str:
    async with db.session() as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status


async def test_test_then_send_sends_the_winner_to_the_rest_and_says_how_sure_it_was(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    campaign_id = await new_campaign(
        db,
        settings,
        variants=2,
        contacts=80,
        mode="test_then_send",
        test_share=0.5,
        wait_minutes=60,
        min_trials_per_arm=5,
        chance_to_win=0.9,
    )
    await send_what_is_due(db)

    rows = await deliveries(db, campaign_id)
    tested = [d for d in rows if d.status == "sent"]
    held = [d for d in rows if d.reason == EXPERIMENT_HOLD]
    assert len(tested) + len(held) == 80
    assert 20 <= len(tested) <= 60 and {d.variant_key for d in tested} == {"A", "B"}
    assert all(d.status == "queued" for d in held)  # nobody outside the test got anything yet

    await convert(db, campaign_id, [d for d in tested if d.variant_key == "B"], "converted")
    virtual_clock.advance(30 * 60)
    await send_what_is_due(db)
    assert len([d for d in await deliveries(db, campaign_id) if d.status == "sent"]) == len(tested)

    virtual_clock.advance(31 * 60)
    await send_what_is_due(db)

    rows = await deliveries(db, campaign_id)
    rest = [d for d in rows if d.contact_id in {h.contact_id for h in held}]
    assert all(d.status == "sent" and d.variant_key == "B" for d in rest)
    assert await campaign_status(db, campaign_id) == "completed"
    [chosen] = await audited(db, campaign_id, "experiment.winner_chosen")
    assert chosen["winner"] == "B" and chosen["released"] == len(held)
    arms = {arm["key"]: arm for arm in chosen["arms"]}  # type: ignore[attr-defined]
    assert arms["B"]["chance_to_be_best"] >= 0.9
    assert arms["A"]["trials"] + arms["B"]["trials"] == len(tested)
    assert "chance (the rule needs 90.0%)" in str(chosen["summary"])


async def test_without_auto_send_the_rest_waits_for_a_person_to_approve_the_winner(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    campaign_id = await new_campaign(
        db,
        settings,
        variants=2,
        contacts=60,
        mode="test_then_send",
        test_share=0.5,
        wait_minutes=60,
        auto_send=False,
        min_trials_per_arm=5,
    )
    await send_what_is_due(db)
    tested = [d for d in await deliveries(db, campaign_id) if d.status == "sent"]
    await convert(db, campaign_id, [d for d in tested if d.variant_key == "A"], "converted")
    virtual_clock.advance(61 * 60)
    await send_what_is_due(db)

    rollout = (
        await client.get(f"/api/v1/experiments/campaigns/{campaign_id}/rollout", headers=headers)
    ).json()
    assert rollout["phase"] == "awaiting_approval" and rollout["proposed"] == "A"
    assert len([d for d in await deliveries(db, campaign_id) if d.status == "sent"]) == len(tested)

    approved = await client.post(
        f"/api/v1/experiments/campaigns/{campaign_id}/rollout/approve", json={}, headers=headers
    )
    assert approved.status_code == 200, approved.text
    await send_what_is_due(db)

    rows = await deliveries(db, campaign_id)
    assert all(d.status == "sent" for d in rows)
    tested_ids = {d.contact_id for d in tested}
    rest = [d.variant_key for d in rows if d.contact_id not in tested_ids]
    assert rest == ["A"] * (60 - len(tested))
    timeline = (
        await client.get(f"/api/v1/experiments/campaigns/{campaign_id}/decisions", headers=headers)
    ).json()
    actions = [entry["action"] for entry in timeline]
    assert actions == [
        "experiment.rollout_set",
        "experiment.rollout_started",
        "experiment.winner_proposed",
        "experiment.winner_approved",
    ]
    assert timeline[-1]["actor"] != "system:experiments"


async def test_bandit_sends_in_batches_and_moves_traffic_to_the_variant_that_converts(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    campaign_id = await new_campaign(
        db,
        settings,
        variants=3,
        contacts=240,
        mode="bandit",
        batch_size=30,
        interval_minutes=10,
        delay_mean_minutes=5,
        burn_in_per_arm=5,
        floor_weight=0.01,
    )
    converted: set[int] = set()
    for _ in range(10):
        await send_what_is_due(db)
        sent_c = [
            d
            for d in await deliveries(db, campaign_id)
            if d.status == "sent" and d.variant_key == "C" and d.contact_id not in converted
        ]
        await convert(db, campaign_id, sent_c, "converted")
        converted |= {d.contact_id for d in sent_c}
        virtual_clock.advance(10 * 60)
    await send_what_is_due(db)

    rows = await deliveries(db, campaign_id)
    assert all(d.status == "sent" for d in rows)
    in_order = sorted(rows, key=lambda d: (d.sent_at, d.id))
    first, last = in_order[:30], in_order[-60:]
    reweighted = await audited(db, campaign_id, "experiment.reweighted")
    assert len(reweighted) == 7  # 240 recipients: the first batch at the start, then 7 more
    weights = reweighted[-1]["weights"]
    assert weights["C"] > 0.9  # type: ignore[index]
    assert reweighted[-1]["feedback"] == "delay_weighted"
    assert reweighted[-1]["evidence_trials"]["C"] > 0  # type: ignore[index]
    assert Counter(d.variant_key for d in last)["C"] > 50
    assert Counter(d.variant_key for d in first)["C"] < 20


async def test_a_variant_whose_opt_outs_are_surely_above_the_guardrail_is_paused(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    campaign_id = await new_campaign(
        db,
        settings,
        variants=2,
        contacts=200,
        mode="bandit",
        batch_size=100,
        interval_minutes=30,
        guardrail_check_minutes=5,
        opt_out_guardrail=0.05,
    )
    await send_what_is_due(db)
    sent_b = [
        d for d in await deliveries(db, campaign_id) if d.status == "sent" and d.variant_key == "B"
    ]
    assert len(sent_b) > 20
    await convert(db, campaign_id, sent_b[: len(sent_b) // 2], "unsubscribed")
    virtual_clock.advance(6 * 60)
    await send_what_is_due(db)

    [paused] = await audited(db, campaign_id, "experiment.arm_paused")
    assert paused["variant_key"] == "B" and paused["metric"] == "unsubscribed"
    assert paused["ci_low"] > 0.05  # type: ignore[operator]
    assert paused["confidence"] == 0.95 and paused["sent"] == len(sent_b)

    virtual_clock.advance(30 * 60)
    await send_what_is_due(db)
    rows = await deliveries(db, campaign_id)
    later = [d for d in rows if d.contact_id not in {s.contact_id for s in sent_b}]
    assert all(d.status == "sent" for d in rows)
    assert Counter(d.variant_key for d in later if d.id > max(s.id for s in sent_b))["B"] == 0
    weights = (await audited(db, campaign_id, "experiment.reweighted"))[-1]["weights"]
    assert set(weights) == {"A"}  # type: ignore[arg-type]


async def test_every_variant_breaching_its_guardrail_pauses_the_campaign(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    campaign_id = await new_campaign(
        db,
        settings,
        variants=2,
        contacts=120,
        mode="test_then_send",
        test_share=0.5,
        wait_minutes=120,
        opt_out_guardrail=0.05,
        guardrail_check_minutes=5,
    )
    await send_what_is_due(db)
    tested = [d for d in await deliveries(db, campaign_id) if d.status == "sent"]
    await convert(db, campaign_id, tested, "unsubscribed")
    virtual_clock.advance(6 * 60)
    await send_what_is_due(db)

    assert await campaign_status(db, campaign_id) == "paused"
    assert {e["variant_key"] for e in await audited(db, campaign_id, "experiment.arm_paused")} == {
        "A",
        "B",
    }
    assert len(await audited(db, campaign_id, "experiment.campaign_paused")) == 1
    untouched = [d for d in await deliveries(db, campaign_id) if d.status != "sent"]
    assert untouched and all(d.status == "queued" for d in untouched)


async def test_rollout_is_refused_with_reasons_and_frozen_once_sending_started(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    campaign_id = await new_campaign(db, settings, variants=2, contacts=4)
    url = f"/api/v1/experiments/campaigns/{campaign_id}/rollout"

    bad = await client.put(url, json={"mode": "bandit", "test_share": 2}, headers=headers)
    assert bad.status_code == 422
    assert await client.put(url, json={"mode": "bandit", "reward": "read"}, headers=headers)
    missing = await client.get("/api/v1/experiments/campaigns/999999/rollout", headers=headers)
    assert missing.status_code == 404

    await send_what_is_due(db)
    late = await client.put(url, json={"mode": "bandit"}, headers=headers)
    assert late.status_code == 409 and "started sending" in late.json()["detail"]
    nothing = await client.post(f"{url}/approve", json={}, headers=headers)
    assert nothing.status_code == 409
    assert (await client.get(url, headers=headers)).json()["phase"] == "fixed"


async def test_held_recipients_are_never_sent_after_a_cancel(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    campaign_id = await new_campaign(
        db, settings, variants=2, contacts=40, mode="test_then_send", test_share=0.25
    )
    await send_what_is_due(db)
    sent_before = {d.contact_id for d in await deliveries(db, campaign_id) if d.status == "sent"}
    async with db.session() as session:
        await orchestrator.cancel_campaign(session=session, campaign_id=campaign_id, actor="test")
    virtual_clock.advance(timedelta(days=1).total_seconds())
    await send_what_is_due(db)
    rows = await deliveries(db, campaign_id)
    assert {d.contact_id for d in rows if d.status == "sent"} == sent_before
    assert {d.status for d in rows if d.contact_id not in sent_before} == {"skipped"}


async def test_a_person_may_resume_a_paused_variant_and_it_is_not_paused_again(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    campaign_id = await new_campaign(
        db,
        settings,
        variants=2,
        contacts=150,
        mode="bandit",
        batch_size=50,
        interval_minutes=30,
        guardrail_check_minutes=5,
        opt_out_guardrail=0.05,
    )
    await send_what_is_due(db)
    sent_b = [
        d for d in await deliveries(db, campaign_id) if d.status == "sent" and d.variant_key == "B"
    ]
    await convert(db, campaign_id, sent_b, "unsubscribed")
    virtual_clock.advance(6 * 60)
    await send_what_is_due(db)
    url = f"/api/v1/experiments/campaigns/{campaign_id}"
    assert (await client.get(f"{url}/rollout", headers=headers)).json()["paused_arms"] == ["B"]

    resumed = await client.post(f"{url}/arms/B/resume", headers=headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["paused_arms"] == []
    again = await client.post(f"{url}/arms/B/resume", headers=headers)
    assert again.status_code == 409
    virtual_clock.advance(31 * 60)
    await send_what_is_due(db)

    assert len(await audited(db, campaign_id, "experiment.arm_paused")) == 1
    [entry] = await audited(db, campaign_id, "experiment.arm_resumed")
    assert "resumed variant B" in str(entry["summary"])
    assert set((await audited(db, campaign_id, "experiment.reweighted"))[-1]["weights"]) == {
        "A",
        "B",
    }


async def test_the_test_window_counts_from_the_first_send_not_from_the_start(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    # Started at midnight, the campaign may send only from 09:00: a window counted from the
    # start would end at 01:00, before anyone got a message.
    sender_id = await make_sender(db)
    await make_contacts(db, 60, sender_id=sender_id)
    async with db.session() as session:
        campaign = await flows.create_campaign(
            session=session,
            settings=settings,
            campaign_in=CampaignCreate(
                name="Boots at nine",
                goal="Winter boots sale",
                sender_id=sender_id,
                variants=[VariantIn(text=text) for text in TEXTS[:2]],
                send_window={"start": "09:00", "end": "20:00"},
                quiet_hours=None,
                timezone="UTC",
            ),
            actor="test",
        )
        await experiments.set_rollout(
            session=session,
            campaign_id=campaign.id,
            config=RolloutConfig(
                mode="test_then_send", test_share=0.5, wait_minutes=60, min_trials_per_arm=5
            ),
            settings=settings,
            actor="marketer",
        )
        await flows.submit_campaign(
            session=session, settings=settings, campaign_id=campaign.id, actor="test"
        )
    campaign_id = campaign.id

    for _ in range(9):  # 00:00 .. 08:00, an hour at a time: nothing may go yet
        await send_what_is_due(db)
        virtual_clock.advance(3600)
    async with db.session() as session:
        waiting = await experiments.get_rollout(session=session, campaign_id=campaign_id)
    assert waiting.phase == "testing" and waiting.window_started_at is None
    assert not await audited(db, campaign_id, "experiment.decision_postponed")
    assert not [d for d in await deliveries(db, campaign_id) if d.status == "sent"]

    await send_what_is_due(db)  # 09:00: the test's sends go
    tested = [d for d in await deliveries(db, campaign_id) if d.status == "sent"]
    await convert(db, campaign_id, [d for d in tested if d.variant_key == "B"], "converted")
    virtual_clock.advance(61)
    await send_what_is_due(db)
    async with db.session() as session:
        started = await experiments.get_rollout(session=session, campaign_id=campaign_id)
    assert started.window_started_at is not None and started.decide_at is not None
    assert started.window_started_at.hour == 9
    assert started.decide_at - started.window_started_at == timedelta(minutes=60)

    virtual_clock.advance(50 * 60)  # 09:51: still inside the window
    await send_what_is_due(db)
    assert not await audited(db, campaign_id, "experiment.winner_chosen")
    virtual_clock.advance(10 * 60)  # 10:01
    await send_what_is_due(db)
    [chosen] = await audited(db, campaign_id, "experiment.winner_chosen")
    assert chosen["winner"] == "B"


async def test_a_bandit_that_sends_everyone_before_feedback_can_come_says_so(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    # 240 recipients in batches of 100 every minute: all sent within 2 minutes, while a
    # conversion comes an hour after its send on average.
    fast = await new_campaign(
        db,
        settings,
        variants=2,
        contacts=240,
        mode="bandit",
        batch_size=100,
        interval_minutes=1,
        delay_mean_minutes=60,
    )
    await send_what_is_due(db)
    async with db.session() as session:
        shown = await experiments.get_rollout(session=session, campaign_id=fast)
    [warning] = shown.warnings
    assert "all 240 are sent within 2 min" in warning
    assert "before any send is 60 min old (the mean delay to its reward)" in warning
    assert "Spread the send" in warning


async def test_a_bandit_spread_over_its_feedback_time_has_no_warning(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    spread = await new_campaign(
        db,
        settings,
        variants=2,
        contacts=240,
        mode="bandit",
        batch_size=30,
        interval_minutes=10,
        delay_mean_minutes=5,
    )
    await send_what_is_due(db)
    async with db.session() as session:
        shown = await experiments.get_rollout(session=session, campaign_id=spread)
    assert shown.phase == "bandit" and shown.warnings == []

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.analytics import service as analytics
from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from marketing_agent.core.errors import Conflict, NotFound, ValidationFailed
from marketing_agent.experiments import service as experiments
from marketing_agent.experiments.analysis import DecisionRule
from marketing_agent.experiments.schemas import Arm
from tests.analytics.factories import event
from tests.factories import database_of, headers_for

AB = [Arm(key="A"), Arm(key="B")]


def sends_and_conversions(
    variant_key: str, *, sent: int, converted: int, first_contact: int, campaign_id: int = 1
) -> list[analytics.EventCreate]:
    contacts = range(first_contact, first_contact + sent)
    return [
        *(
            event("sent", contact_id=c, variant_key=variant_key, campaign_id=campaign_id)
            for c in contacts
        ),
        *(
            event(
                "converted",
                contact_id=c,
                variant_key=variant_key,
                campaign_id=campaign_id,
                minute=60,
            )
            for c in contacts[:converted]
        ),
    ]


async def test_results_read_the_campaigns_analytics(any_db: Database) -> None:
    async with any_db.session() as session:
        await experiments.create_experiment(session=session, campaign_id=1, arms=AB)
        await analytics.record_events(
            session=session,
            events=[
                *sends_and_conversions("A", sent=300, converted=15, first_contact=1),
                *sends_and_conversions("B", sent=300, converted=45, first_contact=1001),
                *sends_and_conversions("B", sent=50, converted=50, first_contact=1, campaign_id=2),
            ],
        )

        results = await experiments.campaign_results(session=session, campaign_id=1)

    control, challenger = results.arms
    assert (control.key, control.trials, control.successes) == ("A", 300, 15)
    assert (challenger.key, challenger.trials, challenger.successes) == ("B", 300, 45)
    assert challenger.chance_to_beat_control is not None
    assert challenger.chance_to_beat_control > 0.99
    assert results.leader == "B"
    assert results.verdict == "winner"
    assert challenger.verdict == "better"
    assert challenger.p_value is not None and challenger.p_value < 0.001
    assert challenger.sequential is not None and challenger.sequential.engine.startswith("seq")


async def test_no_arm_leads_before_every_arm_has_the_minimum_sample(db: Database) -> None:
    # Before the rule, C (0 sends: the flat prior's 50%) "led" over A's 1000 sends and 50 sales.
    async with db.session() as session:
        await experiments.create_experiment(
            session=session, campaign_id=5, arms=[*AB, Arm(key="C")]
        )
        await analytics.record_events(
            session=session,
            events=[
                *sends_and_conversions(
                    "A", sent=1000, converted=50, first_contact=1, campaign_id=5
                ),
                *sends_and_conversions(
                    "B", sent=1000, converted=90, first_contact=2001, campaign_id=5
                ),
            ],
        )

        results = await experiments.campaign_results(session=session, campaign_id=5)
        lenient = await experiments.campaign_results(
            session=session, campaign_id=5, rule=DecisionRule(min_trials_per_arm=0)
        )

    assert results.leader is None
    assert results.verdict == "not_enough_data"
    assert "C has 0" in results.reason
    assert [a.verdict for a in results.arms] == ["control", "better", "not_enough_data"]
    assert results.arms[2].chance_to_be_best is None
    assert results.srm is not None and results.srm.mismatch  # C was due a third of the sends
    assert lenient.leader == "B"


async def test_no_arm_leads_while_every_arm_has_zero_conversions(db: Database) -> None:
    async with db.session() as session:
        await experiments.create_experiment(
            session=session, campaign_id=6, arms=[*AB, Arm(key="C")]
        )
        await analytics.record_events(
            session=session,
            events=[
                e
                for i, k in enumerate("ABC")
                for e in sends_and_conversions(
                    k, sent=300, converted=0, first_contact=i * 1000 + 1, campaign_id=6
                )
            ],
        )

        results = await experiments.campaign_results(session=session, campaign_id=6)

    assert results.leader is None
    assert results.verdict == "no_clear_winner"
    assert all(a.ci_low == 0.0 and a.rate == 0.0 for a in results.arms)


async def test_an_arm_that_makes_people_opt_out_breaches_its_guardrail(db: Database) -> None:
    async with db.session() as session:
        await experiments.create_experiment(session=session, campaign_id=8, arms=AB)
        await analytics.record_events(
            session=session,
            events=[
                *sends_and_conversions("A", sent=400, converted=20, first_contact=1, campaign_id=8),
                *sends_and_conversions(
                    "B", sent=400, converted=30, first_contact=501, campaign_id=8
                ),
                *(
                    event("unsubscribed", contact_id=c, variant_key="B", campaign_id=8, minute=5)
                    for c in range(501, 541)
                ),
                event("unsubscribed", contact_id=1, variant_key="A", campaign_id=8, minute=5),
            ],
        )

        results = await experiments.campaign_results(session=session, campaign_id=8)

    opt_outs = {g.key: g for g in results.guardrails if g.metric == "unsubscribed"}
    assert opt_outs["B"].rate == pytest.approx(0.1) and opt_outs["B"].breached
    assert opt_outs["A"].rate == pytest.approx(0.0025) and not opt_outs["A"].breached
    assert any("Guardrail: B's unsubscribed rate is 10.0%" in w for w in results.warnings)


async def test_an_arm_nobody_was_sent_yet_is_reported_without_data(db: Database) -> None:
    async with db.session() as session:
        await experiments.create_experiment(
            session=session, campaign_id=7, arms=[*AB, Arm(key="C", weight=0.5)]
        )
        await analytics.record_events(
            session=session,
            events=sends_and_conversions("A", sent=10, converted=1, first_contact=1, campaign_id=7),
        )

        results = await experiments.campaign_results(session=session, campaign_id=7)

    assert [(a.key, a.trials, a.rate) for a in results.arms] == [
        ("A", 10, 0.1),
        ("B", 0, None),
        ("C", 0, None),
    ]


async def test_a_campaign_has_at_most_one_valid_experiment(db: Database) -> None:
    async with db.session() as session:
        await experiments.create_experiment(session=session, campaign_id=1, arms=AB)
        with pytest.raises(Conflict):
            await experiments.create_experiment(session=session, campaign_id=1, arms=AB)
        with pytest.raises(ValidationFailed):
            await experiments.create_experiment(
                session=session, campaign_id=2, arms=AB, control_key="Z"
            )
        with pytest.raises(NotFound):
            await experiments.campaign_results(session=session, campaign_id=3)


async def test_assignment_is_sticky_and_within_the_arms(db: Database) -> None:
    async with db.session() as session:
        experiment = await experiments.create_experiment(session=session, campaign_id=1, arms=AB)
        again = await experiments.get_experiment_for_campaign(session=session, campaign_id=1)

    assert again is not None
    first = [experiments.assign(experiment, contact_id) for contact_id in range(1, 200)]
    assert first == [experiments.assign(again, contact_id) for contact_id in range(1, 200)]
    assert set(first) == {"A", "B"}


async def test_a_viewer_reads_an_experiment_and_gets_404_without_one(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    async with db.session() as session:
        await experiments.create_experiment(session=session, campaign_id=1, arms=AB)
        await analytics.record_events(
            session=session,
            events=sends_and_conversions("B", sent=20, converted=4, first_contact=1),
        )

    viewer = await headers_for(client, db, Role.VIEWER)

    found = await client.get("/api/v1/experiments/campaigns/1", headers=viewer)
    missing = await client.get("/api/v1/experiments/campaigns/2", headers=viewer)

    assert found.status_code == 200
    body = found.json()
    assert body["experiment"]["arms"] == [{"key": "A", "weight": 1.0}, {"key": "B", "weight": 1.0}]
    assert [a["successes"] for a in body["results"]["arms"]] == [0, 4]
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "Campaign 2 has no experiment"

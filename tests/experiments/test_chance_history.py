"""Chance to win over time: each moment's chances are recounted from the events stored up to it,
agree with SciPy, and the last moment is the results as they stand."""

from __future__ import annotations

from datetime import timedelta

import httpx
import numpy as np
from fastapi import FastAPI
from scipy import integrate, stats

from marketing_agent.analytics import service as analytics
from marketing_agent.core.db import Database
from marketing_agent.experiments import service as experiments
from marketing_agent.experiments.schemas import Arm
from tests.analytics.factories import T0, event
from tests.factories import database_of, headers_for

AB = [Arm(key="A"), Arm(key="B")]


def campaign_events(campaign_id: int) -> list[analytics.EventCreate]:
    """A: 200 sent at minute 0, 10 convert at minute 30. B: 100 sent at minute 0 and 100 at
    minute 60; 5 of the first convert at minute 30, 30 of the second at minute 120."""
    events = []
    for c in range(1, 201):
        events.append(event("sent", contact_id=c, variant_key="A", campaign_id=campaign_id))
    for c in range(1, 11):
        events.append(
            event("converted", contact_id=c, variant_key="A", campaign_id=campaign_id, minute=30)
        )
    for c in range(1001, 1201):
        minute = 0 if c <= 1100 else 60
        events.append(
            event("sent", contact_id=c, variant_key="B", campaign_id=campaign_id, minute=minute)
        )
    for c in [*range(1001, 1006), *range(1101, 1131)]:
        minute = 30 if c < 1100 else 120
        events.append(
            event(
                "converted", contact_id=c, variant_key="B", campaign_id=campaign_id, minute=minute
            )
        )
    return events


def scipy_chance_b_beats_a(a: tuple[int, int], b: tuple[int, int]) -> float:
    """P(p_B > p_A) under flat priors, by numerical integration in SciPy (the reference)."""
    pa = stats.beta(1 + a[1], 1 + a[0] - a[1])
    pb = stats.beta(1 + b[1], 1 + b[0] - b[1])
    value, _ = integrate.quad(lambda x: pa.pdf(x) * pb.sf(x), 0, 1, limit=200)
    return float(value)


async def test_each_moment_is_recounted_from_the_events_up_to_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db: Database = database_of(app)
    headers = await headers_for(client, db)
    async with db.session() as session:
        await experiments.create_experiment(session=session, campaign_id=7, arms=AB)
        await analytics.record_events(session=session, events=campaign_events(7))

    answer = await client.get(
        "/api/v1/experiments/campaigns/7/history", params={"points": 5}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["engine"].startswith("bayesian") and body["exposure"] == "sent"
    points = body["points"]
    # From the first send (minute 0) to the latest event (minute 120), every 30 minutes.
    assert [p["at"][11:16] for p in points] == ["12:00", "12:30", "13:00", "13:30", "14:00"]
    counts = [{a["key"]: (a["trials"], a["successes"]) for a in p["arms"]} for p in points]
    assert counts == [
        {"A": (200, 0), "B": (100, 0)},
        {"A": (200, 10), "B": (100, 5)},
        {"A": (200, 10), "B": (200, 5)},  # B's second 100 sent, nothing from them yet
        {"A": (200, 10), "B": (200, 5)},
        {"A": (200, 10), "B": (200, 35)},
    ]
    for point, count in zip(points, counts, strict=True):
        b = next(a for a in point["arms"] if a["key"] == "B")
        expected = scipy_chance_b_beats_a(count["A"], count["B"])
        assert abs(b["chance_to_beat_control"] - expected) < 1e-6
        assert abs(b["chance_to_be_best"] - expected) < 1e-6  # two arms: the same number
    # At 13:00 B's unconverted new sends drag it down; by the end it surely wins.
    assert [p["verdict"] for p in points][-1] == "winner" and points[-1]["leader"] == "B"
    b_chances = [next(a for a in p["arms"] if a["key"] == "B")["chance_to_be_best"] for p in points]
    assert b_chances[2] < 0.2 < 0.5 < b_chances[1] and b_chances[-1] > 0.99

    now = await client.get("/api/v1/experiments/campaigns/7", headers=headers)
    arms_now = {a["key"]: a for a in now.json()["results"]["arms"]}
    assert np.isclose(arms_now["B"]["chance_to_be_best"], b_chances[-1], rtol=0, atol=1e-12)


async def test_history_is_empty_before_any_send_and_refuses_bad_input(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db: Database = database_of(app)
    headers = await headers_for(client, db)
    async with db.session() as session:
        await experiments.create_experiment(session=session, campaign_id=8, arms=AB)

    empty = await client.get("/api/v1/experiments/campaigns/8/history", headers=headers)
    assert empty.status_code == 200 and empty.json()["points"] == []
    missing = await client.get("/api/v1/experiments/campaigns/9/history", headers=headers)
    assert missing.status_code == 404
    too_many = await client.get(
        "/api/v1/experiments/campaigns/8/history", params={"points": 0}, headers=headers
    )
    assert too_many.status_code == 422


async def test_one_moment_when_every_event_happened_at_once(any_db: Database) -> None:
    async with any_db.session() as session:
        await experiments.create_experiment(session=session, campaign_id=3, arms=AB)
        await analytics.record_events(
            session=session,
            events=[
                event("sent", contact_id=1, variant_key="A", campaign_id=3),
                event("sent", contact_id=2, variant_key="B", campaign_id=3),
            ],
        )
        history = await experiments.campaign_chance_history(session=session, campaign_id=3)
    [point] = history.points
    assert point.at == T0 + timedelta(0) and point.verdict == "not_enough_data"

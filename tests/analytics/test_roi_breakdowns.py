"""ROI against entered, LLM and Stars costs; breakdowns with honest labels and intervals; the
funnel per variant, its time to convert and who dropped off where."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent.models import LlmUsage
from marketing_agent.analytics import breakdowns, roi
from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.rates import rate
from marketing_agent.analytics.schemas import CampaignSource, SenderKind
from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.models import Contact
from marketing_agent.telegram.models import Sender
from tests.analytics.factories import T0, event, journey, make_campaign
from tests.factories import database_of, headers_for


def test_a_rate_has_a_wilson_interval_that_stays_in_bounds() -> None:
    none = rate(0, 20)
    some = rate(5, 100)
    empty = rate(0, 0)

    assert none.value == 0 and none.low == 0 and 0 < (none.high or 0) < 0.2
    assert some.low is not None and some.high is not None
    assert some.low < 0.05 < some.high
    # The textbook Wilson 95 % interval of 5 in 100.
    assert (some.low, some.high) == (
        pytest.approx(0.0215, abs=1e-4),
        pytest.approx(0.1118, abs=1e-4),
    )
    assert empty.value is None and empty.low is None


async def test_roi_weighs_revenue_against_entered_and_llm_costs(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    cid = await make_campaign(db, settings)
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                *(event("sent", contact_id=c, campaign_id=cid, variant_key="A") for c in (1, 2)),
                *(event("sent", contact_id=c, campaign_id=cid, variant_key="B") for c in (3, 4)),
                event(
                    "converted",
                    contact_id=1,
                    campaign_id=cid,
                    variant_key="A",
                    minute=5,
                    value_usd_micros=30_000_000,
                ),
            ],
        )
        session.add(
            LlmUsage(
                campaign_id=cid,
                provider="anthropic",
                model="m",
                input_tokens=1000,
                output_tokens=500,
                cost_usd_micros=2_000_000,
                purpose="plan",
            )
        )
    analyst = await headers_for(client, db, Role.ANALYST)
    url = f"/api/v1/analytics/campaigns/{cid}"

    added = await client.post(
        f"{url}/costs", json={"amount_usd": 8, "description": "Banner design"}, headers=analyst
    )
    only_b = await client.post(
        f"{url}/costs",
        json={"amount_usd": 5, "description": "B's coupon", "variant_key": "B"},
        headers=analyst,
    )
    roi = (await client.get(f"{url}/roi", headers=analyst)).json()

    assert added.status_code == 201 and only_b.status_code == 201
    assert [c["kind"] for c in roi["costs"]] == ["manual", "manual", "llm"]
    totals = roi["totals"]
    assert totals["revenue_usd_micros"] == 30_000_000
    assert totals["cost_usd_micros"] == 15_000_000  # 8 + 5 + 2
    assert totals["roi"] == pytest.approx(1.0)
    assert totals["cost_per_conversion_usd_micros"] == 15_000_000
    by_key = {v["variant_key"]: v for v in roi["variants"]}
    # Campaign-wide costs (8 + 2) split by people sent: 5 each; B also pays its coupon.
    assert by_key["A"]["cost_usd_micros"] == 5_000_000
    assert by_key["B"]["cost_usd_micros"] == 10_000_000
    assert by_key["B"]["roi"] == pytest.approx(-1.0)
    assert by_key["A"]["conversion_rate"]["value"] == 0.5
    assert by_key["A"]["conversion_rate"]["low"] < 0.5 < by_key["A"]["conversion_rate"]["high"]

    removed = await client.delete(f"{url}/costs/{added.json()['id']}", headers=analyst)
    again = await client.delete(f"{url}/costs/{added.json()['id']}", headers=analyst)
    bad = await client.post(
        f"{url}/costs", json={"amount_usd": -1, "description": "x"}, headers=analyst
    )
    viewer = await headers_for(client, db, Role.VIEWER)
    forbidden = await client.post(
        f"{url}/costs", json={"amount_usd": 1, "description": "x"}, headers=viewer
    )
    missing = await client.get("/api/v1/analytics/campaigns/99999/roi", headers=viewer)
    assert (removed.status_code, again.status_code, bad.status_code) == (204, 404, 422)
    assert forbidden.status_code == 403 and missing.status_code == 404


async def test_paid_broadcast_stars_are_charged_above_thirty_a_second(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    cid = await make_campaign(db, settings)
    async with db.session() as session:
        await session.execute(update(Sender).values(profile="paid_broadcast"))
        # 100 messages in one second, 20 in the next: 70 above the free 30/s.
        await analytics.record_events(
            session=session,
            events=[
                *(
                    event("sent", contact_id=c, campaign_id=cid, minute=c / 100_000)
                    for c in range(1, 101)
                ),
                *(
                    event("sent", contact_id=c, campaign_id=cid, minute=1 / 60 + c / 10_000_000)
                    for c in range(101, 121)
                ),
            ],
        )
    viewer = await headers_for(client, db, Role.VIEWER)

    roi = (
        await client.get(
            f"/api/v1/analytics/campaigns/{cid}/roi",
            params={"star_price_usd": 0.02},
            headers=viewer,
        )
    ).json()

    assert roi["paid_broadcast"] is True
    assert roi["paid_messages"] == 70
    [stars] = [c for c in roi["costs"] if c["kind"] == "stars"]
    assert stars["estimated"] is True
    assert stars["amount_usd_micros"] == 140_000  # 7 Stars at USD 0.02


async def test_breakdowns_by_variant_day_and_language(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    cid = await make_campaign(db, settings, sender_kind="bot")
    async with db.session() as session:
        people = [
            Contact(telegram_id=7_000 + n, language=lang, attributes={"plan": plan})
            for n, (lang, plan) in enumerate([("en", "gold"), ("en", "free"), ("de", "gold")])
        ]
        session.add_all(people)
        await session.flush()
        a, b, c = (p.id for p in people)
        await analytics.record_events(
            session=session,
            events=[
                *journey(a, ["sent", "delivered", "clicked", "converted"], campaign_id=cid),
                *journey(b, ["sent", "delivered"], campaign_id=cid, variant_key="B"),
                event("sent", contact_id=c, campaign_id=cid, minute=60 * 24),  # the next day
                event("clicked", contact_id=c, campaign_id=cid, minute=60 * 24 * 3),
            ],
        )
    viewer = await headers_for(client, db, Role.VIEWER)
    url = f"/api/v1/analytics/campaigns/{cid}/breakdown"

    by_variant = (await client.get(url, params={"by": "variant"}, headers=viewer)).json()
    by_day = (await client.get(url, params={"by": "day"}, headers=viewer)).json()
    by_language = (await client.get(url, params={"by": "language"}, headers=viewer)).json()
    by_plan = (
        await client.get(url, params={"by": "attribute", "key": "plan"}, headers=viewer)
    ).json()
    no_key = await client.get(url, params={"by": "attribute"}, headers=viewer)
    unknown = await client.get(url, params={"by": "horoscope"}, headers=viewer)

    rows = {r["key"]: r for r in by_variant["rows"]}
    assert (rows["A"]["sent"], rows["A"]["clicked"], rows["B"]["sent"]) == (2, 2, 1)
    assert rows["A"]["read"] is None  # a bot cannot see reads: unknown, not zero
    assert "read" in by_variant["unobservable_reasons"]
    assert rows["A"]["click_rate"]["value"] == 1.0 and rows["A"]["click_rate"]["low"] < 1.0
    # Send-day cohorts: c's click two days later counts on the day c was sent.
    days = {r["key"]: (r["sent"], r["clicked"]) for r in by_day["rows"]}
    first, second = T0.date().isoformat(), (T0 + timedelta(days=1)).date().isoformat()
    assert days == {first: (2, 1), second: (1, 1)}
    languages = {r["key"]: (r["sent"], r["converted"]) for r in by_language["rows"]}
    assert languages == {"de": (1, 0), "en": (2, 1)}
    assert {r["key"]: r["sent"] for r in by_plan["rows"]} == {"free": 1, "gold": 2}
    assert no_key.status_code == 422 and unknown.status_code == 422


async def test_funnel_per_variant_time_to_convert_and_dropoff(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    cid = await make_campaign(db, settings, sender_kind="bot")
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                *journey(1, ["sent", "clicked", "converted"], campaign_id=cid),
                *journey(2, ["sent", "clicked"], campaign_id=cid),
                *journey(3, ["sent"], campaign_id=cid, variant_key="B"),
                *journey(4, ["sent", "clicked", "converted"], campaign_id=cid, variant_key="B"),
            ],
        )
    viewer = await headers_for(client, db, Role.VIEWER)
    url = f"/api/v1/analytics/campaigns/{cid}/funnel"
    steps = {"steps": ["sent", "clicked", "converted"], "window_days": 7}

    both = (await client.get(f"{url}/variants", params=steps, headers=viewer)).json()
    dropoff = await client.get(f"{url}/dropoff.csv", params=steps, headers=viewer)

    assert [s["count"] for s in both["overall"]["steps"]] == [4, 3, 2]
    assert {f["variant_key"]: [s["count"] for s in f["steps"]] for f in both["variants"]} == {
        "A": [2, 2, 1],
        "B": [2, 1, 1],
    }
    clicked = both["overall"]["steps"][1]["rate_from_previous"]
    assert (clicked["successes"], clicked["trials"]) == (3, 4)
    time_to_convert = both["overall"]["time_to_convert"]
    assert time_to_convert["people"] == 2
    assert time_to_convert["median_s"] == pytest.approx(120, abs=0.01)  # two minutes each
    assert {b["label"]: b["people"] for b in time_to_convert["buckets"]}["1-10 minutes"] == 2
    assert dropoff.status_code == 200
    assert dropoff.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(dropoff.text)))
    assert {(r["contact_id"], r["last_step"]) for r in rows} == {("2", "clicked"), ("3", "sent")}


async def test_breakdowns_and_roi_read_the_same_on_both_databases(
    any_session: AsyncSession,
) -> None:
    people = [
        Contact(telegram_id=8_000 + n, language="en", attributes={"plan": "gold"}) for n in range(2)
    ]
    any_session.add_all(people)
    await any_session.flush()
    a, b = (p.id for p in people)
    await analytics.record_events(
        session=any_session,
        events=[
            *journey(a, ["sent", "clicked"], campaign_id=5),
            event("sent", contact_id=b, campaign_id=5, minute=60 * 24),
            *(event("sent", contact_id=None, campaign_id=5, minute=m / 1e5) for m in range(40)),
        ],
    )
    source = CampaignSource(campaign_id=5, sender_kind=SenderKind.USER, paid_broadcast=True)

    by_day = await breakdowns.breakdown(session=any_session, source=source, campaign_id=5, by="day")
    by_plan = await breakdowns.breakdown(
        session=any_session,
        source=source,
        campaign_id=5,
        by="attribute",
        key="plan",
        contact_dimension=orchestrator.contact_dimension,
    )
    report = await roi.campaign_roi(session=any_session, source=source, llm_cost_usd_micros=0)

    assert {r.key: r.sent for r in by_day.rows} == {
        T0.date().isoformat(): 41,
        (T0 + timedelta(days=1)).date().isoformat(): 1,
    }
    assert {r.key: (r.sent, r.clicked) for r in by_plan.rows} == {
        "gold": (2, 1),
        "unknown": (40, 0),
    }
    assert report.paid_messages == 11  # 41 sends in T0's second, 30 free

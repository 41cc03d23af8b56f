"""Value per recipient beside the conversion rate: every recipient counts (non-converters with 0),
each number checked against SciPy on the raw per-recipient values."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from scipy import stats

from marketing_agent.analytics import service as analytics
from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from marketing_agent.experiments import service as experiments
from marketing_agent.experiments.revenue import ArmValue, compare
from marketing_agent.experiments.schemas import Arm
from tests.analytics.factories import event
from tests.factories import database_of, headers_for


def buyers(
    variant_key: str, *, sent: int, orders_usd: list[float], first_contact: int
) -> list[analytics.EventCreate]:
    """`sent` recipients of a variant; the first ones bought for `orders_usd` (one each)."""
    contacts = list(range(first_contact, first_contact + sent))
    return [
        *(event("sent", contact_id=c, variant_key=variant_key) for c in contacts),
        *(
            event(
                "converted",
                contact_id=c,
                variant_key=variant_key,
                minute=90,
                value_usd_micros=round(usd * 1e6),
            )
            for c, usd in zip(contacts, orders_usd, strict=False)
        ),
    ]


def per_recipient(sent: int, orders_usd: list[float]) -> np.ndarray:
    return np.array(orders_usd + [0.0] * (sent - len(orders_usd)))


A_ORDERS = [40.0, 25.0, 60.0, 35.0, 30.0, 45.0, 20.0, 55.0]
B_ORDERS = [40.0, 80.0, 65.0, 35.0, 70.0, 50.0, 45.0, 90.0, 60.0, 75.0, 55.0, 85.0] * 2


async def test_revenue_per_recipient_counts_non_converters_as_zero_and_matches_scipy(
    any_db: Database,
) -> None:
    async with any_db.session() as session:
        await experiments.create_experiment(
            session=session, campaign_id=1, arms=[Arm(key="A"), Arm(key="B")]
        )
        await analytics.record_events(
            session=session,
            events=[
                *buyers("A", sent=200, orders_usd=A_ORDERS, first_contact=1),
                *buyers("B", sent=180, orders_usd=B_ORDERS, first_contact=1001),
            ],
        )
        results = await experiments.campaign_results(session=session, campaign_id=1)

    a_values, b_values = per_recipient(200, A_ORDERS), per_recipient(180, B_ORDERS)
    a, b = (arm.revenue for arm in results.arms)
    assert a is not None and b is not None
    assert (a.recipients, a.converters, a.total) == (200, 8, pytest.approx(310.0))
    assert a.mean_per_recipient == pytest.approx(a_values.mean())  # 1.55, not 38.75 per buyer
    assert a.standard_deviation == pytest.approx(a_values.std(ddof=1))
    mean_ci = stats.t.interval(0.95, 199, loc=a_values.mean(), scale=stats.sem(a_values))
    assert (a.mean_ci_low, a.mean_ci_high) == pytest.approx(mean_ci)
    welch = stats.ttest_ind(b_values, a_values, equal_var=False)
    assert b.p_value == pytest.approx(welch.pvalue, rel=1e-9)
    assert b.difference == pytest.approx(b_values.mean() - a_values.mean())
    ci = welch.confidence_interval(0.95)
    assert (b.ci_low, b.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert b.lift == pytest.approx(b_values.mean() / a_values.mean() - 1)
    assert b.lift_ci_low is not None and b.lift_ci_high is not None
    assert b.lift_ci_low < b.lift < b.lift_ci_high
    assert results.revenue is not None and results.revenue.currency == "USD"
    assert results.revenue.leader == "B"
    assert results.revenue.reason.startswith("Variant B brings 6.78 USD more per recipient than A")
    assert "surely more" in results.revenue.reason


async def test_a_campaign_without_valued_conversions_has_no_revenue_figures(db: Database) -> None:
    async with db.session() as session:
        await experiments.create_experiment(
            session=session, campaign_id=1, arms=[Arm(key="A"), Arm(key="B")]
        )
        await analytics.record_events(
            session=session,
            events=[
                event("sent", contact_id=1, variant_key="A"),
                event("converted", contact_id=1, variant_key="A", minute=5),
            ],
        )
        results = await experiments.campaign_results(session=session, campaign_id=1)

    assert results.revenue is None
    assert all(arm.revenue is None for arm in results.arms)


def test_close_arms_are_not_called_different_and_holm_corrects_for_more_arms() -> None:
    values = {
        "A": ArmValue(n=500, total=500.0, sum_squares=500 * 26.0),
        "B": ArmValue(n=500, total=540.0, sum_squares=500 * 28.0),
        "C": ArmValue(n=500, total=520.0, sum_squares=500 * 27.0),
    }

    reads, summary = compare(values, "A", currency="USD")

    assert summary.leader is None
    assert summary.reason.startswith("No variant's value per recipient is surely different")
    assert "Holm" in summary.engine
    b = reads["B"]
    assert b.p_value is not None and b.p_value_holm is not None
    assert b.p_value_holm >= b.p_value
    assert b.ci_low is not None and b.ci_low < 0 < (b.ci_high or 0)


def test_too_few_recipients_say_so_instead_of_a_comparison() -> None:
    reads, summary = compare(
        {"A": ArmValue(n=1, total=10.0, sum_squares=100.0), "B": ArmValue(0, 0.0, 0.0)}, "A"
    )
    assert summary.leader is None and summary.reason.startswith("Too few recipients")
    assert reads["B"].p_value is None and reads["A"].mean_ci_low is None


async def test_the_page_api_shows_revenue_per_recipient_with_its_interval(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    async with db.session() as session:
        await experiments.create_experiment(
            session=session, campaign_id=1, arms=[Arm(key="A"), Arm(key="B")]
        )
        await analytics.record_events(
            session=session,
            events=[
                *buyers("A", sent=200, orders_usd=A_ORDERS, first_contact=1),
                *buyers("B", sent=180, orders_usd=B_ORDERS, first_contact=1001),
            ],
        )
    viewer = await headers_for(client, db, Role.VIEWER)

    body = (await client.get("/api/v1/experiments/campaigns/1", headers=viewer)).json()

    revenue = body["results"]["revenue"]
    assert revenue["leader"] == "B" and revenue["confidence"] == 0.95
    b = body["results"]["arms"][1]["revenue"]
    assert b["recipients"] == 180 and b["converters"] == 24
    assert b["ci_low"] < b["difference"] < b["ci_high"]

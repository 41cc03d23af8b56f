from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from marketing_agent.analytics import service as analytics
from marketing_agent.core.db import Database
from marketing_agent.experiments import service as experiments
from marketing_agent.experiments.cuped import CovariateSummary, adjust, cuped_theta
from marketing_agent.experiments.frequentist import MeanSummary, welch_t_test
from marketing_agent.experiments.schemas import Arm
from tests.analytics.factories import event


def summary(x: np.ndarray, y: np.ndarray) -> CovariateSummary:
    return CovariateSummary(
        n=len(y),
        mean_y=float(y.mean()),
        variance_y=float(y.var(ddof=1)),
        mean_x=float(x.mean()),
        variance_x=float(x.var(ddof=1)),
        covariance_xy=float(np.cov(x, y, ddof=1)[0, 1]),
    )


def test_a_pre_period_metric_narrows_the_interval_and_keeps_the_estimate_honest() -> None:
    rng = np.random.default_rng(9)
    effects, plain_widths, cuped_widths = [], [], []
    for _ in range(200):
        x = rng.gamma(2.0, 1.0, size=(2, 2000))  # past spend of each contact
        y = 0.8 * x + rng.normal(0, 1.0, size=(2, 2000))
        y[1] += 0.1  # the true effect
        arms = [summary(x[i], y[i]) for i in range(2)]
        plain = welch_t_test(*(MeanSummary(a.n, a.mean_y, a.variance_y) for a in arms))
        cuped = welch_t_test(*adjust(arms))
        assert plain is not None and cuped is not None
        effects.append(cuped.difference)
        plain_widths.append(plain.ci_high - plain.ci_low)
        cuped_widths.append(cuped.ci_high - cuped.ci_low)

    assert np.mean(effects) == pytest.approx(0.1, abs=0.01)  # unbiased
    # Variance falls by corr^2 = 1.28 / 2.28: the interval by a third.
    assert np.mean(cuped_widths) / np.mean(plain_widths) == pytest.approx(0.66, abs=0.03)


def test_theta_is_the_pooled_within_arm_regression_slope() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 500))
    y = 2.0 * x + rng.normal(size=(3, 500)) + np.array([[0.0], [1.0], [2.0]])
    centred_x = x - x.mean(axis=1, keepdims=True)
    centred_y = y - y.mean(axis=1, keepdims=True)
    slope = float((centred_x * centred_y).sum() / (centred_x**2).sum())

    theta = cuped_theta([summary(x[i], y[i]) for i in range(3)])

    assert theta == pytest.approx(slope, rel=1e-12)
    constant = CovariateSummary(
        n=10, mean_y=1, variance_y=1, mean_x=0, variance_x=0, covariance_xy=0
    )
    assert cuped_theta([constant, constant]) == 0.0


async def test_pre_period_counts_only_the_metric_elsewhere_in_the_window_before_each_send(
    db: Database,
) -> None:
    day = 24 * 60
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                event("sent", contact_id=1, variant_key="A"),
                event("converted", contact_id=1, variant_key="A", minute=30),
                event("sent", contact_id=2, variant_key="B"),
                # Contact 1: two conversions of another campaign inside 30 days, one older.
                event("converted", contact_id=1, campaign_id=9, minute=-10 * day),
                event("converted", contact_id=1, campaign_id=9, minute=-29 * day),
                event("converted", contact_id=1, campaign_id=9, minute=-31 * day),
                # Contact 2: one conversion of yet another campaign a minute before, one after.
                event("converted", contact_id=2, campaign_id=8, minute=-1),
                event("converted", contact_id=2, campaign_id=9, minute=5),
            ],
        )
        sums = await analytics.pre_period_summaries(
            session=session,
            campaign_id=1,
            metric=analytics.EventType.CONVERTED,
            window=timedelta(days=30),
        )
    by_key = {row.variant_key: row for row in sums}
    assert (by_key["A"].n, by_key["A"].sum_x, by_key["A"].sum_y, by_key["A"].sum_xy) == (1, 2, 1, 2)
    assert (by_key["B"].n, by_key["B"].sum_x, by_key["B"].sum_y) == (1, 1, 0)


async def test_campaign_results_narrow_the_interval_with_the_recipients_past_conversions(
    db: Database,
) -> None:
    rng = np.random.default_rng(4)
    events: list[analytics.EventCreate] = []
    for contact in range(1, 1201):
        key = "A" if contact % 2 else "B"
        loyal = rng.random() < 0.3  # loyal customers bought before and buy again
        rate = (0.7 if loyal else 0.03) + (0.05 if key == "B" else 0.0)
        events.append(event("sent", contact_id=contact, variant_key=key))
        if loyal:
            events += [
                event("converted", contact_id=contact, campaign_id=7, minute=-m * 1440)
                for m in range(1, 1 + int(rng.integers(1, 3)))
            ]
        if rng.random() < rate:
            events.append(event("converted", contact_id=contact, variant_key=key, minute=60))
    async with db.session() as session:
        await experiments.create_experiment(
            session=session, campaign_id=1, arms=[Arm(key="A"), Arm(key="B")]
        )
        await analytics.record_events(session=session, events=events)
        plain = await experiments.campaign_results(session=session, campaign_id=1)
        adjusted = await experiments.campaign_results(
            session=session, campaign_id=1, pre_period_days=30
        )

    assert plain.cuped is None
    assert adjusted.cuped is not None
    cuped = adjusted.cuped
    assert cuped.engine.startswith("CUPED") and cuped.pre_period_days == 30
    assert cuped.variance_reduction > 0.3
    [arm_b] = [arm for arm in cuped.arms if arm.key == "B"]
    assert arm_b.ci_low is not None and arm_b.ci_high is not None
    frequentist = adjusted.arms[1].frequentist
    assert frequentist is not None
    plain_width = frequentist.difference_ci_high - frequentist.difference_ci_low
    assert arm_b.ci_high - arm_b.ci_low < 0.8 * plain_width
    assert arm_b.ci_low < 0.05 < arm_b.ci_high  # the true effect is inside


async def test_no_pre_period_history_means_no_cuped_claim(db: Database) -> None:
    async with db.session() as session:
        await experiments.create_experiment(
            session=session, campaign_id=1, arms=[Arm(key="A"), Arm(key="B")]
        )
        await analytics.record_events(
            session=session,
            events=[event("sent", contact_id=c, variant_key="AB"[c % 2]) for c in range(1, 41)],
        )
        results = await experiments.campaign_results(
            session=session, campaign_id=1, pre_period_days=30
        )
    assert results.cuped is None

"""CUPED: a pre-period metric of the same contacts (e.g. past conversions) removes variance.

y' = y - theta (x - mean of x over all arms), theta = pooled cov(x, y) / var(x). Randomisation
makes x independent of the arm, so the adjusted means stay unbiased and their variance shrinks
by the squared correlation of x and y. Campaign results feed it from analytics'
`pre_period_summaries` (each recipient's metric in the days before their first send).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from marketing_agent.experiments.frequentist import MeanSummary


@dataclass(frozen=True)
class CovariateSummary:
    """One arm: the metric y, the pre-period covariate x, and their (sample) covariance."""

    n: int
    mean_y: float
    variance_y: float
    mean_x: float
    variance_x: float
    covariance_xy: float


def cuped_theta(arms: Sequence[CovariateSummary]) -> float:
    """Returns theta from the within-arm covariance pooled over the arms; 0 if x never varies."""
    weights = [arm.n - 1 for arm in arms if arm.n > 1]
    pooled = [arm for arm in arms if arm.n > 1]
    variance = sum(w * arm.variance_x for w, arm in zip(weights, pooled, strict=True))
    covariance = sum(w * arm.covariance_xy for w, arm in zip(weights, pooled, strict=True))
    return covariance / variance if variance > 0 else 0.0


def adjust(arms: Sequence[CovariateSummary]) -> list[MeanSummary]:
    """Returns each arm's CUPED-adjusted summary, ready for frequentist.welch_t_test."""
    theta = cuped_theta(arms)
    total = sum(arm.n for arm in arms)
    grand_x = sum(arm.n * arm.mean_x for arm in arms) / total if total else 0.0
    return [
        MeanSummary(
            n=arm.n,
            mean=arm.mean_y - theta * (arm.mean_x - grand_x),
            variance=max(
                0.0,
                arm.variance_y + theta**2 * arm.variance_x - 2 * theta * arm.covariance_xy,
            ),
        )
        for arm in arms
    ]

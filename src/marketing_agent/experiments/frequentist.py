"""Frequentist comparisons: the two-proportion z test, Welch's t test for revenue, Holm, SRM.

Fixed-horizon tests: valid when looked at once, at a sample size chosen in advance (see power.py);
for a page that is watched while the campaign sends, read the sequential engine's numbers.
Distributions come from scipy.special, not scipy.stats, whose import adds seconds to start-up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import special

from marketing_agent.experiments.stats import ArmCounts

ENGINE_Z = "frequentist: two-proportion z test (pooled), Wilson and delta-method intervals"
ENGINE_WELCH = "frequentist: Welch's t test"
SRM_P_VALUE = 0.001  # below this the split is reported as mismatched (GrowthBook's default)


@dataclass(frozen=True)
class ProportionComparison:
    """An arm against the control: difference of rates, relative lift and the z test."""

    difference: float  # p_arm - p_control
    difference_ci_low: float
    difference_ci_high: float
    lift: float | None  # p_arm / p_control - 1; None for a zero control rate
    lift_ci_low: float | None  # delta method on the relative difference
    lift_ci_high: float | None
    z: float
    p_value: float  # two-sided


@dataclass(frozen=True)
class MeanSummary:
    """A metric's per-recipient summary in one arm, e.g. revenue: n, mean and sample variance."""

    n: int
    mean: float
    variance: float


@dataclass(frozen=True)
class MeanComparison:
    difference: float
    ci_low: float
    ci_high: float
    lift: float | None
    t: float
    degrees_of_freedom: float
    p_value: float
    # Delta method on arm.mean / control.mean - 1 (t quantile at the Welch degrees of freedom);
    # None when the control's mean is 0.
    lift_ci_low: float | None = None
    lift_ci_high: float | None = None


@dataclass(frozen=True)
class SampleRatioCheck:
    """Chi-square goodness of fit of the arms' trials against their weights."""

    chi_square: float
    p_value: float
    expected: list[float]
    mismatch: bool  # p_value < SRM_P_VALUE


def normal_quantile(p: float) -> float:
    return float(special.ndtri(p))


def wilson_interval(
    successes: int, trials: int, *, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Returns the Wilson score interval of a rate (it always holds the observed rate)."""
    if trials == 0:
        return None
    z = normal_quantile(0.5 + confidence / 2)
    rate = successes / trials
    denominator = 1.0 + z * z / trials
    center = (rate + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / denominator
    low = 0.0 if successes == 0 else max(0.0, min(rate, center - half))
    high = 1.0 if successes == trials else min(1.0, max(rate, center + half))
    return low, high


def compare_proportions(
    control: ArmCounts, arm: ArmCounts, *, confidence: float = 0.95
) -> ProportionComparison | None:
    """Returns the z test of `arm` against `control`; None when either has no trials."""
    if control.trials == 0 or arm.trials == 0:
        return None
    z_crit = normal_quantile(0.5 + confidence / 2)
    p_c, p_a = control.successes / control.trials, arm.successes / arm.trials
    var_c, var_a = p_c * (1 - p_c) / control.trials, p_a * (1 - p_a) / arm.trials
    difference = p_a - p_c
    half = z_crit * math.sqrt(var_c + var_a)

    pooled = (control.successes + arm.successes) / (control.trials + arm.trials)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / control.trials + 1 / arm.trials))
    z = difference / se_pooled if se_pooled > 0 else 0.0
    p_value = 2.0 * float(special.ndtr(-abs(z))) if se_pooled > 0 else 1.0

    lift = lift_low = lift_high = None
    if p_c > 0:
        lift = p_a / p_c - 1.0
        lift_half = z_crit * math.sqrt(relative_variance(p_c, var_c, p_a, var_a))
        lift_low, lift_high = lift - lift_half, lift + lift_half
    return ProportionComparison(
        difference=difference,
        difference_ci_low=difference - half,
        difference_ci_high=difference + half,
        lift=lift,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        z=z,
        p_value=min(1.0, p_value),
    )


def relative_variance(mean_c: float, var_mean_c: float, mean_a: float, var_mean_a: float) -> float:
    """Delta-method variance of mean_a / mean_c - 1 from the variances of the two means."""
    return var_mean_a / mean_c**2 + var_mean_c * mean_a**2 / mean_c**4


def welch_t_test(
    control: MeanSummary, arm: MeanSummary, *, confidence: float = 0.95
) -> MeanComparison | None:
    """Returns Welch's unequal-variance t test of `arm` against `control` (e.g. revenue)."""
    if control.n < 2 or arm.n < 2:
        return None
    var_c, var_a = control.variance / control.n, arm.variance / arm.n
    difference = arm.mean - control.mean
    se = math.sqrt(var_c + var_a)
    lift = arm.mean / control.mean - 1.0 if control.mean else None
    if se == 0:
        return MeanComparison(
            difference, difference, difference, lift, 0.0, math.inf, 1.0, lift, lift
        )
    df = (var_c + var_a) ** 2 / (var_c**2 / (control.n - 1) + var_a**2 / (arm.n - 1))
    t = difference / se
    p_value = 2.0 * float(special.stdtr(df, -abs(t)))
    t_crit = float(special.stdtrit(df, 0.5 + confidence / 2))
    half = t_crit * se
    lift_low = lift_high = None
    if lift is not None:
        lift_half = t_crit * math.sqrt(relative_variance(control.mean, var_c, arm.mean, var_a))
        lift_low, lift_high = lift - lift_half, lift + lift_half
    return MeanComparison(
        difference=difference,
        ci_low=difference - half,
        ci_high=difference + half,
        lift=lift,
        t=t,
        degrees_of_freedom=df,
        p_value=min(1.0, p_value),
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
    )


def mean_interval(summary: MeanSummary, *, confidence: float = 0.95) -> tuple[float, float] | None:
    """Returns the t interval of a mean (e.g. revenue per recipient); None below 2 recipients."""
    if summary.n < 2:
        return None
    t_crit = float(special.stdtrit(summary.n - 1, 0.5 + confidence / 2))
    half = t_crit * math.sqrt(summary.variance / summary.n)
    return summary.mean - half, summary.mean + half


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Returns Holm-Bonferroni adjusted p-values (family-wise error), in the given order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def check_sample_ratio(trials: Sequence[int], weights: Sequence[float]) -> SampleRatioCheck | None:
    """Returns the chi-square SRM check of trials against weights; None with no trials."""
    total = sum(trials)
    if total == 0 or len(trials) < 2:
        return None
    weight_sum = sum(weights)
    expected = [total * w / weight_sum for w in weights]
    chi_square = sum((o - e) ** 2 / e for o, e in zip(trials, expected, strict=True))
    p_value = float(special.chdtrc(len(trials) - 1, chi_square))
    return SampleRatioCheck(
        chi_square=chi_square, p_value=p_value, expected=expected, mismatch=p_value < SRM_P_VALUE
    )

"""Sequential, always-valid comparison: asymptotic confidence sequences (Waudby-Smith et al.).

A confidence sequence holds the true difference at every sample size at once with probability
1 - alpha, so a page may be refreshed after every send without inflating false positives; its
p-value is 1 / (the mixture-martingale e-value), a mixture SPRT. The normal mixture is tuned to be
tightest at `tuning_n` recipients in total (GrowthBook's default, 5000), as gbstats does.
Reference: arXiv:2103.06476v7, eq. 9 (the interval) and eq. 155 (the p-value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from marketing_agent.experiments.frequentist import relative_variance
from marketing_agent.experiments.stats import ArmCounts

ENGINE = "sequential: asymptotic confidence sequence (Waudby-Smith et al. 2023), mixture SPRT"
TUNING_N = 5000


@dataclass(frozen=True)
class SequentialComparison:
    difference: float  # p_arm - p_control
    difference_ci_low: float  # confidence sequence of the difference
    difference_ci_high: float
    lift: float | None
    lift_ci_low: float | None  # confidence sequence of the relative lift (delta method)
    lift_ci_high: float | None
    p_value: float  # always valid: P(ever <= alpha | no difference) <= alpha, asymptotically


def mixture_rho(alpha: float, tuning_n: float = TUNING_N) -> float:
    """The normal mixture's spread that makes the sequence tightest at `tuning_n` (eq. 161)."""
    log_alpha = math.log(alpha)
    return math.sqrt((-2 * log_alpha + math.log(-2 * log_alpha + 1)) / tuning_n)


def half_width(std_error: float, n: int, *, alpha: float, tuning_n: float = TUNING_N) -> float:
    """Half-width of the confidence sequence of an estimate with `std_error` after n units."""
    rho2 = mixture_rho(alpha, tuning_n) ** 2
    s2 = std_error**2 * n  # the per-unit variance
    grown = n * rho2 + 1
    return math.sqrt(s2) * math.sqrt(
        2 * grown * math.log(math.sqrt(grown) / alpha) / (n * n * rho2)
    )


def p_value(estimate: float, std_error: float, n: int, *, alpha: float, tuning_n: float) -> float:
    """Always-valid p-value of 'no difference': 1 / e-value of the normal mixture (eq. 155)."""
    if std_error == 0:
        return 1.0
    rho2 = mixture_rho(alpha, tuning_n) ** 2
    grown = n * rho2 + 1
    st2 = estimate**2 / std_error**2  # (estimate / se)^2
    log_e = rho2 * n * st2 / (2 * grown) - 0.5 * math.log(grown)
    return min(1.0, math.exp(-log_e))


def compare_proportions(
    control: ArmCounts, arm: ArmCounts, *, alpha: float = 0.05, tuning_n: float = TUNING_N
) -> SequentialComparison | None:
    """Returns the always-valid comparison of `arm` with `control`; None without trials."""
    if control.trials == 0 or arm.trials == 0:
        return None
    n = control.trials + arm.trials
    p_c, p_a = control.successes / control.trials, arm.successes / arm.trials
    var_c, var_a = p_c * (1 - p_c) / control.trials, p_a * (1 - p_a) / arm.trials
    difference = p_a - p_c
    se = math.sqrt(var_c + var_a)
    half = half_width(se, n, alpha=alpha, tuning_n=tuning_n) if se > 0 else 0.0
    lift = lift_low = lift_high = None
    if p_c > 0:
        lift = p_a / p_c - 1.0
        lift_se = math.sqrt(relative_variance(p_c, var_c, p_a, var_a))
        lift_half = half_width(lift_se, n, alpha=alpha, tuning_n=tuning_n) if lift_se > 0 else 0.0
        lift_low, lift_high = lift - lift_half, lift + lift_half
    return SequentialComparison(
        difference=difference,
        difference_ci_low=difference - half,
        difference_ci_high=difference + half,
        lift=lift,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        p_value=p_value(difference, se, n, alpha=alpha, tuning_n=tuning_n),
    )

"""Power and sample size of a conversion test: recipients needed before a campaign is submitted.

The two-sided two-proportion z test (unpooled alternative variance, the textbook formula, as
Evan Miller's and G*Power's calculators); with more than two arms every arm is compared with the
control at alpha / (arms - 1) (Bonferroni, which Holm never does worse than). The base rate is
the one earlier campaigns observed (`observed_base_rate`), else a stated assumption.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

# Planned on when no earlier campaign observed enough: a typical marketing conversion rate.
ASSUMED_BASE_RATE = 0.03
# Successes earlier campaigns need before their rate is planned on: with 10 the rate is known to
# within about -50%/+85% (95% Poisson interval), with fewer a single conversion moves it by 10%.
MIN_BASE_RATE_SUCCESSES = 10


@dataclass(frozen=True)
class SampleSize:
    per_arm: int
    total: int
    alpha_per_comparison: float
    rate_control: float
    rate_variant: float


def sample_size(
    *,
    base_rate: float,
    minimum_detectable_lift: float,
    power: float = 0.8,
    alpha: float = 0.05,
    arms: int = 2,
) -> SampleSize:
    """Returns recipients per arm (and in all) to detect a relative lift with the given power."""
    _check(base_rate, minimum_detectable_lift, power, alpha, arms)
    p1 = base_rate
    p2 = base_rate * (1 + minimum_detectable_lift)
    a = alpha / (arms - 1)
    z_alpha = float(special.ndtri(1 - a / 2))
    z_beta = float(special.ndtri(power))
    mean = (p1 + p2) / 2
    root = z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_beta * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    per_arm = math.ceil(root**2 / (p2 - p1) ** 2)
    return SampleSize(
        per_arm=per_arm,
        total=per_arm * arms,
        alpha_per_comparison=a,
        rate_control=p1,
        rate_variant=p2,
    )


def power_of(
    *,
    base_rate: float,
    minimum_detectable_lift: float,
    per_arm: int,
    alpha: float = 0.05,
    arms: int = 2,
) -> float:
    """Returns the power the test has with `per_arm` recipients in each arm."""
    _check(base_rate, minimum_detectable_lift, 0.5, alpha, arms)
    if per_arm <= 0:
        return 0.0
    p1, p2 = base_rate, base_rate * (1 + minimum_detectable_lift)
    z_alpha = float(special.ndtri(1 - alpha / (arms - 1) / 2))
    mean = (p1 + p2) / 2
    null_se = math.sqrt(2 * mean * (1 - mean) / per_arm)
    alt_se = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / per_arm)
    return float(special.ndtr((abs(p2 - p1) - z_alpha * null_se) / alt_se))


def _check(base_rate: float, lift: float, power: float, alpha: float, arms: int) -> None:
    if not 0 < base_rate < 1:
        raise ValueError("base_rate must be between 0 and 1")
    if lift == 0 or not 0 < base_rate * (1 + lift) < 1:
        raise ValueError("minimum_detectable_lift must be non-zero and keep the rate in (0, 1)")
    if not 0 < power < 1 or not 0 < alpha < 1:
        raise ValueError("power and alpha must be between 0 and 1")
    if arms < 2:
        raise ValueError("a test needs at least two arms")

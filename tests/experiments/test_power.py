from __future__ import annotations

import numpy as np
import pytest

from marketing_agent.experiments.frequentist import compare_proportions
from marketing_agent.experiments.power import power_of, sample_size
from marketing_agent.experiments.stats import ArmCounts


def test_ten_percent_lift_on_three_percent_needs_the_textbook_sample() -> None:
    needed = sample_size(base_rate=0.03, minimum_detectable_lift=0.10, power=0.8)

    # (z_.975 * sqrt(2 * .0315 * .9685) + z_.8 * sqrt(.03 * .97 + .033 * .967))^2 / .003^2
    # = 53210.3 with scipy.stats.norm's quantiles, rounded up.
    assert needed.per_arm == 53_211
    assert needed.total == 2 * needed.per_arm
    assert power_of(base_rate=0.03, minimum_detectable_lift=0.1, per_arm=needed.per_arm) >= 0.8
    assert power_of(base_rate=0.03, minimum_detectable_lift=0.1, per_arm=needed.per_arm - 5) < 0.8


def test_more_arms_need_more_per_arm_for_the_same_family_error() -> None:
    two = sample_size(base_rate=0.05, minimum_detectable_lift=0.2, arms=2)
    four = sample_size(base_rate=0.05, minimum_detectable_lift=0.2, arms=4)

    assert four.alpha_per_comparison == pytest.approx(0.05 / 3)
    assert four.per_arm > two.per_arm


def test_the_planned_sample_reaches_its_power_in_simulation() -> None:
    needed = sample_size(base_rate=0.05, minimum_detectable_lift=0.3, power=0.8)
    rng = np.random.default_rng(3)
    n = needed.per_arm
    a = rng.binomial(n, 0.05, size=1500)
    b = rng.binomial(n, 0.065, size=1500)

    hits = []
    for x, y in zip(a, b, strict=True):
        result = compare_proportions(ArmCounts("A", n, int(x)), ArmCounts("B", n, int(y)))
        hits.append(result is not None and result.p_value < 0.05)

    assert np.mean(hits) == pytest.approx(0.8, abs=0.035)  # about three standard errors

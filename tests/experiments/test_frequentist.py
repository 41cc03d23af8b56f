"""Frequentist numbers against SciPy's own tests (tolerance 1e-9 unless said)."""

from __future__ import annotations

import pytest
from scipy import stats

from marketing_agent.experiments.frequentist import (
    MeanSummary,
    check_sample_ratio,
    compare_proportions,
    holm_adjust,
    welch_t_test,
    wilson_interval,
)
from marketing_agent.experiments.stats import ArmCounts

PAIRS = [
    ((1000, 50), (1000, 65)),
    ((10, 1), (12, 4)),
    ((1000, 0), (1000, 3)),
    ((50, 5), (5000, 400)),
]


@pytest.mark.parametrize(("control", "arm"), PAIRS)
def test_the_z_test_is_the_chi_square_test_of_the_two_by_two_table(
    control: tuple[int, int], arm: tuple[int, int]
) -> None:
    table = [[control[1], control[0] - control[1]], [arm[1], arm[0] - arm[1]]]
    chi2 = stats.chi2_contingency(table, correction=False)

    result = compare_proportions(ArmCounts("A", *control), ArmCounts("B", *arm))

    assert result is not None
    assert result.p_value == pytest.approx(chi2.pvalue, rel=1e-9)
    assert result.z**2 == pytest.approx(chi2.statistic, rel=1e-9)


def test_no_conversions_anywhere_is_no_evidence() -> None:
    result = compare_proportions(ArmCounts("A", 500, 0), ArmCounts("B", 500, 0))

    assert result is not None and result.p_value == 1.0 and result.lift is None
    assert compare_proportions(ArmCounts("A", 0, 0), ArmCounts("B", 5, 1)) is None


@pytest.mark.parametrize(("successes", "trials"), [(0, 10), (1, 10), (10, 10), (50, 1000), (7, 3)])
def test_wilson_interval_matches_scipy_and_holds_the_rate(successes: int, trials: int) -> None:
    if successes > trials:
        successes, trials = trials, successes
    expected = stats.binomtest(successes, trials).proportion_ci(method="wilson")

    interval = wilson_interval(successes, trials)

    assert interval is not None
    assert interval == pytest.approx((expected.low, expected.high), abs=1e-12)
    assert interval[0] <= successes / trials <= interval[1]


def test_welch_matches_scipy_for_revenue_per_recipient() -> None:
    control, arm = MeanSummary(800, 2.10, 9.0), MeanSummary(780, 2.55, 12.5)
    scipy_result = stats.ttest_ind_from_stats(  # arm first: scipy tests first minus second
        arm.mean,
        arm.variance**0.5,
        arm.n,
        control.mean,
        control.variance**0.5,
        control.n,
        equal_var=False,
    )

    result = welch_t_test(control, arm)

    assert result is not None
    assert result.t == pytest.approx(scipy_result.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(scipy_result.pvalue, rel=1e-9)
    half = stats.t.ppf(0.975, result.degrees_of_freedom) * (9.0 / 800 + 12.5 / 780) ** 0.5
    assert (result.ci_low, result.ci_high) == pytest.approx((0.45 - half, 0.45 + half))


def test_holm_adjusts_in_step_down_order_and_keeps_the_given_order() -> None:
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm_adjust([0.5]) == [0.5]
    assert holm_adjust([0.4, 0.6]) == [0.8, 0.8]


def test_sample_ratio_mismatch_matches_scipys_chi_square_and_flags_a_broken_split() -> None:
    fine = check_sample_ratio([5030, 4970], [1, 1])
    broken = check_sample_ratio([1000, 1000, 0], [1, 1, 1])
    weighted = check_sample_ratio([2600, 7400], [1, 3])
    expected = stats.chisquare([2600, 7400], [2500, 7500])

    assert fine is not None and not fine.mismatch
    assert broken is not None and broken.mismatch
    assert weighted is not None
    assert weighted.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert check_sample_ratio([0, 0], [1, 1]) is None

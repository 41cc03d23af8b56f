from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from marketing_agent.experiments.stats import (
    ArmCounts,
    BetaPrior,
    analyse_arms,
    chance_to_be_best,
    rate_interval,
)


def test_a_clearly_better_arm_is_very_likely_to_beat_the_control() -> None:
    results = analyse_arms(
        [ArmCounts("A", trials=1000, successes=50), ArmCounts("B", trials=1000, successes=80)],
        "A",
    )
    control, better = results

    assert better.chance_to_beat_control is not None and better.chance_to_beat_control > 0.99
    assert better.lift == pytest.approx(0.6)
    assert better.lift_ci_low is not None and better.lift_ci_high is not None
    assert 0.0 < better.lift_ci_low < 0.6 < better.lift_ci_high
    assert better.chance_to_be_best == better.chance_to_beat_control  # one number, two names
    assert better.expected_loss is not None and control.expected_loss is not None
    assert better.expected_loss < control.expected_loss
    assert control.chance_to_beat_control is None and control.lift is None
    assert control.rate == pytest.approx(0.05)


def test_equal_arms_are_exactly_a_coin_flip() -> None:
    _, b = analyse_arms(
        [ArmCounts("A", trials=2000, successes=200), ArmCounts("B", trials=2000, successes=200)],
        "A",
    )

    assert b.chance_to_beat_control == pytest.approx(0.5, abs=1e-9)
    assert b.lift == 0.0


def test_credible_interval_covers_the_true_rate_about_95_percent_of_the_time() -> None:
    true_rate, n, experiments = 0.12, 300, 2000
    observed = np.random.default_rng(7).binomial(n, true_rate, size=experiments)

    intervals = [rate_interval(ArmCounts("A", trials=n, successes=int(s))) for s in observed]

    covered = sum(low <= true_rate <= high for low, high in intervals) / experiments
    assert covered == pytest.approx(0.95, abs=0.02)


def test_arms_without_trials_get_the_priors_interval_and_take_no_part() -> None:
    a, b = analyse_arms([ArmCounts("A", 0, 0), ArmCounts("B", 0, 0)], "A")

    assert b.ci_low == pytest.approx(0.025)
    assert b.ci_high == pytest.approx(0.975)
    assert a.rate is None and b.rate is None and b.lift is None
    assert b.chance_to_beat_control is None and b.chance_to_be_best is None
    assert b.expected_loss is None


def test_an_arm_nobody_was_sent_to_does_not_outrank_real_data() -> None:
    # The flat prior's mean (50%) used to beat a control with 1000 sends and 50 conversions.
    control, empty, real = analyse_arms(
        [ArmCounts("A", 1000, 50), ArmCounts("C", 0, 0), ArmCounts("B", 1000, 49)], "A"
    )

    assert empty.chance_to_be_best is None and empty.chance_to_beat_control is None
    assert control.chance_to_be_best is not None and real.chance_to_be_best is not None
    assert control.chance_to_be_best + real.chance_to_be_best == pytest.approx(1.0, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(
    trials=st.integers(min_value=1, max_value=5000),
    share=st.floats(min_value=0, max_value=1),
    control_trials=st.integers(min_value=1, max_value=5000),
    control_share=st.floats(min_value=0, max_value=1),
    prior=st.sampled_from([BetaPrior(), BetaPrior(0.5, 0.5), BetaPrior(3, 97), BetaPrior(50, 50)]),
)
def test_a_rate_and_a_lift_are_never_outside_their_own_interval(
    trials: int,
    share: float,
    control_trials: int,
    control_share: float,
    prior: BetaPrior,
) -> None:
    arm = ArmCounts("B", trials, round(trials * share))
    control = ArmCounts("A", control_trials, round(control_trials * control_share))

    _, result = analyse_arms([control, arm], "A", prior=prior)

    assert result.rate is not None
    assert result.ci_low <= result.rate <= result.ci_high
    assert 0.0 <= result.ci_low <= result.ci_high <= 1.0
    if result.lift is not None:
        assert result.lift_ci_low is not None and result.lift_ci_high is not None
        assert result.lift_ci_low <= result.lift <= result.lift_ci_high
    assert result.chance_to_beat_control is not None
    assert 0.0 <= result.chance_to_beat_control <= 1.0


def test_an_informative_prior_pulls_a_small_arm_towards_it() -> None:
    counts = [ArmCounts("A", 20, 0), ArmCounts("B", 20, 4)]

    flat = analyse_arms(counts, "A")
    informed = analyse_arms(counts, "A", prior=BetaPrior(5, 95))  # "about 5%", worth 100 sends

    assert informed[1].posterior_mean < flat[1].posterior_mean
    assert informed[1].chance_to_beat_control is not None
    assert flat[1].chance_to_beat_control is not None
    assert informed[1].chance_to_beat_control < flat[1].chance_to_beat_control


def test_chance_to_be_best_shares_one_between_all_arms() -> None:
    arms = [ArmCounts("A", 500, 50), ArmCounts("B", 500, 55), ArmCounts("C", 500, 75)]

    shares = chance_to_be_best(arms)

    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-5)
    assert max(shares, key=lambda k: shares[k]) == "C"
    assert [r.chance_to_be_best for r in analyse_arms(arms, "A")] == list(shares.values())


def test_results_are_reproducible() -> None:
    arms = [ArmCounts(key, 10_000, 500 + i * 10) for i, key in enumerate("ABCDE")]
    assert analyse_arms(arms, "A") == analyse_arms(arms, "A")


def test_impossible_counts_a_missing_control_and_a_bad_prior_are_refused() -> None:
    with pytest.raises(ValueError, match="successes"):
        analyse_arms([ArmCounts("A", trials=5, successes=6)], "A")
    with pytest.raises(ValueError, match="control"):
        analyse_arms([ArmCounts("A", trials=5, successes=1)], "Z")
    with pytest.raises(ValueError, match="prior"):
        analyse_arms([ArmCounts("A", trials=5, successes=1)], "A", prior=BetaPrior(0, 1))


def test_huge_counts_are_answered_by_the_integral_not_a_billion_term_sum() -> None:
    arms = [ArmCounts("A", 10**9, 5 * 10**8), ArmCounts("B", 10**9, 5 * 10**8 + 30_000)]

    _, b = analyse_arms(arms, "A")

    # The normal approximation is excellent here: z = 3e-5 / sqrt(2 * 0.25 / 1e9).
    z = 30_000 / 10**9 / (2 * 0.25 / 10**9) ** 0.5
    assert b.chance_to_beat_control == pytest.approx(float(special.ndtr(z)), abs=1e-4)

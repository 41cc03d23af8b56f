from __future__ import annotations

import time

import numpy as np
import pytest

from marketing_agent.experiments.stats import ArmCounts, analyse_arms, chance_to_be_best


def test_a_clearly_better_arm_is_very_likely_to_beat_the_control() -> None:
    results = analyse_arms(
        [ArmCounts("A", trials=1000, successes=50), ArmCounts("B", trials=1000, successes=80)],
        "A",
    )
    control, better = results

    assert better.chance_to_beat_control is not None and better.chance_to_beat_control > 0.95
    assert better.lift == pytest.approx(0.6)
    assert better.chance_to_be_best > 0.95
    assert better.expected_loss < control.expected_loss
    assert control.chance_to_beat_control is None and control.lift is None
    assert control.rate == pytest.approx(0.05)


def test_equal_arms_are_a_coin_flip() -> None:
    _, b = analyse_arms(
        [ArmCounts("A", trials=2000, successes=200), ArmCounts("B", trials=2000, successes=200)],
        "A",
    )

    assert b.chance_to_beat_control == pytest.approx(0.5, abs=0.02)
    assert b.lift == 0.0


def test_credible_interval_covers_the_true_rate_about_95_percent_of_the_time() -> None:
    true_rate, n, experiments = 0.12, 300, 2000
    observed = np.random.default_rng(7).binomial(n, true_rate, size=experiments)
    arms = [ArmCounts(f"run{i}", trials=n, successes=int(s)) for i, s in enumerate(observed)]

    results = analyse_arms(arms, "run0", samples=10)

    covered = sum(r.ci_low <= true_rate <= r.ci_high for r in results) / experiments
    assert covered == pytest.approx(0.95, abs=0.02)


def test_arms_without_trials_get_the_priors_interval_and_no_rate() -> None:
    a, b = analyse_arms([ArmCounts("A", 0, 0), ArmCounts("B", 0, 0)], "A")

    assert b.ci_low == pytest.approx(0.025)
    assert b.ci_high == pytest.approx(0.975)
    assert a.rate is None and b.rate is None and b.lift is None
    assert b.chance_to_beat_control == pytest.approx(0.5, abs=0.02)


def test_chance_to_be_best_shares_one_between_all_arms() -> None:
    arms = [ArmCounts("A", 500, 50), ArmCounts("B", 500, 55), ArmCounts("C", 500, 75)]

    shares = chance_to_be_best(arms)

    assert sum(shares.values()) == pytest.approx(1.0)
    assert max(shares, key=lambda k: shares[k]) == "C"
    assert [r.chance_to_be_best for r in analyse_arms(arms, "A")] == list(shares.values())


def test_results_are_reproducible_and_take_milliseconds() -> None:
    arms = [ArmCounts(key, 10_000, 500 + i * 10) for i, key in enumerate("ABCDE")]
    analyse_arms(arms, "A")  # warm up scipy's first call

    started = time.perf_counter()
    first = analyse_arms(arms, "A")
    elapsed = time.perf_counter() - started

    assert analyse_arms(arms, "A") == first
    assert elapsed < 0.1, f"analysis took {elapsed * 1000:.0f} ms"


def test_impossible_counts_and_a_missing_control_are_refused() -> None:
    with pytest.raises(ValueError, match="successes"):
        analyse_arms([ArmCounts("A", trials=5, successes=6)], "A")
    with pytest.raises(ValueError, match="control"):
        analyse_arms([ArmCounts("A", trials=5, successes=1)], "Z")

"""Stopping at the rule's winner while the results are read after every batch: the Bayesian
rule alone names a winner between equal variants in most campaigns; with the sequential engine's
agreement, in at most its nominal 5%."""

from __future__ import annotations

import numpy as np

from marketing_agent.experiments.analysis import DecisionRule, stop_decision
from marketing_agent.experiments.stats import ArmCounts

RULE = DecisionRule(min_trials_per_arm=100, chance_to_win=0.95)


def wrong_winners(*, sequential_check: bool, runs: int = 100, looks: int = 40) -> float:
    """Share of A/A campaigns (both 3%, 100 sends per arm a look) in which the rule ever names
    a winner."""
    rng = np.random.default_rng(2026)
    a = rng.binomial(100, 0.03, size=(runs, looks)).cumsum(axis=1)
    b = rng.binomial(100, 0.03, size=(runs, looks)).cumsum(axis=1)
    named = 0
    for run in range(runs):
        for look in range(looks):
            n = 100 * (look + 1)
            arms = [ArmCounts("A", n, int(a[run, look])), ArmCounts("B", n, int(b[run, look]))]
            if stop_decision(arms, RULE, sequential_check=sequential_check) is not None:
                named += 1
                break
    return named / runs


def test_read_after_every_batch_the_bayesian_rule_alone_names_equal_variants_winners() -> None:
    assert wrong_winners(sequential_check=False) > 0.3


def test_with_the_sequential_engine_agreeing_a_winner_between_equal_variants_is_rare() -> None:
    assert wrong_winners(sequential_check=True) <= 0.05


def test_a_clearly_better_variant_is_named_once_both_engines_agree() -> None:
    arms = [ArmCounts("A", 1000, 20), ArmCounts("B", 1000, 60)]
    assert stop_decision(arms, RULE, sequential_check=True) == "B"
    few = [ArmCounts("A", 89, 2), ArmCounts("B", 71, 24)]  # Bayesian: B; sequential: not yet
    small = DecisionRule(min_trials_per_arm=20, chance_to_win=0.95)
    assert stop_decision(few, small, sequential_check=False) == "B"
    assert stop_decision(few, small, sequential_check=True) is None

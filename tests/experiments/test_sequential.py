"""The sequential engine: same numbers as gbstats' sequential test, and peeking stays honest."""

from __future__ import annotations

import numpy as np
import pytest

from marketing_agent.experiments import sequential
from marketing_agent.experiments.frequentist import compare_proportions
from marketing_agent.experiments.stats import ArmCounts

# gbstats 0.8.0 SequentialTwoSidedTTest (tuning 5000, alpha 0.05) on ProportionStatistic: the
# absolute p-value and interval, and the relative interval. Recorded (gbstats pins numpy < 2).
GBSTATS_SEQUENTIAL = [
    (
        (1000, 50),
        (1000, 65),
        0.927160216335375,
        (-0.0175045688590978, 0.0475045688590978),
        (-0.4419879539469765, 1.0419879539469765),
    ),
    (
        (5000, 150),
        (5000, 180),
        1.0,
        (-0.004936289121671433, 0.01693628912167143),
        (-0.199449459098683, 0.599449459098683),
    ),
    (
        (1000, 50),
        (3000, 170),
        1.0,
        (-0.01790559502730394, 0.031238928360637262),
        (-0.4065522214479118, 0.6732188881145782),
    ),
    (
        (400, 20),
        (400, 40),
        0.1970206158802125,
        (-0.014693231579976845, 0.11469323157997685),
        (-0.8463605316665097, 2.8463605316665097),
    ),
]


@pytest.mark.parametrize(("control", "arm", "p", "difference", "lift"), GBSTATS_SEQUENTIAL)
def test_the_confidence_sequence_matches_gbstats(
    control: tuple[int, int],
    arm: tuple[int, int],
    p: float,
    difference: tuple[float, float],
    lift: tuple[float, float],
) -> None:
    result = sequential.compare_proportions(ArmCounts("A", *control), ArmCounts("B", *arm))

    assert result is not None
    assert result.p_value == pytest.approx(p, rel=1e-9)
    assert (result.difference_ci_low, result.difference_ci_high) == pytest.approx(difference)
    assert (result.lift_ci_low, result.lift_ci_high) == pytest.approx(lift)


def _false_positive_rates(*, runs: int, looks: int, batch: int, rate: float) -> tuple[float, float]:
    """Share of A/A runs ever 'significant' when checked after every batch: sequential, z test."""
    rng = np.random.default_rng(2026)
    a = rng.binomial(batch, rate, size=(runs, looks)).cumsum(axis=1)
    b = rng.binomial(batch, rate, size=(runs, looks)).cumsum(axis=1)
    sequential_hits = z_hits = 0
    for run in range(runs):
        seq_hit = z_hit = False
        for look in range(looks):
            n = batch * (look + 1)
            control, arm = (
                ArmCounts("A", n, int(a[run, look])),
                ArmCounts("B", n, int(b[run, look])),
            )
            if not seq_hit:
                result = sequential.compare_proportions(control, arm)
                seq_hit = result is not None and result.p_value <= 0.05
            if not z_hit:
                fixed = compare_proportions(control, arm)
                z_hit = fixed is not None and fixed.p_value <= 0.05
            if seq_hit and z_hit:
                break
        sequential_hits += seq_hit
        z_hits += z_hit
    return sequential_hits / runs, z_hits / runs


def test_peeking_after_every_batch_keeps_false_positives_at_or_below_five_percent() -> None:
    # 400 A/A runs, 30 looks of 200 sends per arm (6000 per arm), true rate 5% in both arms.
    # The full run (2000 runs, 50 looks) is in docs/benchmarks.md.
    sequential_fpr, z_fpr = _false_positive_rates(runs=400, looks=30, batch=200, rate=0.05)

    assert sequential_fpr <= 0.05
    assert z_fpr > 0.12  # the fixed-horizon test read the same way is wrong far more often

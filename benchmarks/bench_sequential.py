"""False positives when an A/A test is read after every batch: the sequential engine (always
valid) against the fixed-horizon z test read the same way. 2000 runs, 50 looks of 200 sends per
arm (10,000 per arm), both arms converting at the same rate; "significant" means p <= 0.05 at
any look. Environment: MA_BENCH_SEQUENTIAL_RUNS (default 2000).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from marketing_agent.experiments import frequentist, sequential
from marketing_agent.experiments.stats import ArmCounts

RUNS = int(os.environ.get("MA_BENCH_SEQUENTIAL_RUNS", "2000"))
LOOKS, BATCH = 50, 200


def false_positive_rates(rate: float) -> tuple[float, float]:
    rng = np.random.default_rng(2026)
    a = rng.binomial(BATCH, rate, size=(RUNS, LOOKS)).cumsum(axis=1)
    b = rng.binomial(BATCH, rate, size=(RUNS, LOOKS)).cumsum(axis=1)
    seq_hits = z_hits = 0
    for run in range(RUNS):
        seq_hit = z_hit = False
        for look in range(LOOKS):
            n = BATCH * (look + 1)
            control, arm = (
                ArmCounts("A", n, int(a[run, look])),
                ArmCounts("B", n, int(b[run, look])),
            )
            if not seq_hit:
                s = sequential.compare_proportions(control, arm)
                seq_hit = s is not None and s.p_value <= 0.05
            if not z_hit:
                z = frequentist.compare_proportions(control, arm)
                z_hit = z is not None and z.p_value <= 0.05
            if seq_hit and z_hit:
                break
        seq_hits += seq_hit
        z_hits += z_hit
    return seq_hits / RUNS, z_hits / RUNS


def main() -> None:
    started = time.perf_counter()
    for rate in (0.05, 0.02):
        seq, z = false_positive_rates(rate)
        se = np.sqrt(0.05 * 0.95 / RUNS)
        print(
            f"rate {rate:.0%}: sequential {seq:.2%}, z test peeking {z:.2%} "
            f"(nominal 5%, one standard error at 5%: {se:.2%})"
        )
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

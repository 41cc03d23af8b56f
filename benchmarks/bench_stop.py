"""How often stopping at the decision rule's winner names a wrong winner, when the rule is read at
every check while the campaign sends (as `stop_at_winner` does).

The campaign sends 20,000 recipients in batches of 100, split equally (the fixed-split view of a
test; MA_BENCH_STOP_POLICY=bandit runs the bandit's weights instead), spread over 12 hours;
conversions come after their delays (none, the simulator's ~20 minutes, or a 4-hour mean), and
before each batch the rule reads every send so far and every conversion seen by then. A run names
a wrong winner when the rule declares an arm that is not the truly best (with equal arms, the
null, any declaration). Rules: the Bayesian rule as campaigns run it (every arm at 100 sends,
chance to be best >= 95%), and the same with the sequential engine's agreement (the leader's
always-valid p-value against every other arm <= 5% / (arms - 1)). Environment: MA_BENCH_STOP_SEEDS
(default 1000), MA_BENCH_STOP_POLICY (equal or bandit), MA_BENCH_STOP_CASES (a part of the
cases' names: only those), MA_BENCH_STOP_DELAYS (a comma list of none, simulator, 4 h). The ±
and [low, high] are 95% Wilson intervals over the seeds (a rate of 0 of 40 is not "±0").
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from marketing_agent.experiments.analysis import DecisionRule, stop_decision
from marketing_agent.experiments.bandit import BanditPolicy, thompson_weights
from marketing_agent.experiments.stats import ArmCounts

RECIPIENTS, BATCH, SPREAD_S = 20_000, 100, 12 * 3600.0
SEEDS = int(os.environ.get("MA_BENCH_STOP_SEEDS", "1000"))
POLICY = os.environ.get("MA_BENCH_STOP_POLICY", "equal")
ONLY = os.environ.get("MA_BENCH_STOP_CASES")  # e.g. "2 arms" runs the cases whose name has it
CASES = {
    "2 arms, both 3% (null)": [0.03, 0.03],
    "3 arms, all 3% (null)": [0.03, 0.03, 0.03],
    "2 arms 3.0% / 3.3%": [0.030, 0.033],
    "3 arms 3.0 / 3.1 / 3.3%": [0.030, 0.031, 0.033],
}
DELAYS = tuple(os.environ.get("MA_BENCH_STOP_DELAYS", "none,simulator,4 h").split(","))
RULE = DecisionRule(min_trials_per_arm=100, chance_to_win=0.95)


def delays(rng: np.random.Generator, n: int, delay: str) -> np.ndarray:
    if delay == "none":
        return np.zeros(n)
    if delay == "simulator":
        return rng.exponential(600.0, n) + rng.exponential(30.0, n) + rng.exponential(600.0, n)
    return rng.exponential(4 * 3600.0, n)


def run(seed: int, rates: list[float], delay: str) -> dict[str, str | None]:
    """Returns the arm each rule declared (None: none) over one campaign."""
    rng = np.random.default_rng(seed)
    k = len(rates)
    send_at = np.linspace(0.0, SPREAD_S, RECIPIENTS, endpoint=False)
    arm = np.full(RECIPIENTS, -1)
    converted_at = np.full(RECIPIENTS, np.inf)
    declared: dict[str, str | None] = {"bayesian": None, "bayesian+sequential": None}
    policy = BanditPolicy(delay_mean_s=1230.0 if delay != "4 h" else 4 * 3600.0)
    weights = np.full(k, 1.0 / k)
    for start in range(0, RECIPIENTS, BATCH):
        now = send_at[start]
        if start:
            sent = arm[:start]
            seen = converted_at[:start] <= now
            counts = [
                ArmCounts(str(i), int(np.sum(sent == i)), int(np.sum(seen & (sent == i))))
                for i in range(k)
            ]
            for name in declared:
                if declared[name] is None:
                    declared[name] = stop_decision(
                        counts, RULE, sequential_check=name != "bayesian"
                    )
            if all(v is not None for v in declared.values()):
                break
            if POLICY == "bandit":
                shares = thompson_weights(counts, policy)
                weights = np.array([shares[str(i)] for i in range(k)])
        rows = slice(start, start + BATCH)
        arms = rng.choice(k, size=BATCH, p=weights)
        arm[rows] = arms
        converts = rng.random(BATCH) < np.asarray(rates)[arms]
        converted_at[rows] = np.where(converts, send_at[rows] + delays(rng, BATCH, delay), np.inf)
    return declared


def main() -> None:
    started = time.perf_counter()
    print(f"{SEEDS} seeds, {POLICY} split, looks before every batch of {BATCH}: wrong winners")
    for case, rates in CASES.items():
        if ONLY and ONLY not in case:
            continue
        best = str(int(np.argmax(rates))) if len(set(rates)) > 1 else None
        for delay in DELAYS:
            wrong = {"bayesian": 0, "bayesian+sequential": 0}
            right = dict.fromkeys(wrong, 0)
            for seed in range(SEEDS):
                for name, winner in run(seed, rates, delay).items():
                    wrong[name] += winner is not None and winner != best
                    right[name] += winner is not None and winner == best
            cells = [
                f"{name}: wrong {w}/{SEEDS} = {w / SEEDS:.1%} {_wilson(w)}, "
                f"right {right[name] / SEEDS:.1%} {_wilson(right[name])}"
                for name, w in wrong.items()
            ]
            print(f"| {case} | delay {delay} | " + " | ".join(cells) + " |", flush=True)
    print(f"took {time.perf_counter() - started:.0f} s")


def _wilson(count: int) -> str:
    """The 95% Wilson interval of count / SEEDS, in percent."""
    z, n = 1.96, SEEDS
    share = count / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return f"[{max(0.0, centre - half):.1%}, {min(1.0, centre + half):.1%}]"


if __name__ == "__main__":
    main()

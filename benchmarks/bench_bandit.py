"""Conversions captured, as a share of an oracle that sent only the best arm, by three policies:
an equal split, test-then-send (20% equally, wait, the rule's winner to the rest) and the
bandit (Thompson sampling sharpened for the finite audience, burn-in, floor weight, re-weighted
every 100 sends on mature sends only: experiments/bandit.py's defaults).

Feedback is late. Delays are the simulator's recipient behaviour (exponential read 600 s, click
30 s, convert 600 s: about 20 minutes to a conversion) or a real-life 4-hour mean; the send is
spread over 12 hours or goes at full speed (30 msg/s: 20,000 in 11 minutes). Each conversion is
drawn, the capture is expected conversions (sum of the true rates of the arms sent) over the
oracle's. Environment: MA_BENCH_BANDIT_SEEDS (default 20; MA_BENCH_BANDIT_FIRST_SEED, default 0,
for further seeds in another run), MA_BENCH_BANDIT_POLICIES (a comma
list of equal, test-then-send, bandit, bandit-plain, bandit-maturity, bandit-maturity-stop;
default the first three). With a stopping policy, pick is whether the declared winner is the best.

Paired by seed: a seed draws its 20,000 recipients once (each one's uniform draw, converting
under arm k when it is below k's rate, and each one's delay), the same for every policy; only
the policy's own choices differ. With the equal split among the policies, each other policy's
row also prints its gain over the equal split: the mean of the per-seed differences in capture,
in points of the oracle, with its 95% interval (t over the seeds).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from marketing_agent.experiments.analysis import DecisionRule, analyse
from marketing_agent.experiments.bandit import (
    BanditPolicy,
    Evidence,
    chance_of_best,
    thompson_weights,
)
from marketing_agent.experiments.stats import ArmCounts

RECIPIENTS = 20_000
BATCH = 100
SEEDS = int(os.environ.get("MA_BENCH_BANDIT_SEEDS", "20"))
FIRST_SEED = int(os.environ.get("MA_BENCH_BANDIT_FIRST_SEED", "0"))  # more seeds in a second run
POLICIES = os.environ.get("MA_BENCH_BANDIT_POLICIES", "equal,test-then-send,bandit").split(",")
CASES = {
    "3 arms 2%/2.5%/3.5%": [0.02, 0.025, 0.035],
    "5 arms 3.0-3.4%": [0.030, 0.031, 0.032, 0.033, 0.034],
}
SIMULATOR_DELAY_S = (600.0, 30.0, 600.0)  # read, click, convert: each an exponential mean
SPEEDS_S = {"spread over 12 h": 12 * 3600.0, "full speed (11 min)": RECIPIENTS / 30.0}


def delays(rng: np.random.Generator, n: int, delay: str) -> np.ndarray:
    if delay == "simulator":
        return sum(rng.exponential(mean, n) for mean in SIMULATOR_DELAY_S)  # type: ignore[return-value]
    return rng.exponential(4 * 3600.0, n)


class Campaign:
    """Sends in batches at evenly spaced times; conversions arrive after their delays."""

    def __init__(
        self, rng: np.random.Generator, rates: Sequence[float], duration_s: float, delay: str
    ):
        self.rng, self.rates, self.delay = rng, np.array(rates), delay
        # The recipients come first from the seed's stream, so every policy meets the same ones.
        self.draw = rng.random(RECIPIENTS)
        self.delay_s = delays(rng, RECIPIENTS, delay)
        self.send_times = np.linspace(0.0, duration_s, RECIPIENTS, endpoint=False)
        self.arm = np.full(RECIPIENTS, -1)
        self.converted_at = np.full(RECIPIENTS, np.inf)
        self.sent = 0

    def send(self, weights: Sequence[float], count: int) -> None:
        arms = self.rng.choice(len(self.rates), size=count, p=np.asarray(weights))
        rows = slice(self.sent, self.sent + count)
        self.arm[rows] = arms
        converts = self.draw[rows] < self.rates[arms]
        at = self.send_times[rows] + self.delay_s[rows]
        self.converted_at[rows] = np.where(converts, at, np.inf)
        self.sent += count

    def mature(self, now_s: float, maturity_s: float) -> list[ArmCounts]:
        """The same counts as bandit.mature_counts, vectorised."""
        sent = self.arm[: self.sent]
        old = (now_s - self.send_times[: self.sent]) >= maturity_s
        seen = self.converted_at[: self.sent] <= now_s
        return [
            ArmCounts(str(k), int(np.sum(old & (sent == k))), int(np.sum(old & seen & (sent == k))))
            for k in range(len(self.rates))
        ]

    def delay_weighted(self, now_s: float, delay_mean_s: float) -> list[Evidence]:
        """The same evidence as bandit.delay_adjusted, vectorised."""
        sent = self.arm[: self.sent]
        age = np.maximum(now_s - self.send_times[: self.sent], 0.0)
        weight = -np.expm1(-age / delay_mean_s)
        seen = self.converted_at[: self.sent] <= now_s
        out = []
        for k in range(len(self.rates)):
            mine = sent == k
            won = float(np.sum(seen & mine))
            out.append(Evidence(str(k), max(float(np.sum(weight[mine])), won), won))
        return out

    def capture(self) -> float:
        return float(self.rates[self.arm].sum() / (self.rates.max() * RECIPIENTS))

    def picked_best(self) -> bool:
        """Once every conversion has come: is the likeliest best arm the truly best one?"""
        converted = np.isfinite(self.converted_at)
        final = [
            ArmCounts(str(k), int(np.sum(self.arm == k)), int(np.sum(converted & (self.arm == k))))
            for k in range(len(self.rates))
        ]
        best = chance_of_best(final)
        return max(best, key=best.__getitem__) == str(int(np.argmax(self.rates)))


Outcome = tuple[float, bool]  # capture, and whether the final pick was the best arm


def equal_split(
    rng: np.random.Generator, rates: Sequence[float], duration_s: float, delay: str
) -> Outcome:
    campaign = Campaign(rng, rates, duration_s, delay)
    campaign.send([1 / len(rates)] * len(rates), RECIPIENTS)
    return campaign.capture(), campaign.picked_best()


def test_then_send(
    rng: np.random.Generator, rates: Sequence[float], duration_s: float, delay: str
) -> Outcome:
    """20% equally; the rest waits until the test's sends are 2 h old (at least the spread
    schedule's own time), then goes to the rule's winner, or equally when there is none."""
    campaign = Campaign(rng, rates, duration_s, delay)
    test = RECIPIENTS // 5
    campaign.send([1 / len(rates)] * len(rates), test)
    decided_at = max(campaign.send_times[test - 1] + 2 * 3600.0, campaign.send_times[test])
    counts = campaign.mature(decided_at, 0.0)
    analysis = analyse(counts, "0", rule=DecisionRule(min_trials_per_arm=100, chance_to_win=0.8))
    best = analysis.leader
    if best is None:  # no winner: the likeliest best, as a marketer would
        best = max(analysis.arms, key=lambda a: a.bayesian.chance_to_be_best or 0).bayesian.key
    weights = [1.0 if str(k) == best else 0.0 for k in range(len(rates))]
    campaign.send(weights, RECIPIENTS - test)
    return campaign.capture(), campaign.picked_best()


SIMULATOR_MEAN_DELAY_S = sum(SIMULATOR_DELAY_S)


def bandit(
    rng: np.random.Generator,
    rates: Sequence[float],
    duration_s: float,
    delay: str,
    *,
    weighting: str = "delay",
    top_two: bool = False,
    sharpen: float | None = None,
    stop_rule: DecisionRule | None = None,
    pooled_prior_trials: float = 0.0,
) -> Outcome:
    """weighting "delay": every send counts by the share of its conversion that can have come
    (the delay's mean as the campaign states it); "maturity": only sends older than the
    maturity window count (the previous default)."""
    mean_delay = SIMULATOR_MEAN_DELAY_S if delay == "simulator" else 4 * 3600.0
    # About 80% of the simulator's conversions have come 30 minutes after delivery, 63% of the
    # 4-hour ones after 4 hours: late enough to count, early enough to learn from.
    policy = BanditPolicy(
        maturity_s=1800.0 if delay == "simulator" else 4 * 3600.0,
        delay_mean_s=mean_delay if weighting == "delay" else None,
        top_two=top_two,
    )
    if sharpen is not None:
        policy = replace(policy, sharpen=sharpen)
    policy = replace(policy, pooled_prior_trials=pooled_prior_trials)
    campaign = Campaign(rng, rates, duration_s, delay)
    while campaign.sent < RECIPIENTS:
        now = campaign.send_times[campaign.sent]
        if stop_rule is not None:
            # As a campaign does (stop_at_winner): the experiment's statistics on every send so
            # far and every conversion seen by now; once the rule names a winner, it takes the rest.
            leader = analyse(campaign.mature(now, 0.0), "0", rule=stop_rule).leader
            if leader is not None:
                campaign.send(
                    [float(str(k) == leader) for k in range(len(rates))], RECIPIENTS - campaign.sent
                )
                return campaign.capture(), leader == str(int(np.argmax(rates)))
        evidence: Sequence[ArmCounts | Evidence]
        if policy.delay_mean_s is not None:
            evidence = campaign.delay_weighted(now, policy.delay_mean_s)
        else:
            # Sends younger than the maturity window are no evidence yet; before any send is
            # mature, shorten the window to what has elapsed so the start is not blind for hours.
            evidence = campaign.mature(now, min(policy.maturity_s, now / 2))
        shares = thompson_weights(evidence, policy)
        campaign.send([shares[str(k)] for k in range(len(rates))], BATCH)
    return campaign.capture(), campaign.picked_best()


POLICY_FUNCTIONS = {
    "equal": equal_split,
    "test-then-send": test_then_send,
    "bandit": bandit,
    "bandit-top-two": partial(bandit, top_two=True),
    # Empirical Bayes: each arm starts from the pooled rate worth this many sends.
    "bandit-pooled-100": partial(bandit, pooled_prior_trials=100.0),
    "bandit-pooled-400": partial(bandit, pooled_prior_trials=400.0),
    "bandit-maturity": partial(bandit, weighting="maturity"),
    "bandit-plain": partial(bandit, weighting="maturity", sharpen=1.0),
    # The campaign's default since stop_at_winner: mature-send weights, and the rule's winner
    # (every arm at 100 sends, 95% chance to be best on all sends) takes the rest.
    "bandit-maturity-stop": partial(
        bandit, weighting="maturity", stop_rule=DecisionRule(min_trials_per_arm=100)
    ),
}
ROWS = os.environ.get("MA_BENCH_BANDIT_ROWS")  # e.g. "5 arms 3.0-3.4%/4 h/full speed (11 min)"


def main() -> None:
    started = time.perf_counter()
    print(
        f"{RECIPIENTS} recipients, {SEEDS} seeds from {FIRST_SEED}: mean capture of the oracle and "
        "share of seeds whose final pick is the best arm (each ±95% CI); gain: minus the equal "
        "split, paired by seed (the same recipients), mean and 95% interval"
    )
    for case, rates in CASES.items():
        for delay in ("simulator", "4 h"):
            for speed, duration in SPEEDS_S.items():
                if ROWS and f"{case}/{delay}/{speed}" not in ROWS.split(","):
                    continue
                row, captures = [], {}
                for name, policy in POLICY_FUNCTIONS.items():
                    if name not in POLICIES:
                        continue
                    cpu = time.process_time()
                    outcomes = [
                        policy(np.random.default_rng(seed), rates, duration, delay)
                        for seed in range(FIRST_SEED, FIRST_SEED + SEEDS)
                    ]
                    capture = np.array([c for c, _ in outcomes])
                    picks = np.array([float(p) for _, p in outcomes])
                    captures[name] = capture
                    cell = (
                        f"{name} {capture.mean():.1%} ±{_half(capture):.1%} "
                        f"pick {picks.mean():.0%} ±{_half(picks):.0%}"
                    )
                    if name != "equal" and "equal" in captures:
                        cell += f", gain {_paired_gain(capture - captures['equal'])}"
                    row.append(f"{cell} ({time.process_time() - cpu:.0f} s CPU)")
                print(f"| {case} | delay {delay} | {speed} | " + " | ".join(row) + " |", flush=True)
    print(f"took {time.perf_counter() - started:.0f} s")


def _half(values: np.ndarray) -> float:
    return 1.96 * float(np.std(values, ddof=1)) / np.sqrt(len(values))


def _paired_gain(differences: np.ndarray) -> str:
    """The mean per-seed gain in points of the oracle, its 95% t interval, and how many seeds
    the policy beat the equal split in."""
    mean = 100 * float(differences.mean())
    half = (
        100
        * float(stats.t.ppf(0.975, len(differences) - 1))
        * float(np.std(differences, ddof=1))
        / np.sqrt(len(differences))
    )
    wins = int(np.sum(differences > 0))
    return (
        f"{mean:+.2f} points [{mean - half:+.2f}, {mean + half:+.2f}], "
        f"ahead in {wins}/{len(differences)} seeds"
    )


if __name__ == "__main__":
    main()

"""Bayesian comparison of conversion rates: Beta(1, 1) prior, Beta posterior per arm.

Credible intervals are exact (Beta quantiles); the comparisons between arms are Monte Carlo
over one seeded matrix of posterior draws, so a page shows the same numbers on every refresh.
The control's own `chance_to_beat_control` and `lift` are None: it is the baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

PRIOR_ALPHA = 1.0
PRIOR_BETA = 1.0
CREDIBLE_MASS = 0.95

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ArmCounts:
    key: str
    trials: int
    successes: int


@dataclass(frozen=True)
class ArmResult:
    key: str
    trials: int
    successes: int
    rate: float | None  # observed successes / trials; None without trials
    ci_low: float
    ci_high: float
    chance_to_beat_control: float | None  # P(p_arm > p_control); None for the control
    chance_to_be_best: float  # P(this arm has the highest rate of all)
    expected_loss: float  # E[max_j p_j - p_arm]: rate given up by choosing this arm
    lift: float | None  # rate / control rate - 1; None for the control or a zero base


def analyse_arms(
    arms: Sequence[ArmCounts], control_key: str, *, samples: int = 20000, seed: int = 0
) -> list[ArmResult]:
    """Returns each arm's posterior summary and its comparison with the control and the rest."""
    _check(arms, samples)
    keys = [arm.key for arm in arms]
    if control_key not in keys:
        raise ValueError(f"control arm '{control_key}' is not among the arms {keys}")
    control = keys.index(control_key)
    alpha, beta = _posterior(arms)
    tail = (1.0 - CREDIBLE_MASS) / 2
    # The Beta quantile function (what scipy.stats.beta.ppf calls), without importing
    # scipy.stats, which adds seconds to every process start.
    ci_low = special.betaincinv(alpha, beta, tail)
    ci_high = special.betaincinv(alpha, beta, 1.0 - tail)

    draws = _draws(alpha, beta, samples=samples, seed=seed)
    beats_control = (draws > draws[:, [control]]).mean(axis=0)
    best = _share_best(draws)
    loss = (draws.max(axis=1, keepdims=True) - draws).mean(axis=0)

    rates = [arm.successes / arm.trials if arm.trials else None for arm in arms]
    control_rate = rates[control]
    results: list[ArmResult] = []
    for i, arm in enumerate(arms):
        is_control = i == control
        rate = rates[i]
        lift = None
        if not is_control and rate is not None and control_rate:
            lift = rate / control_rate - 1.0
        results.append(
            ArmResult(
                key=arm.key,
                trials=arm.trials,
                successes=arm.successes,
                rate=rate,
                ci_low=float(ci_low[i]),
                ci_high=float(ci_high[i]),
                chance_to_beat_control=None if is_control else float(beats_control[i]),
                chance_to_be_best=float(best[i]),
                expected_loss=float(loss[i]),
                lift=lift,
            )
        )
    return results


def chance_to_be_best(
    arms: Sequence[ArmCounts], *, samples: int = 20000, seed: int = 0
) -> dict[str, float]:
    """Returns, for each arm, the posterior probability that its rate is the highest."""
    _check(arms, samples)
    alpha, beta = _posterior(arms)
    best = _share_best(_draws(alpha, beta, samples=samples, seed=seed))
    return {arm.key: float(share) for arm, share in zip(arms, best, strict=True)}


def _check(arms: Sequence[ArmCounts], samples: int) -> None:
    if not arms:
        raise ValueError("no arms to analyse")
    if samples < 1:
        raise ValueError("samples must be at least 1")
    if len({arm.key for arm in arms}) != len(arms):
        raise ValueError("arm keys must be distinct")
    for arm in arms:
        if arm.trials < 0 or not 0 <= arm.successes <= arm.trials:
            raise ValueError(
                f"arm '{arm.key}': need 0 <= successes ({arm.successes}) <= trials ({arm.trials})"
            )


def _posterior(arms: Sequence[ArmCounts]) -> tuple[FloatArray, FloatArray]:
    successes = np.array([arm.successes for arm in arms], dtype=np.float64)
    failures = np.array([arm.trials - arm.successes for arm in arms], dtype=np.float64)
    return PRIOR_ALPHA + successes, PRIOR_BETA + failures


def _draws(alpha: FloatArray, beta: FloatArray, *, samples: int, seed: int) -> FloatArray:
    """A (samples, arms) matrix of posterior rates."""
    return np.random.default_rng(seed).beta(alpha, beta, size=(samples, alpha.size))


def _share_best(draws: FloatArray) -> FloatArray:
    wins = np.bincount(draws.argmax(axis=1), minlength=draws.shape[1])
    share: FloatArray = wins.astype(np.float64) / draws.shape[0]
    return share

"""Bayesian comparison of conversion rates: a Beta prior (flat unless told), Beta posteriors.

No Monte Carlo: two arms' chance to beat is Evan Miller's closed-form sum; chance to be best and
expected loss with any number of arms are one-dimensional integrals on a grid that follows every
posterior's mass; intervals are Beta quantiles and quantiles of the ratio of two Betas. An
interval is widened, where needed, to hold the observed value it belongs to (only zero counts
need it), so it keeps at least its stated mass. Arms without trials take no part in comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

CREDIBLE_MASS = 0.95

FloatArray = npt.NDArray[np.float64]
_MILLER_TERMS = 100_000

# Standard-normal quantiles mapped through each posterior's quantile function: points dense
# where the mass is, reaching 8.5 standard deviations (a tail of 1e-17) on either side.
_GRID_Z = np.linspace(-8.5, 8.5, 801)
_GRID_U = special.ndtr(_GRID_Z)
_GRID_WEIGHTS = np.exp(-(_GRID_Z**2) / 2) / np.sum(np.exp(-(_GRID_Z**2) / 2))  # trapezoid, N(0,1)


@dataclass(frozen=True)
class BetaPrior:
    """Beta(alpha, beta) belief about every arm's rate before any data; (1, 1) is flat."""

    alpha: float = 1.0
    beta: float = 1.0


FLAT_PRIOR = BetaPrior()


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
    ci_low: float  # credible interval of the rate; holds `rate`
    ci_high: float
    posterior_mean: float
    chance_to_beat_control: float | None  # P(p_arm > p_control); None for the control, no data
    chance_to_be_best: float | None  # P(highest rate of the arms with data); None for < 2 arms
    expected_loss: float | None  # E[max_j p_j - p_arm]: rate given up by choosing this arm
    expected_loss_relative: float | None  # expected_loss / the control's posterior mean
    lift: float | None  # observed rate / control rate - 1; None for the control or a zero base
    lift_ci_low: float | None  # credible interval of p_arm / p_control - 1; holds `lift`
    lift_ci_high: float | None


def analyse_arms(
    arms: Sequence[ArmCounts],
    control_key: str,
    *,
    prior: BetaPrior = FLAT_PRIOR,
    credible_mass: float = CREDIBLE_MASS,
) -> list[ArmResult]:
    """Returns each arm's posterior summary and its comparison with the control and the rest."""
    check_counts(arms)
    _check_prior(prior)
    keys = [arm.key for arm in arms]
    if control_key not in keys:
        raise ValueError(f"control arm '{control_key}' is not among the arms {keys}")
    control = keys.index(control_key)
    alpha, beta = posterior(arms, prior)
    tail = (1.0 - credible_mass) / 2
    # The Beta quantile function (what scipy.stats.beta.ppf calls), without importing
    # scipy.stats, which adds seconds to every process start.
    ci_low = special.betaincinv(alpha, beta, tail)
    ci_high = special.betaincinv(alpha, beta, 1.0 - tail)
    means = alpha / (alpha + beta)

    points = _quantile_points(alpha, beta)
    with_data = [i for i, arm in enumerate(arms) if arm.trials > 0]
    best, loss = _best_and_loss(alpha[with_data], beta[with_data], points[with_data])
    best_of = dict(zip(with_data, best, strict=True)) if len(with_data) > 1 else {}
    loss_of = dict(zip(with_data, loss, strict=True)) if len(with_data) > 1 else {}
    control_has_data = arms[control].trials > 0
    if len(with_data) == 2:  # exactly, by the closed form, rather than on the grid
        first, second = with_data
        p = _chance_b_beats_a(alpha[first], beta[first], alpha[second], beta[second])
        best_of = {first: 1.0 - p, second: p}

    rates = [arm.successes / arm.trials if arm.trials else None for arm in arms]
    control_rate = rates[control]
    results: list[ArmResult] = []
    for i, arm in enumerate(arms):
        rate = rates[i]
        compared = i != control and arm.trials > 0 and control_has_data
        beats = None
        lift = lift_low = lift_high = None
        if compared:
            beats = _chance_b_beats_a(alpha[control], beta[control], alpha[i], beta[i])
            if rate is not None and control_rate:
                lift = rate / control_rate - 1.0
            lift_low, lift_high = _ratio_interval(
                (alpha[control], beta[control], points[control]),
                (alpha[i], beta[i], points[i]),
                tail,
            )
            lift_low, lift_high = _holding(lift_low - 1.0, lift_high - 1.0, lift)
        low, high = _holding(float(ci_low[i]), float(ci_high[i]), rate)
        arm_loss = loss_of.get(i)
        results.append(
            ArmResult(
                key=arm.key,
                trials=arm.trials,
                successes=arm.successes,
                rate=rate,
                ci_low=low,
                ci_high=high,
                posterior_mean=float(means[i]),
                chance_to_beat_control=beats,
                chance_to_be_best=best_of.get(i),
                expected_loss=arm_loss,
                expected_loss_relative=(
                    arm_loss / float(means[control])
                    if arm_loss is not None and control_has_data
                    else None
                ),
                lift=lift,
                lift_ci_low=lift_low,
                lift_ci_high=lift_high,
            )
        )
    return results


def rate_interval(
    arm: ArmCounts, *, prior: BetaPrior = FLAT_PRIOR, credible_mass: float = CREDIBLE_MASS
) -> tuple[float, float]:
    """Returns the arm's equal-tailed credible interval, widened to hold its observed rate."""
    check_counts([arm])
    _check_prior(prior)
    alpha, beta = prior.alpha + arm.successes, prior.beta + arm.trials - arm.successes
    tail = (1.0 - credible_mass) / 2
    low = float(special.betaincinv(alpha, beta, tail))
    high = float(special.betaincinv(alpha, beta, 1.0 - tail))
    return _holding(low, high, arm.successes / arm.trials if arm.trials else None)


def chance_to_be_best(
    arms: Sequence[ArmCounts], *, prior: BetaPrior = FLAT_PRIOR
) -> dict[str, float]:
    """Returns, for each arm, the posterior probability that its rate is the highest."""
    check_counts(arms)
    _check_prior(prior)
    alpha, beta = posterior(arms, prior)
    if len(arms) == 2:
        b = _chance_b_beats_a(alpha[0], beta[0], alpha[1], beta[1])
        return {arms[0].key: 1.0 - b, arms[1].key: b}
    best, _ = _best_and_loss(alpha, beta, _quantile_points(alpha, beta))
    return {arm.key: share for arm, share in zip(arms, best, strict=True)}


def chance_to_be_best_of(alpha: Sequence[float], beta: Sequence[float]) -> list[float]:
    """Returns each posterior's chance to be the highest, from Beta(alpha_i, beta_i) directly:
    for evidence that is not whole counts (a bandit's delay-weighted sends, an earlier run's
    discounted results). Two arms exactly, more by the same integration as chance_to_be_best."""
    a, b = np.asarray(alpha, dtype=np.float64), np.asarray(beta, dtype=np.float64)
    if a.size == 0 or a.shape != b.shape or not (np.all(a > 0) and np.all(b > 0)):
        raise ValueError("need one positive alpha and beta per arm")
    if a.size == 1:
        return [1.0]
    if a.size == 2:
        second = _chance_b_beats_a(float(a[0]), float(b[0]), float(a[1]), float(b[1]))
        return [1.0 - second, second]
    best, _ = _best_and_loss(a, b, _quantile_points(a, b))
    return list(best)


def check_counts(arms: Sequence[ArmCounts]) -> None:
    """Raises ValueError for no arms, repeated keys or impossible counts."""
    if not arms:
        raise ValueError("no arms to analyse")
    if len({arm.key for arm in arms}) != len(arms):
        raise ValueError("arm keys must be distinct")
    for arm in arms:
        if arm.trials < 0 or not 0 <= arm.successes <= arm.trials:
            raise ValueError(
                f"arm '{arm.key}': need 0 <= successes ({arm.successes}) <= trials ({arm.trials})"
            )


def posterior(
    arms: Sequence[ArmCounts], prior: BetaPrior = FLAT_PRIOR
) -> tuple[FloatArray, FloatArray]:
    """Returns the Beta posterior's (alpha, beta) of every arm."""
    successes = np.array([arm.successes for arm in arms], dtype=np.float64)
    failures = np.array([arm.trials - arm.successes for arm in arms], dtype=np.float64)
    return prior.alpha + successes, prior.beta + failures


def _check_prior(prior: BetaPrior) -> None:
    for name, value in (("alpha", prior.alpha), ("beta", prior.beta)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"prior {name} must be a positive number")


def _holding(low: float, high: float, value: float | None) -> tuple[float, float]:
    """Widens [low, high] to hold `value`: more mass than stated, never a point outside."""
    if value is None:
        return low, high
    return min(low, value), max(high, value)


def _chance_b_beats_a(a_alpha: float, a_beta: float, b_alpha: float, b_beta: float) -> float:
    """P(p_b > p_a): Evan Miller's finite sum when an alpha is whole, else the integral."""
    # The sum has alpha terms: beyond _MILLER_TERMS the integral is as exact and far cheaper.
    a_whole = float(a_alpha).is_integer() and a_alpha <= _MILLER_TERMS
    b_whole = float(b_alpha).is_integer() and b_alpha <= _MILLER_TERMS
    if b_whole and (not a_whole or b_alpha <= a_alpha):
        return _miller_sum(a_alpha, a_beta, b_alpha, b_beta)
    if a_whole:
        return 1.0 - _miller_sum(b_alpha, b_beta, a_alpha, a_beta)
    a_points = special.betaincinv(a_alpha, a_beta, _GRID_U)
    b_points = special.betaincinv(b_alpha, b_beta, _GRID_U)
    return 1.0 - _ratio_cdf((a_alpha, a_beta, a_points), (b_alpha, b_beta, b_points))(1.0)


def _miller_sum(a_alpha: float, a_beta: float, b_alpha: float, b_beta: float) -> float:
    """P(p_b > p_a) = sum_{i<alpha_b} B(a_a+i, b_a+b_b) / ((b_b+i) B(1+i, b_b) B(a_a, b_a))."""
    i = np.arange(int(b_alpha), dtype=np.float64)
    log_terms = (
        special.betaln(a_alpha + i, a_beta + b_beta)
        - np.log(b_beta + i)
        - special.betaln(1.0 + i, b_beta)
        - special.betaln(a_alpha, a_beta)
    )
    return float(min(1.0, max(0.0, math.exp(special.logsumexp(log_terms)))))


def _quantile_points(alpha: FloatArray, beta: FloatArray) -> FloatArray:
    """An (arms, grid) matrix: each posterior's quantiles at the grid's probabilities."""
    points: FloatArray = special.betaincinv(alpha[:, None], beta[:, None], _GRID_U[None, :])
    return points


def _best_and_loss(
    alpha: FloatArray, beta: FloatArray, points: FloatArray
) -> tuple[list[float], list[float]]:
    """P(arm i is best) = int prod_{j!=i} F_j dF_i; E[max - p_i] = int (F_i - prod_j F_j) dx.

    Both on the union of the arms' quantile points (dense wherever any arm has mass), so an arm
    much narrower than another is still resolved; accurate to about 1e-5.
    """
    if alpha.size == 0:
        return [], []
    x = np.unique(np.concatenate(([0.0, 1.0], points.ravel())))
    cdf = special.betainc(alpha[:, None], beta[:, None], x[None, :])
    everyone = cdf.prod(axis=0)
    dx = np.diff(x)
    best: list[float] = []
    loss: list[float] = []
    for i in range(alpha.size):
        others = np.delete(cdf, i, axis=0).prod(axis=0)
        mid = (others[1:] + others[:-1]) / 2
        best.append(float(np.clip(np.sum(mid * np.diff(cdf[i])), 0.0, 1.0)))
        gap = cdf[i] - everyone
        loss.append(float(max(0.0, np.sum((gap[1:] + gap[:-1]) / 2 * dx))))
    return best, loss


Posterior = tuple[float, float, FloatArray]  # alpha, beta, quantile points


def _ratio_cdf(a: Posterior, b: Posterior) -> Callable[[float], float]:
    """Returns r -> P(p_b / p_a <= r), integrated over the narrower posterior's quantiles.

    Over the narrower arm the other's CDF is smooth, so the trapezoid rule in normal-quantile
    space (the grid's own coordinates) is accurate to about 1e-10.
    """
    a_alpha, a_beta, a_points = a
    b_alpha, b_beta, b_points = b
    if _variance(b_alpha, b_beta) <= _variance(a_alpha, a_beta):

        def over_b(r: float) -> float:
            outer = special.betainc(a_alpha, a_beta, np.minimum(b_points / r, 1.0))
            return float(1.0 - np.dot(_GRID_WEIGHTS, outer))

        return over_b

    def over_a(r: float) -> float:
        inner = special.betainc(b_alpha, b_beta, np.minimum(r * a_points, 1.0))
        return float(np.dot(_GRID_WEIGHTS, inner))

    return over_a


def _variance(alpha: float, beta: float) -> float:
    total = alpha + beta
    return alpha * beta / (total * total * (total + 1.0))


def _ratio_interval(a: Posterior, b: Posterior, tail: float) -> tuple[float, float]:
    """The equal-tailed interval of p_b / p_a: its `tail` and `1 - tail` quantiles."""
    cdf = _ratio_cdf(a, b)
    a_alpha, a_beta, _ = a
    b_alpha, b_beta, _ = b
    # Bracket in log r around the normal approximation of log(p_b / p_a), then widen.
    mean_a, mean_b = a_alpha / (a_alpha + a_beta), b_alpha / (b_alpha + b_beta)
    # Var[log p] = trigamma(alpha) - trigamma(alpha + beta) for p ~ Beta(alpha, beta).
    trigamma = special.polygamma(1, [a_alpha, a_alpha + a_beta, b_alpha, b_alpha + b_beta])
    spread = math.sqrt(trigamma[0] - trigamma[1] + trigamma[2] - trigamma[3])
    center = math.log(mean_b / mean_a)
    quantiles = []
    for target in (tail, 1.0 - tail):
        low, high = center - 8 * spread, center + 8 * spread
        while cdf(math.exp(low)) > target:
            low -= 8 * spread
        while cdf(math.exp(high)) < target:
            high += 8 * spread
        quantiles.append(math.exp(_solve_increasing(lambda t: cdf(math.exp(t)), target, low, high)))
    return quantiles[0], quantiles[1]


def _solve_increasing(
    f: Callable[[float], float], target: float, low: float, high: float, tol: float = 1e-10
) -> float:
    """Returns t in [low, high] with f(t) = target for an increasing f (Illinois regula falsi).

    Written out because importing scipy.optimize adds seconds to every process start.
    """
    f_low, f_high = f(low) - target, f(high) - target
    side = 0
    while high - low > tol:
        t = high - f_high * (high - low) / (f_high - f_low) if f_high != f_low else (low + high) / 2
        if not low < t < high:
            t = (low + high) / 2
        f_t = f(t) - target
        if f_t == 0:
            return t
        if f_t < 0:
            low, f_low = t, f_t
            if side == -1:
                f_high /= 2
            side = -1
        else:
            high, f_high = t, f_t
            if side == 1:
                f_low /= 2
            side = 1
    return (low + high) / 2

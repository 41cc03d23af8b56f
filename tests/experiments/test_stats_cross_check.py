"""Every Bayesian number checked against SciPy's adaptive quadrature, a large Monte Carlo run and
GrowthBook's gbstats, on a grid: small n, zero conversions, unequal arms, two to five arms.

Tolerances: quadrature 1e-7 (two arms, closed form) and 2e-5 (more arms, grid integration);
Monte Carlo five standard errors; gbstats (a normal approximation) 0.02 in chance to win and
10% of risk, only where that approximation holds (equal arms, 50+ conversions in each; with
1000 against 3000 sends its risk is 20% off the exact value).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from marketing_agent.experiments.stats import ArmCounts, BetaPrior, analyse_arms

TWO_ARMS = [
    ((10, 0), (10, 0)),
    ((10, 1), (12, 4)),
    ((1000, 0), (1000, 3)),
    ((1000, 50), (1000, 65)),
    ((50, 5), (5000, 400)),
    ((5000, 400), (50, 5)),
    ((20, 19), (20, 20)),
    ((100_000, 3000), (100_000, 3100)),
]
QUANTILES = (1e-10, 1e-6, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999, 1 - 1e-6, 1 - 1e-10)
MANY_ARMS = [
    [(1000, 50), (1000, 55), (1000, 60)],
    [(200, 0), (200, 1), (200, 0), (200, 2)],
    [(50, 3), (4000, 200), (800, 50), (10_000, 520), (300, 12)],
    [(10_000, 500 + 10 * i) for i in range(5)],
]


class Posterior:
    """A Beta distribution with scipy.special's scalar speed (quad calls it ~10^5 times)."""

    def __init__(self, a: float, b: float) -> None:
        self.args = (a, b)
        self.log_norm = float(special.betaln(a, b))

    def pdf(self, x: float) -> float:
        a, b = self.args
        if x <= 0.0 or x >= 1.0:
            return 0.0
        return math.exp((a - 1) * math.log(x) + (b - 1) * math.log1p(-x) - self.log_norm)

    def cdf(self, x: float) -> float:
        return float(special.betainc(*self.args, x))

    def ppf(self, q: float) -> float:
        return float(special.betaincinv(*self.args, q))

    def mean(self) -> float:
        a, b = self.args
        return a / (a + b)


def beta_of(trials: int, successes: int, prior: BetaPrior = BetaPrior()) -> Posterior:
    return Posterior(prior.alpha + successes, prior.beta + trials - successes)


def quad(f, dists) -> float:  # type: ignore[no-untyped-def]
    """Integrates over [0, 1] with breakpoints at the posteriors' quantiles (they may be narrow)."""
    points = sorted({float(d.ppf(q)) for d in dists for q in QUANTILES})
    value, _ = integrate.quad(f, 0.0, 1.0, points=points, epsabs=1e-12, epsrel=1e-10, limit=1000)
    return float(value)


def counts(pairs: list[tuple[int, int]]) -> list[ArmCounts]:
    return [ArmCounts("ABCDE"[i], n, s) for i, (n, s) in enumerate(pairs)]


@pytest.mark.parametrize(
    ("control", "arm", "prior"),
    [*((c, a, BetaPrior()) for c, a in TWO_ARMS)]
    + [(c, a, BetaPrior(2.5, 40.5)) for c, a in TWO_ARMS[1:6:2]],
)
def test_two_arms_match_quadrature(
    control: tuple[int, int], arm: tuple[int, int], prior: BetaPrior
) -> None:
    a, b = beta_of(*control, prior), beta_of(*arm, prior)

    result_a, result_b = analyse_arms(counts([control, arm]), "A", prior=prior)

    beats = quad(lambda x: b.pdf(x) * a.cdf(x), [a, b])
    # E[(p_a - p_b)+] = int f_a(x) (x F_b(x) - E[p_b; p_b < x]) dx, an identity independent of
    # how the module integrates.
    b_up = Posterior(b.args[0] + 1, b.args[1])
    loss_b = quad(lambda x: a.pdf(x) * (x * b.cdf(x) - b.mean() * b_up.cdf(x)), [a, b])
    assert result_b.chance_to_beat_control == pytest.approx(beats, abs=1e-7)
    assert result_b.expected_loss == pytest.approx(loss_b, abs=1e-7, rel=1e-4)
    for lift, tail in ((result_b.lift_ci_low, 0.025), (result_b.lift_ci_high, 0.975)):
        assert lift is not None
        below = quad(lambda x, r=lift + 1: a.pdf(x) * b.cdf(min(1.0, r * x)), [a, b])
        if result_b.lift is None or not np.isclose(lift, result_b.lift):  # not widened
            assert below == pytest.approx(tail, abs=1e-6)
    low, high = a.ppf(0.025), a.ppf(0.975)
    if low <= control[1] / control[0] <= high:  # else widened to hold the rate
        assert (result_a.ci_low, result_a.ci_high) == pytest.approx((low, high), abs=1e-12)


@pytest.mark.parametrize("pairs", MANY_ARMS)
def test_many_arms_match_quadrature_and_monte_carlo(pairs: list[tuple[int, int]]) -> None:
    dists = [beta_of(n, s) for n, s in pairs]
    results = analyse_arms(counts(pairs), "A")
    rng = np.random.default_rng(11)
    draws = np.column_stack([rng.beta(*d.args, size=400_000) for d in dists])
    best_mc = np.bincount(draws.argmax(axis=1), minlength=len(pairs)) / draws.shape[0]
    loss_draws = draws.max(axis=1, keepdims=True) - draws

    assert sum(r.chance_to_be_best or 0 for r in results) == pytest.approx(1.0, abs=2e-5)
    for i, (result, dist) in enumerate(zip(results, dists, strict=True)):
        others = [d for j, d in enumerate(dists) if j != i]
        best = quad(lambda x, d=dist, o=others: d.pdf(x) * math.prod(q.cdf(x) for q in o), dists)
        assert result.chance_to_be_best == pytest.approx(best, abs=2e-5)
        mc_se = np.sqrt(best_mc[i] * (1 - best_mc[i]) / draws.shape[0])
        assert result.chance_to_be_best == pytest.approx(best_mc[i], abs=5 * mc_se + 1e-6)
        loss_se = loss_draws[:, i].std() / np.sqrt(draws.shape[0])
        assert result.expected_loss == pytest.approx(
            loss_draws[:, i].mean(), abs=5 * loss_se + 1e-9
        )
        if i > 0:
            beats = quad(lambda x, d=dist: d.pdf(x) * dists[0].cdf(x), dists)
            assert result.chance_to_beat_control == pytest.approx(beats, abs=1e-7)


# GrowthBook's gbstats 0.8.0, EffectBayesianABTest(difference_type="absolute") on
# ProportionStatistic(n, sum): chance_to_win, risk of control, risk of variant. Recorded, not
# imported: gbstats pins numpy < 2 and pandas < 2, which this project does not.
GBSTATS_BAYESIAN = [
    ((1000, 50), (1000, 65), 0.9252841252621824, 0.015347961795590195, 0.00034796179559019413),
    ((5000, 150), (5000, 180), 0.9534848381962233, 0.006068642348247924, 6.864234824792668e-05),
    ((20000, 600), (20000, 610), 0.6148297104295872, 0.0009621961920849351, 0.0004621961920849345),
    ((100000, 3000), (100000, 3100), 0.903260891008786, 0.0010349852023816553, 3.4985202381e-05),
]


@pytest.mark.parametrize(("control", "arm", "chance", "risk_a", "risk_b"), GBSTATS_BAYESIAN)
def test_two_arms_agree_with_gbstats_where_its_normal_approximation_holds(
    control: tuple[int, int], arm: tuple[int, int], chance: float, risk_a: float, risk_b: float
) -> None:
    result_a, result_b = analyse_arms(counts([control, arm]), "A")

    assert result_b.chance_to_beat_control == pytest.approx(chance, abs=0.02)
    assert result_a.expected_loss == pytest.approx(risk_a, rel=0.1)
    assert result_b.expected_loss == pytest.approx(risk_b, rel=0.1)

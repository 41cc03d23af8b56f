"""One analysis of a set of arms by every engine, and the decision rule's verdict on it.

The verdict is Bayesian (chance to be best) behind a minimum sample per arm: until every arm has
`min_trials_per_arm` trials nothing is "leading", whatever the posteriors say, because a flat
prior's 50% outranks real data. The frequentist and sequential numbers sit beside it, each named.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from marketing_agent.experiments import frequentist, sequential
from marketing_agent.experiments.stats import (
    FLAT_PRIOR,
    ArmCounts,
    ArmResult,
    BetaPrior,
    analyse_arms,
    chance_to_be_best_of,
)

ENGINE_BAYESIAN = "bayesian: Beta-Binomial posteriors, exact integration"


class Verdict(StrEnum):
    NOT_ENOUGH_DATA = "not_enough_data"
    WINNER = "winner"
    NO_CLEAR_WINNER = "no_clear_winner"


class ArmVerdict(StrEnum):
    CONTROL = "control"
    NOT_ENOUGH_DATA = "not_enough_data"
    BETTER = "better"
    WORSE = "worse"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class DecisionRule:
    """When an arm may be called the winner: enough trials in every arm, and a chance to be best."""

    min_trials_per_arm: int = 100
    chance_to_win: float = 0.95
    opt_out_guardrail: float = 0.02  # an arm's opt-out rate confidently above this is breached
    failed_guardrail: float = 0.05  # the same for failed sends (a blocked bot, a deleted chat)


@dataclass(frozen=True)
class ArmAnalysis:
    bayesian: ArmResult
    wilson: tuple[float, float] | None  # frequentist interval of the rate
    frequentist: frequentist.ProportionComparison | None  # None for the control, no trials
    p_value_holm: float | None
    sequential: sequential.SequentialComparison | None
    verdict: ArmVerdict
    reason: str


@dataclass(frozen=True)
class Analysis:
    control_key: str
    arms: list[ArmAnalysis]
    verdict: Verdict
    leader: str | None  # set only with Verdict.WINNER
    reason: str
    rule: DecisionRule
    prior: BetaPrior
    confidence: float
    srm: frequentist.SampleRatioCheck | None
    warnings: list[str] = field(default_factory=list)


def analyse(
    arms: Sequence[ArmCounts],
    control_key: str,
    *,
    rule: DecisionRule = DecisionRule(),
    prior: BetaPrior = FLAT_PRIOR,
    confidence: float = 0.95,
    weights: Sequence[float] | None = None,
) -> Analysis:
    """Returns every engine's numbers for each arm, the SRM check and the rule's verdict."""
    bayesian = analyse_arms(arms, control_key, prior=prior, credible_mass=confidence)
    control = next(arm for arm in arms if arm.key == control_key)
    comparisons = {
        arm.key: frequentist.compare_proportions(control, arm, confidence=confidence)
        for arm in arms
        if arm.key != control_key
    }
    tested = [key for key, c in comparisons.items() if c is not None]
    holm = dict(
        zip(
            tested,
            frequentist.holm_adjust([comparisons[k].p_value for k in tested]),  # type: ignore[union-attr]
            strict=True,
        )
    )
    results = []
    for arm, posterior in zip(arms, bayesian, strict=True):
        is_control = arm.key == control_key
        arm_verdict, arm_reason = _arm_verdict(arm, control, posterior, rule, is_control=is_control)
        results.append(
            ArmAnalysis(
                bayesian=posterior,
                wilson=frequentist.wilson_interval(
                    arm.successes, arm.trials, confidence=confidence
                ),
                frequentist=comparisons.get(arm.key),
                p_value_holm=holm.get(arm.key),
                sequential=None
                if is_control
                else sequential.compare_proportions(control, arm, alpha=1 - confidence),
                verdict=arm_verdict,
                reason=arm_reason,
            )
        )
    srm = None
    warnings: list[str] = []
    if weights is not None:
        srm = frequentist.check_sample_ratio([arm.trials for arm in arms], weights)
        if srm is not None and srm.mismatch:
            warnings.append(
                f"Sample ratio mismatch: the arms' sends differ from their weights more than "
                f"chance explains (p = {srm.p_value:.2g}); check the split before trusting this."
            )
    verdict, leader, reason = _decide(arms, bayesian, rule)
    return Analysis(
        control_key=control_key,
        arms=results,
        verdict=verdict,
        leader=leader,
        reason=reason,
        rule=rule,
        prior=prior,
        confidence=confidence,
        srm=srm,
        warnings=warnings,
    )


def _decide(
    arms: Sequence[ArmCounts], bayesian: Sequence[ArmResult], rule: DecisionRule
) -> tuple[Verdict, str | None, str]:
    short = [arm for arm in arms if arm.trials < rule.min_trials_per_arm]
    if short:
        listed = ", ".join(f"{arm.key} has {arm.trials}" for arm in short)
        return (
            Verdict.NOT_ENOUGH_DATA,
            None,
            f"Not enough data yet: every arm needs {rule.min_trials_per_arm} trials; {listed}.",
        )
    best = max(bayesian, key=lambda r: r.chance_to_be_best or 0.0)
    if best.chance_to_be_best is None:
        return (
            Verdict.NOT_ENOUGH_DATA,
            None,
            "Not enough data yet: fewer than two arms have trials.",
        )
    chance = best.chance_to_be_best
    if chance >= rule.chance_to_win:
        loss = best.expected_loss or 0.0
        return (
            Verdict.WINNER,
            best.key,
            f"{best.key} is best with a {_percent(chance)} chance (the rule needs "
            f"{_percent(rule.chance_to_win)}); choosing it risks {loss * 100:.3f} percentage "
            "points of rate on average.",
        )
    return (
        Verdict.NO_CLEAR_WINNER,
        None,
        f"No clear winner yet: the likeliest best, {best.key}, has a {_percent(chance)} chance; "
        f"the rule needs {_percent(rule.chance_to_win)}.",
    )


def _arm_verdict(
    arm: ArmCounts,
    control: ArmCounts,
    posterior: ArmResult,
    rule: DecisionRule,
    *,
    is_control: bool,
) -> tuple[ArmVerdict, str]:
    if arm.trials < rule.min_trials_per_arm:
        return (
            ArmVerdict.NOT_ENOUGH_DATA,
            f"{arm.trials} of the {rule.min_trials_per_arm} trials each arm needs.",
        )
    if is_control:
        return ArmVerdict.CONTROL, "The baseline the other arms are compared with."
    if control.trials < rule.min_trials_per_arm:
        return ArmVerdict.NOT_ENOUGH_DATA, "The control does not have enough trials yet."
    beats = posterior.chance_to_beat_control or 0.0
    if beats >= rule.chance_to_win:
        return ArmVerdict.BETTER, f"{_percent(beats)} chance to beat the control."
    if beats <= 1 - rule.chance_to_win:
        return ArmVerdict.WORSE, f"{_percent(1 - beats)} chance to be worse than the control."
    return (
        ArmVerdict.INCONCLUSIVE,
        f"{_percent(beats)} chance to beat the control; the rule needs "
        f"{_percent(rule.chance_to_win)} either way.",
    )


def _percent(value: float) -> str:
    """One decimal, rounded down: 94.96% shows as 94.9%, never as a 95.0% the rule refused."""
    return f"{math.floor(value * 1000 + 1e-9) / 10:.1f}%"


def stop_decision(
    arms: Sequence[ArmCounts], rule: DecisionRule, *, sequential_check: bool
) -> str | None:
    """Returns the arm the rule declares the winner now, or None: every arm at the minimum
    sample and the leader's chance to be best at the certainty (flat prior); with
    `sequential_check`, also the leader's always-valid p-value against every other arm at most
    (1 - certainty) / (arms - 1), so reading it after every batch keeps wrong winners rare."""
    if len(arms) < 2 or any(arm.trials < rule.min_trials_per_arm for arm in arms):
        return None
    chances = chance_to_be_best_of(
        [1.0 + arm.successes for arm in arms],
        [1.0 + arm.trials - arm.successes for arm in arms],
    )
    chance, leader = max(zip(chances, range(len(arms)), strict=True))
    if chance < rule.chance_to_win:
        return None
    if sequential_check and not _sequentially_best(arms, leader, 1 - rule.chance_to_win):
        return None
    return arms[leader].key


def _sequentially_best(arms: Sequence[ArmCounts], leader: int, alpha: float) -> bool:
    """True when the leader beats every other arm by the always-valid test (Bonferroni)."""
    level = alpha / (len(arms) - 1)
    for i, other in enumerate(arms):
        if i == leader:
            continue
        test = sequential.compare_proportions(other, arms[leader], alpha=level)
        if test is None or test.difference <= 0 or test.p_value > level:
            return False
    return True

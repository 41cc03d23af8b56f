"""Turns an Analysis (plain dataclasses) into the fields of the API's read schemas."""

from __future__ import annotations

from typing import Any

from marketing_agent.experiments import frequentist, sequential
from marketing_agent.experiments.analysis import ENGINE_BAYESIAN, Analysis, ArmAnalysis
from marketing_agent.experiments.schemas import (
    ArmResultRead,
    DecisionRuleRead,
    FrequentistRead,
    SampleRatioRead,
    SequentialRead,
    StoppingRead,
)


def analysis_fields(analysis: Analysis) -> dict[str, Any]:
    """Returns the AnalysisFields of `analysis` as keyword arguments."""
    srm = analysis.srm
    return {
        "control_key": analysis.control_key,
        "engine": ENGINE_BAYESIAN,
        "confidence": analysis.confidence,
        "prior_alpha": analysis.prior.alpha,
        "prior_beta": analysis.prior.beta,
        "arms": [arm_read(arm) for arm in analysis.arms],
        "verdict": analysis.verdict,
        "leader": analysis.leader,
        "reason": analysis.reason,
        "rule": DecisionRuleRead(
            min_trials_per_arm=analysis.rule.min_trials_per_arm,
            chance_to_win=analysis.rule.chance_to_win,
        ),
        "srm": None
        if srm is None
        else SampleRatioRead(
            chi_square=srm.chi_square,
            p_value=srm.p_value,
            expected=srm.expected,
            mismatch=srm.mismatch,
        ),
        "warnings": analysis.warnings,
        "stopping": stopping(analysis),
    }


def stopping(analysis: Analysis) -> StoppingRead:
    """Says whether the test may stop now by the always-valid (sequential) engine: some arm
    differs from the control at 1 - confidence, however often the results were looked at."""
    alpha = 1 - analysis.confidence
    decided = sorted(
        (arm.sequential.p_value, arm.bayesian.key)
        for arm in analysis.arms
        if arm.sequential is not None and arm.sequential.p_value < alpha
    )
    level = f"{analysis.confidence:.0%}"
    if decided:
        p_value, key = decided[0]
        direction = "better" if _difference(analysis, key) > 0 else "worse"
        reason = (
            f"You can stop: {key} is {direction} than the control with always-valid "
            f"p = {p_value:.3g} < {alpha:.2g} (its {level} confidence sequence excludes a zero "
            "difference); the result holds however often you looked."
        )
    else:
        reason = (
            f"Keep going: no variant differs from the control yet at {level} by the always-valid "
            "test (looking again does not inflate false positives)."
        )
    return StoppingRead(
        engine=sequential.ENGINE,
        can_stop=bool(decided),
        confidence=analysis.confidence,
        reason=reason,
    )


def _difference(analysis: Analysis, key: str) -> float:
    for arm in analysis.arms:
        if arm.bayesian.key == key and arm.sequential is not None:
            return arm.sequential.difference
    return 0.0


def arm_read(arm: ArmAnalysis) -> ArmResultRead:
    """Returns one arm's read schema: Bayesian flat fields, each engine's block nested."""
    b, f, s = arm.bayesian, arm.frequentist, arm.sequential
    return ArmResultRead(
        key=b.key,
        trials=b.trials,
        successes=b.successes,
        rate=b.rate,
        ci_low=b.ci_low,
        ci_high=b.ci_high,
        posterior_mean=b.posterior_mean,
        chance_to_beat_control=b.chance_to_beat_control,
        chance_to_be_best=b.chance_to_be_best,
        expected_loss=b.expected_loss,
        expected_loss_relative=b.expected_loss_relative,
        lift=b.lift,
        lift_ci_low=b.lift_ci_low,
        lift_ci_high=b.lift_ci_high,
        p_value=f.p_value if f else None,
        rate_ci_low_frequentist=arm.wilson[0] if arm.wilson else None,
        rate_ci_high_frequentist=arm.wilson[1] if arm.wilson else None,
        frequentist=None
        if f is None
        else FrequentistRead(
            engine=frequentist.ENGINE_Z,
            difference=f.difference,
            difference_ci_low=f.difference_ci_low,
            difference_ci_high=f.difference_ci_high,
            lift=f.lift,
            lift_ci_low=f.lift_ci_low,
            lift_ci_high=f.lift_ci_high,
            z=f.z,
            p_value=f.p_value,
            p_value_holm=arm.p_value_holm,
        ),
        sequential=None
        if s is None
        else SequentialRead(
            engine=sequential.ENGINE,
            difference=s.difference,
            difference_ci_low=s.difference_ci_low,
            difference_ci_high=s.difference_ci_high,
            lift=s.lift,
            lift_ci_low=s.lift_ci_low,
            lift_ci_high=s.lift_ci_high,
            p_value=s.p_value,
        ),
        verdict=arm.verdict,
        reason=arm.reason,
    )

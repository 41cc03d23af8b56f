"""The experiments module's public API: create a campaign's experiment, assign units, read results,
and the decisions taken while a campaign sends (rollout.py: test-then-send, bandit, guardrails).

Counts come from the analytics module's service; nothing here reads its tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.core import clock
from marketing_agent.core.errors import Conflict, NotFound, ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.experiments import (
    cuped,
    frequentist,
    history,
    power,
    revenue,
    rollout,
    splitter,
)
from marketing_agent.experiments.analysis import DecisionRule, analyse
from marketing_agent.experiments.models import Experiment
from marketing_agent.experiments.readout import analysis_fields
from marketing_agent.experiments.rollout import RolloutPlan as RolloutPlan
from marketing_agent.experiments.rollout import RolloutStep as RolloutStep
from marketing_agent.experiments.schemas import (
    AnalyseRequest,
    AnalysisRead,
    ChanceHistoryRead,
    CupedArmRead,
    CupedRead,
    DecisionRead,
    ExperimentResults,
    ExperimentStatus,
    GuardrailRead,
    RevenueSummaryRead,
    RolloutConfig,
    RolloutMode,
    RolloutRead,
    SampleSizeRead,
    SampleSizeRequest,
)
from marketing_agent.experiments.schemas import Arm as Arm
from marketing_agent.experiments.schemas import BaseRateRead as BaseRateRead
from marketing_agent.experiments.schemas import BaseRateSource as BaseRateSource
from marketing_agent.experiments.stats import FLAT_PRIOR, ArmCounts, BetaPrior

log = get_logger(__name__)


@dataclass(frozen=True)
class ExperimentHandle:
    """A campaign's experiment as other modules see it (never the ORM row): its arms, its
    control, and the sticky assignment of a unit to an arm."""

    id: int
    campaign_id: int
    arms: tuple[Arm, ...]
    control_key: str
    status: ExperimentStatus
    created_at: datetime

    @classmethod
    def of(cls, experiment: Experiment) -> ExperimentHandle:
        return cls(
            id=experiment.id,
            campaign_id=experiment.campaign_id,
            arms=tuple(arms_of(experiment)),
            control_key=experiment.control_key,
            status=ExperimentStatus(experiment.status),
            created_at=experiment.created_at,
        )

    def assign(self, unit_id: int) -> str:
        """Returns the variant key of the arm `unit_id` belongs to; always the same for a unit."""
        return splitter.assign_arm(experiment_id=self.id, unit_id=unit_id, arms=list(self.arms))


async def create_experiment(
    *, session: AsyncSession, campaign_id: int, arms: Sequence[Arm], control_key: str = "A"
) -> ExperimentHandle:
    """Creates the campaign's experiment; a campaign has at most one."""
    splitter.validate_arms(arms)
    if control_key not in {arm.key for arm in arms}:
        raise ValidationFailed(
            [field_error(("control_key",), f"control arm '{control_key}' is not among the arms")]
        )
    if await _experiment_of(session, campaign_id) is not None:
        raise Conflict(f"Campaign {campaign_id} already has an experiment")
    experiment = Experiment(
        campaign_id=campaign_id,
        arms=[arm.model_dump() for arm in arms],
        control_key=control_key,
        status=ExperimentStatus.RUNNING.value,
        created_at=clock.now(),
    )
    session.add(experiment)
    await session.flush()
    log.info(
        "experiment.created",
        experiment_id=experiment.id,
        campaign_id=campaign_id,
        arms=[arm.key for arm in arms],
        control_key=control_key,
    )
    return ExperimentHandle.of(experiment)


async def replace_arms(*, session: AsyncSession, campaign_id: int, arms: Sequence[Arm]) -> None:
    """Replaces the arms of a campaign's experiment before anything was sent (a draft's edit)."""
    splitter.validate_arms(arms)
    experiment = await _experiment_of(session, campaign_id)
    if experiment is None:
        await create_experiment(session=session, campaign_id=campaign_id, arms=arms)
        return
    experiment.arms = [arm.model_dump() for arm in arms]
    if experiment.control_key not in {arm.key for arm in arms}:
        experiment.control_key = arms[0].key
    await session.flush()


async def get_experiment_for_campaign(
    *, session: AsyncSession, campaign_id: int
) -> ExperimentHandle | None:
    """Returns the campaign's experiment, or None when it has none."""
    experiment = await _experiment_of(session, campaign_id)
    return None if experiment is None else ExperimentHandle.of(experiment)


async def _experiment_of(session: AsyncSession, campaign_id: int) -> Experiment | None:
    """Returns the module's own row of the campaign's experiment, or None."""
    experiment: Experiment | None = await session.scalar(
        select(Experiment).where(Experiment.campaign_id == campaign_id)
    )
    return experiment


def assign(experiment: ExperimentHandle, unit_id: int) -> str:
    """Returns the variant key of the arm `unit_id` belongs to; always the same for a unit."""
    return experiment.assign(unit_id)


def arms_of(experiment: Experiment) -> list[Arm]:
    """Returns the experiment's arms in their stored order."""
    return [Arm.model_validate(arm) for arm in experiment.arms]


async def campaign_results(
    *,
    session: AsyncSession,
    campaign_id: int,
    metric: analytics.EventType = analytics.EventType.CONVERTED,
    exposure: analytics.EventType = analytics.EventType.SENT,
    rule: DecisionRule | None = None,
    pre_period_days: float | None = None,
) -> ExperimentResults:
    """Returns each arm's analysis and the rule's verdict: `metric` out of those with `exposure`;
    with `pre_period_days`, also the CUPED comparison on each recipient's metric before."""
    experiment = await _experiment_of(session, campaign_id)
    if experiment is None:
        raise NotFound(f"Campaign {campaign_id} has no experiment")
    stats = await analytics.campaign_stats(session=session, campaign_id=campaign_id)
    by_key = {variant.variant_key: variant for variant in stats.variants}
    counts: list[ArmCounts] = []
    guardrails = _guardrails(stats.variants, arms_of(experiment), rule or DecisionRule())
    for arm in arms_of(experiment):
        variant = by_key.get(arm.key)
        trials = getattr(variant, exposure.value) if variant else 0
        successes = getattr(variant, metric.value) if variant else 0
        if successes > trials:
            # e.g. conversions reported for people whose send event is missing: not evidence.
            log.warning(
                "experiment.successes_exceed_trials",
                campaign_id=campaign_id,
                arm=arm.key,
                trials=trials,
                successes=successes,
            )
            successes = trials
        counts.append(ArmCounts(key=arm.key, trials=trials, successes=successes))

    analysis = analyse(
        counts,
        experiment.control_key,
        rule=rule or DecisionRule(),
        # The SRM check compares sends with fixed weights; a bandit or test-then-send moves
        # traffic on purpose, so it has no fixed weights to check against.
        weights=[arm.weight for arm in arms_of(experiment)]
        if experiment.mode == RolloutMode.FIXED.value
        else None,
    )
    fields = analysis_fields(analysis)
    fields["warnings"] = fields["warnings"] + [
        f"Guardrail: {g.key}'s {g.metric.value} rate is {g.rate:.1%} (at least "
        f"{g.ci_low:.1%}), above the {g.threshold:.1%} limit."
        for g in guardrails
        if g.breached and g.rate is not None and g.ci_low is not None
    ]
    results = ExperimentResults(
        experiment_id=experiment.id,
        campaign_id=campaign_id,
        metric=metric,
        exposure=exposure,
        guardrails=guardrails,
        cuped=None
        if pre_period_days is None
        else await _cuped(
            session, campaign_id, experiment.control_key, metric, days=pre_period_days
        ),
        **fields,
    )
    results.revenue = await _revenue(session, campaign_id, results)
    return results


async def campaign_chance_history(
    *,
    session: AsyncSession,
    campaign_id: int,
    metric: analytics.EventType = analytics.EventType.CONVERTED,
    rule: DecisionRule | None = None,
    points: int = 24,
) -> ChanceHistoryRead:
    """Returns each arm's chance to be best and to beat the control at `points` moments from
    the first send to the latest event, recounted from the stored events up to each moment."""
    experiment = await _get_or_raise(session, campaign_id)
    stored = await analytics.variant_times(session=session, campaign_id=campaign_id, metric=metric)
    return history.chance_history(
        campaign_id=campaign_id,
        times={row.variant_key: (row.sent_at, row.succeeded_at) for row in stored},
        keys=[arm.key for arm in arms_of(experiment)],
        control_key=experiment.control_key,
        metric=metric,
        rule=rule or DecisionRule(),
        points=points,
    )


async def _revenue(
    session: AsyncSession, campaign_id: int, results: ExperimentResults
) -> RevenueSummaryRead | None:
    """Sets each arm's value per recipient (USD conversions; zeros for the others) against the
    control; returns the sentence, None when no conversion of the campaign carries a value."""
    sums = {
        row.variant_key: row
        for row in await analytics.value_summaries(session=session, campaign_id=campaign_id)
    }
    if not sums:
        return None
    values = {
        arm.key: revenue.ArmValue(
            n=sums[arm.key].n if arm.key in sums else 0,
            total=sums[arm.key].sum_usd if arm.key in sums else 0.0,
            sum_squares=sums[arm.key].sum_squares_usd if arm.key in sums else 0.0,
            converters=sums[arm.key].converters if arm.key in sums else 0,
        )
        for arm in results.arms
    }
    by_arm, summary = revenue.compare(
        values, results.control_key, confidence=results.confidence, currency="USD"
    )
    for arm in results.arms:
        arm.revenue = by_arm[arm.key]
    return summary


async def _cuped(
    session: AsyncSession,
    campaign_id: int,
    control_key: str,
    metric: analytics.EventType,
    *,
    days: float,
) -> CupedRead | None:
    """Returns the CUPED comparison from analytics' pre-period sums; None without any history."""
    sums = await analytics.pre_period_summaries(
        session=session, campaign_id=campaign_id, metric=metric, window=timedelta(days=days)
    )
    by_key = {row.variant_key: row for row in sums}
    if control_key not in by_key or not any(row.sum_x for row in sums):
        return None
    arms = [_covariates(row) for row in sums]
    adjusted = dict(zip(by_key, cuped.adjust(arms), strict=True))
    raw = sum((a.n - 1) * a.variance_y for a in arms if a.n > 1)
    left = sum((m.n - 1) * m.variance for m in adjusted.values() if m.n > 1)
    control = adjusted[control_key]
    reads = []
    for (key, summary), arm in zip(adjusted.items(), arms, strict=True):
        test = None if key == control_key else frequentist.welch_t_test(control, summary)
        reads.append(
            CupedArmRead(
                key=key,
                n=summary.n,
                rate=arm.mean_y,
                adjusted_rate=summary.mean,
                pre_period_mean=arm.mean_x,
                difference=test.difference if test else None,
                ci_low=test.ci_low if test else None,
                ci_high=test.ci_high if test else None,
                p_value=test.p_value if test else None,
            )
        )
    return CupedRead(
        engine="CUPED (pooled theta) + " + frequentist.ENGINE_WELCH,
        covariate=f"each recipient's {metric.value} events elsewhere in the {days:g} days "
        "before their first send",
        pre_period_days=days,
        confidence=0.95,
        theta=cuped.cuped_theta(arms),
        variance_reduction=1 - left / raw if raw > 0 else 0.0,
        arms=reads,
    )


def _covariates(row: analytics.PrePeriodSummary) -> cuped.CovariateSummary:
    n = row.n
    mean_y, mean_x = row.sum_y / n, row.sum_x / n
    dof = max(n - 1, 1)
    return cuped.CovariateSummary(
        n=n,
        mean_y=mean_y,
        variance_y=max(0.0, (row.sum_y2 - n * mean_y * mean_y) / dof),
        mean_x=mean_x,
        variance_x=max(0.0, (row.sum_x2 - n * mean_x * mean_x) / dof),
        covariance_xy=(row.sum_xy - n * mean_x * mean_y) / dof,
    )


def decision_rule(settings: Settings) -> DecisionRule:
    """Returns the deployment's decision rule (minimum trials, chance to win, guardrails)."""
    return DecisionRule(
        min_trials_per_arm=settings.experiment_min_trials_per_arm,
        chance_to_win=settings.experiment_chance_to_win,
        opt_out_guardrail=settings.experiment_opt_out_guardrail,
        failed_guardrail=settings.experiment_failed_guardrail,
    )


def _guardrails(
    variants: Sequence[analytics.VariantStats], arms: Sequence[Arm], rule: DecisionRule
) -> list[GuardrailRead]:
    """Returns each arm's opt-out and failed-send rates against the rule's thresholds."""
    by_key = {variant.variant_key: variant for variant in variants}
    reads: list[GuardrailRead] = []
    for arm in arms:
        variant = by_key.get(arm.key)
        sent = variant.sent if variant else 0
        for metric, threshold in (
            (analytics.EventType.UNSUBSCRIBED, rule.opt_out_guardrail),
            (analytics.EventType.FAILED, rule.failed_guardrail),
        ):
            events = min(sent, getattr(variant, metric.value) if variant else 0)
            interval = frequentist.wilson_interval(events, sent)
            reads.append(
                GuardrailRead(
                    key=arm.key,
                    metric=metric,
                    rate=events / sent if sent else None,
                    ci_low=interval[0] if interval else None,
                    ci_high=interval[1] if interval else None,
                    threshold=threshold,
                    breached=interval is not None and interval[0] > threshold,
                )
            )
    return reads


def analyse_counts(*, request: AnalyseRequest, rule: DecisionRule) -> AnalysisRead:
    """Returns the calculator's analysis of any counts; ValidationFailed lists every problem."""
    _check_request(request)
    rule = DecisionRule(
        min_trials_per_arm=rule.min_trials_per_arm
        if request.min_trials_per_arm is None
        else request.min_trials_per_arm,
        chance_to_win=rule.chance_to_win
        if request.chance_to_win is None
        else request.chance_to_win,
    )
    prior = (
        FLAT_PRIOR
        if request.prior is None
        else BetaPrior(alpha=request.prior.alpha, beta=request.prior.beta)
    )
    weights = [arm.weight for arm in request.arms]
    analysis = analyse(
        [ArmCounts(arm.key, arm.trials, arm.successes) for arm in request.arms],
        request.control,
        rule=rule,
        prior=prior,
        confidence=request.confidence,
        weights=None if any(w is None for w in weights) else [w or 0.0 for w in weights],
    )
    read = AnalysisRead(**analysis_fields(analysis))
    if request.arms[0].value_sum is not None:
        _add_revenue(request, read)
    return read


def _add_revenue(request: AnalyseRequest, read: AnalysisRead) -> None:
    """Sets each arm's Welch comparison of value per recipient against the control."""
    values = {
        arm.key: revenue.ArmValue(
            n=arm.trials, total=arm.value_sum or 0.0, sum_squares=arm.value_sum_squares or 0.0
        )
        for arm in request.arms
    }
    by_arm, read.revenue = revenue.compare(
        values, request.control, confidence=request.confidence, currency=""
    )
    for arm in read.arms:
        arm.revenue = by_arm[arm.key]


async def campaign_reward(*, session: AsyncSession, campaign_id: int) -> analytics.EventType:
    """Returns the event the campaign's experiment counts as success; converted without one."""
    experiment = await _experiment_of(session, campaign_id)
    if experiment is None:
        return analytics.EventType.CONVERTED
    return rollout.config_of(experiment).reward


async def observed_base_rate(
    *,
    session: AsyncSession,
    audience_campaign_ids: Sequence[int],
    workspace_campaign_ids: Sequence[int],
    metric: analytics.EventType = analytics.EventType.CONVERTED,
) -> BaseRateRead:
    """Returns the rate a test is planned on: the earlier campaigns' to the same audience when
    they have enough successes, else the workspace's earlier campaigns', else the assumed 3%."""
    noun = _RATE_NOUNS.get(metric, f"{metric.value} rate")
    audience = await analytics.campaigns_total(
        session=session, campaign_ids=audience_campaign_ids, metric=metric
    )
    if audience.successes >= power.MIN_BASE_RATE_SUCCESSES:
        return _observed(BaseRateSource.AUDIENCE, audience, metric, noun, "this audience's")
    workspace = await analytics.campaigns_total(
        session=session, campaign_ids=workspace_campaign_ids, metric=metric
    )
    mine = _counts(audience, metric, "this audience")
    if workspace.successes >= power.MIN_BASE_RATE_SUCCESSES:
        read = _observed(BaseRateSource.WORKSPACE, workspace, metric, noun, "the workspace's")
        return read.model_copy(update={"reason": f"{read.reason[:-1]}; {mine}."})
    return BaseRateRead(
        rate=power.ASSUMED_BASE_RATE,
        metric=metric,
        source=BaseRateSource.ASSUMED,
        campaigns=0,
        sent=0,
        successes=0,
        reason=f"Planned on an assumed {power.ASSUMED_BASE_RATE:.0%} {noun}: {mine}, "
        f"{_counts(workspace, metric, 'the workspace')} (a rate is planned on from "
        f"{power.MIN_BASE_RATE_SUCCESSES} {metric.value}).",
    )


_RATE_NOUNS = {
    analytics.EventType.CONVERTED: "conversion rate",
    analytics.EventType.CLICKED: "click rate",
}


def _earlier(total: analytics.CampaignsTotal) -> str:
    return "earlier campaign" if total.campaigns == 1 else f"{total.campaigns} earlier campaigns"


def _observed(
    source: BaseRateSource,
    total: analytics.CampaignsTotal,
    metric: analytics.EventType,
    noun: str,
    whose: str,
) -> BaseRateRead:
    rate = total.successes / total.sent
    return BaseRateRead(
        rate=rate,
        metric=metric,
        source=source,
        campaigns=total.campaigns,
        sent=total.sent,
        successes=total.successes,
        reason=f"Planned on a {rate:.2%} {noun}: {whose} {_earlier(total)} "
        f"({total.successes:,} {metric.value} of {total.sent:,} sent).",
    )


def _counts(total: analytics.CampaignsTotal, metric: analytics.EventType, whose: str) -> str:
    """Returns what the earlier campaigns of `whose` have, when too few to plan on."""
    if total.campaigns == 0:
        return f"{whose} has no earlier campaign"
    verb = "has" if total.campaigns == 1 else "have"
    return (
        f"{whose}'s {_earlier(total)} {verb} only {total.successes:,} {metric.value} of "
        f"{total.sent:,} sent"
    )


def plan_sample_size(*, request: SampleSizeRequest) -> SampleSizeRead:
    """Returns the recipients a test needs, and whether the given audience has them."""
    rate_variant = request.base_rate * (1 + request.minimum_detectable_lift)
    if not 0 < rate_variant < 1:
        raise ValidationFailed(
            [
                field_error(
                    ("body", "minimum_detectable_lift"),
                    f"the lifted rate would be {rate_variant:.4g}; it must be between 0 and 1",
                )
            ]
        )
    if request.minimum_detectable_lift == 0:
        raise ValidationFailed(
            [field_error(("body", "minimum_detectable_lift"), "a lift of 0 cannot be detected")]
        )
    needed = power.sample_size(
        base_rate=request.base_rate,
        minimum_detectable_lift=request.minimum_detectable_lift,
        power=request.power,
        alpha=request.alpha,
        arms=request.arms,
    )
    audience = request.audience
    sufficient = None if audience is None else audience >= needed.total
    power_with = (
        None
        if audience is None
        else power.power_of(
            base_rate=request.base_rate,
            minimum_detectable_lift=request.minimum_detectable_lift,
            per_arm=audience // request.arms,
            alpha=request.alpha,
            arms=request.arms,
        )
    )
    reason = (
        f"To detect a {request.minimum_detectable_lift:+.1%} relative lift on a "
        f"{request.base_rate:.2%} rate at {request.power:.0%} power you need "
        f"{needed.per_arm:,} recipients per arm, {needed.total:,} in all"
    )
    if audience is not None:
        gives = "gives" if sufficient else "does not give"
        reason += f"; an audience of {audience:,} {gives} that (power {power_with:.0%})"
    return SampleSizeRead(
        per_arm=needed.per_arm,
        total=needed.total,
        alpha_per_comparison=needed.alpha_per_comparison,
        rate_control=needed.rate_control,
        rate_variant=needed.rate_variant,
        audience=audience,
        audience_sufficient=sufficient,
        power_with_audience=power_with,
        reason=reason + ".",
    )


def _check_request(request: AnalyseRequest) -> None:
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, arm in enumerate(request.arms):
        if arm.successes > arm.trials:
            errors.append(
                field_error(
                    ("body", "arms", i, "successes"),
                    f"successes ({arm.successes}) cannot exceed trials ({arm.trials})",
                )
            )
        if arm.key in seen:
            errors.append(
                field_error(("body", "arms", i, "key"), f"arm key '{arm.key}' is repeated")
            )
        seen.add(arm.key)
    if request.control not in seen:
        errors.append(
            field_error(("body", "control"), f"control '{request.control}' is not among the arms")
        )
    values = [(arm.value_sum is None, arm.value_sum_squares is None) for arm in request.arms]
    if len(set(values)) > 1 or (values and values[0][0] != values[0][1]):
        errors.append(
            field_error(
                ("body", "arms"),
                "give value_sum and value_sum_squares for every arm or for none",
            )
        )
    for i, arm in enumerate(request.arms):
        if arm.value_sum is None or arm.value_sum_squares is None or not arm.trials:
            continue
        # Cauchy-Schwarz: the sum of squares is at least sum^2 / n (rounding aside).
        if arm.value_sum_squares < arm.value_sum**2 / arm.trials * (1 - 1e-9):
            errors.append(
                field_error(
                    ("body", "arms", i, "value_sum_squares"),
                    "is smaller than value_sum^2 / trials: not the squares of those values",
                )
            )
    given = [arm.weight is not None for arm in request.arms]
    if any(given) and not all(given):
        errors.append(field_error(("body", "arms"), "give a weight for every arm or for none"))
    if errors:
        raise ValidationFailed(errors)


async def start_rollout(
    *, session: AsyncSession, campaign_id: int, unit_ids: Sequence[int]
) -> RolloutPlan | None:
    """Returns who is sent now (and the arm) and who waits for the experiment's decision; None
    when the campaign has no experiment. Called once, when the campaign's audience is written."""
    experiment = await _experiment_of(session, campaign_id)
    if experiment is None:
        return None
    return await rollout.start_rollout(session=session, experiment=experiment, unit_ids=unit_ids)


async def due_rollouts(*, session: AsyncSession, campaign_ids: Sequence[int]) -> list[int]:
    """Returns which of these running campaigns have an experiment decision due now."""
    due = await rollout.due_experiments(session=session, campaign_ids=campaign_ids)
    return [experiment.campaign_id for experiment in due]


async def advance_rollout(
    *, session: AsyncSession, campaign_id: int, held_unit_ids: Sequence[int]
) -> RolloutStep:
    """Takes the decisions due now for the campaign (audited): which held recipients to send,
    with which arm, which arms to pause, whether to pause the campaign."""
    experiment = await _get_or_raise(session, campaign_id)
    return await rollout.advance_rollout(
        session=session,
        experiment=experiment,
        held_unit_ids=held_unit_ids,
        results_of=campaign_results,
        rule=DecisionRule(),
    )


async def set_rollout(
    *,
    session: AsyncSession,
    campaign_id: int,
    config: RolloutConfig,
    settings: Settings,
    actor: str,
) -> RolloutRead:
    """Sets the campaign's rollout mode before it sends; the deployment's rule fills what the
    request leaves out. Conflict once it has started."""
    experiment = await _get_or_raise(session, campaign_id)
    rule = decision_rule(settings)
    config = config.model_copy(
        update={
            "chance_to_win": config.chance_to_win or rule.chance_to_win,
            "min_trials_per_arm": config.min_trials_per_arm or rule.min_trials_per_arm or None,
            "opt_out_guardrail": rule.opt_out_guardrail
            if config.opt_out_guardrail is None
            else config.opt_out_guardrail,
            "failed_guardrail": rule.failed_guardrail
            if config.failed_guardrail is None
            else config.failed_guardrail,
        }
    )
    await rollout.set_rollout(session=session, experiment=experiment, config=config, actor=actor)
    return rollout.read_rollout(experiment)


async def inherit_rollout(
    *,
    session: AsyncSession,
    campaign_id: int,
    template_campaign_id: int,
    earlier_run_ids: Sequence[int],
) -> None:
    """Gives a recurring campaign's new run the template's rollout and the latest earlier
    run's test winner (`earlier_run_ids` newest first); nothing without a template rollout."""
    experiment = await _get_or_raise(session, campaign_id)
    template = await _experiment_of(session, template_campaign_id)
    if template is None:
        return
    by_campaign = {
        run.campaign_id: run
        for run in (
            await session.scalars(
                select(Experiment).where(Experiment.campaign_id.in_(list(earlier_run_ids)))
            )
        ).all()
    }
    await rollout.inherit_rollout(
        session=session,
        experiment=experiment,
        template=template,
        earlier_runs=[by_campaign[i] for i in earlier_run_ids if i in by_campaign],
    )


async def get_rollout(*, session: AsyncSession, campaign_id: int) -> RolloutRead:
    """Returns the campaign's rollout settings and progress."""
    return rollout.read_rollout(await _get_or_raise(session, campaign_id))


async def approve_winner(
    *, session: AsyncSession, campaign_id: int, variant_key: str | None, actor: str
) -> RolloutRead:
    """Records a person's choice of the variant the rest of a test-then-send audience gets."""
    experiment = await _get_or_raise(session, campaign_id)
    await rollout.approve_winner(
        session=session, experiment=experiment, variant_key=variant_key, actor=actor
    )
    return rollout.read_rollout(experiment)


async def resume_arm(
    *, session: AsyncSession, campaign_id: int, variant_key: str, actor: str
) -> RolloutRead:
    """Resumes a variant a guardrail paused (audited with the person's name)."""
    experiment = await _get_or_raise(session, campaign_id)
    await rollout.resume_arm(
        session=session, experiment=experiment, variant_key=variant_key, actor=actor
    )
    return rollout.read_rollout(experiment)


async def list_decisions(*, session: AsyncSession, campaign_id: int) -> list[DecisionRead]:
    """Returns the experiment's audited decisions, oldest first."""
    await _get_or_raise(session, campaign_id)
    return await rollout.decisions(session=session, campaign_id=campaign_id)


async def _get_or_raise(session: AsyncSession, campaign_id: int) -> Experiment:
    experiment = await _experiment_of(session, campaign_id)
    if experiment is None:
        raise NotFound(f"Campaign {campaign_id} has no experiment")
    return experiment

"""The experiments module's public API: create a campaign's experiment, assign units, read results.

Counts come from the analytics module's campaign stats; nothing here reads its tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.core import clock
from marketing_agent.core.errors import Conflict, NotFound, ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.experiments import splitter
from marketing_agent.experiments.models import Experiment
from marketing_agent.experiments.schemas import (
    Arm,
    ArmResultRead,
    ExperimentResults,
    ExperimentStatus,
)
from marketing_agent.experiments.stats import ArmCounts, analyse_arms

log = get_logger(__name__)


async def create_experiment(
    *, session: AsyncSession, campaign_id: int, arms: Sequence[Arm], control_key: str = "A"
) -> Experiment:
    """Creates the campaign's experiment; a campaign has at most one."""
    splitter.validate_arms(arms)
    if control_key not in {arm.key for arm in arms}:
        raise ValidationFailed(
            [field_error(("control_key",), f"control arm '{control_key}' is not among the arms")]
        )
    if await get_experiment_for_campaign(session=session, campaign_id=campaign_id) is not None:
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
    return experiment


async def replace_arms(*, session: AsyncSession, campaign_id: int, arms: Sequence[Arm]) -> None:
    """Replaces the arms of a campaign's experiment before anything was sent (a draft's edit)."""
    splitter.validate_arms(arms)
    experiment = await get_experiment_for_campaign(session=session, campaign_id=campaign_id)
    if experiment is None:
        await create_experiment(session=session, campaign_id=campaign_id, arms=arms)
        return
    experiment.arms = [arm.model_dump() for arm in arms]
    if experiment.control_key not in {arm.key for arm in arms}:
        experiment.control_key = arms[0].key
    await session.flush()


async def get_experiment_for_campaign(
    *, session: AsyncSession, campaign_id: int
) -> Experiment | None:
    """Returns the campaign's experiment, or None when it has none."""
    experiment: Experiment | None = await session.scalar(
        select(Experiment).where(Experiment.campaign_id == campaign_id)
    )
    return experiment


def assign(experiment: Experiment, unit_id: int) -> str:
    """Returns the variant key of the arm `unit_id` belongs to; always the same for a unit."""
    return splitter.assign_arm(
        experiment_id=experiment.id, unit_id=unit_id, arms=arms_of(experiment)
    )


def arms_of(experiment: Experiment) -> list[Arm]:
    """Returns the experiment's arms in their stored order."""
    return [Arm.model_validate(arm) for arm in experiment.arms]


async def campaign_results(
    *,
    session: AsyncSession,
    campaign_id: int,
    metric: analytics.EventType = analytics.EventType.CONVERTED,
    exposure: analytics.EventType = analytics.EventType.SENT,
) -> ExperimentResults:
    """Returns each arm's Bayesian comparison: people with `metric` out of those with `exposure`."""
    experiment = await get_experiment_for_campaign(session=session, campaign_id=campaign_id)
    if experiment is None:
        raise NotFound(f"Campaign {campaign_id} has no experiment")
    stats = await analytics.campaign_stats(session=session, campaign_id=campaign_id)
    by_key = {variant.variant_key: variant for variant in stats.variants}
    counts: list[ArmCounts] = []
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

    results = analyse_arms(counts, experiment.control_key)
    has_data = any(arm.trials for arm in counts)
    leader = max(results, key=lambda r: r.chance_to_be_best).key if has_data else None
    return ExperimentResults(
        experiment_id=experiment.id,
        campaign_id=campaign_id,
        control_key=experiment.control_key,
        metric=metric,
        exposure=exposure,
        arms=[ArmResultRead.model_validate(result) for result in results],
        leader=leader,
    )

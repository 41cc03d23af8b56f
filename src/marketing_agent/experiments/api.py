"""HTTP API of the experiments module: a campaign's experiment and results, and the calculator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from marketing_agent.analytics import service as analytics
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.deps import CurrentSettings, DbSession
from marketing_agent.core.errors import NotFound
from marketing_agent.core.validation import DbId
from marketing_agent.experiments import service
from marketing_agent.experiments.schemas import (
    AnalyseRequest,
    AnalysisRead,
    ApproveWinner,
    ChanceHistoryRead,
    DecisionRead,
    ExperimentRead,
    ExperimentReport,
    RolloutConfig,
    RolloutRead,
    SampleSizeRead,
    SampleSizeRequest,
)

router = APIRouter(prefix="/api/v1/experiments", tags=["experiments"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]
CanWrite = Annotated[Principal, Depends(authorize(Permission.CAMPAIGNS_WRITE))]
CampaignId = Annotated[DbId, Path(description="The campaign's id")]


@router.get("/campaigns/{campaign_id}")
async def campaign_experiment(
    campaign_id: Annotated[DbId, Path(description="The campaign's id")],
    session: DbSession,
    principal: CanRead,
    settings: CurrentSettings,
    metric: analytics.EventType = analytics.EventType.CONVERTED,
    exposure: analytics.EventType = analytics.EventType.SENT,
    pre_period_days: Annotated[
        float | None,
        Query(gt=0, le=365, description="Adds CUPED on the metric in this many days before."),
    ] = 30,
) -> ExperimentReport:
    experiment = await service.get_experiment_for_campaign(session=session, campaign_id=campaign_id)
    if experiment is None:
        raise NotFound(f"Campaign {campaign_id} has no experiment")
    results = await service.campaign_results(
        session=session,
        campaign_id=campaign_id,
        metric=metric,
        exposure=exposure,
        rule=service.decision_rule(settings),
        pre_period_days=pre_period_days,
    )
    return ExperimentReport(experiment=ExperimentRead.model_validate(experiment), results=results)


@router.get("/campaigns/{campaign_id}/history")
async def campaign_chance_history(
    campaign_id: CampaignId,
    session: DbSession,
    principal: CanRead,
    settings: CurrentSettings,
    metric: analytics.EventType = analytics.EventType.CONVERTED,
    points: Annotated[
        int, Query(ge=1, le=200, description="Moments from the first send to the latest event.")
    ] = 24,
) -> ChanceHistoryRead:
    """Chance to win over time: each variant's chance to be best and to beat the control at
    evenly spaced moments, recounted from the events stored up to each one."""
    return await service.campaign_chance_history(
        session=session,
        campaign_id=campaign_id,
        metric=metric,
        rule=service.decision_rule(settings),
        points=points,
    )


@router.post("/analyse")
async def analyse(
    request: AnalyseRequest, principal: CanRead, settings: CurrentSettings
) -> AnalysisRead:
    """Analyses any counts (e.g. another tool's test): every engine, and the rule's verdict."""
    return service.analyse_counts(request=request, rule=service.decision_rule(settings))


@router.post("/sample-size")
async def sample_size(request: SampleSizeRequest, principal: CanRead) -> SampleSizeRead:
    """Returns the recipients a test needs to detect a lift, and whether an audience has them."""
    return service.plan_sample_size(request=request)


@router.get("/campaigns/{campaign_id}/rollout")
async def campaign_rollout(
    campaign_id: CampaignId, session: DbSession, principal: CanRead
) -> RolloutRead:
    """Returns how the campaign's experiment decides while sending, and what it has done."""
    return await service.get_rollout(session=session, campaign_id=campaign_id)


@router.put("/campaigns/{campaign_id}/rollout")
async def set_campaign_rollout(
    campaign_id: CampaignId,
    config: RolloutConfig,
    session: DbSession,
    principal: CanWrite,
    settings: CurrentSettings,
) -> RolloutRead:
    """Sets fixed split, test-then-send or bandit before the campaign sends (409 after)."""
    return await service.set_rollout(
        session=session,
        campaign_id=campaign_id,
        config=config,
        settings=settings,
        actor=principal.actor,
    )


@router.post("/campaigns/{campaign_id}/rollout/approve")
async def approve_campaign_winner(
    campaign_id: CampaignId, approval: ApproveWinner, session: DbSession, principal: CanWrite
) -> RolloutRead:
    """Sends the proposed (or the named) variant to the rest of a test-then-send audience."""
    return await service.approve_winner(
        session=session,
        campaign_id=campaign_id,
        variant_key=approval.variant_key,
        actor=principal.actor,
    )


@router.post("/campaigns/{campaign_id}/arms/{variant_key}/resume")
async def resume_campaign_arm(
    campaign_id: CampaignId,
    variant_key: Annotated[str, Path(min_length=1, max_length=16, description="The variant")],
    session: DbSession,
    principal: CanWrite,
) -> RolloutRead:
    """Resumes a variant a guardrail paused; it is not paused again (409 if it is not paused)."""
    return await service.resume_arm(
        session=session, campaign_id=campaign_id, variant_key=variant_key, actor=principal.actor
    )


@router.get("/campaigns/{campaign_id}/decisions")
async def campaign_decisions(
    campaign_id: CampaignId, session: DbSession, principal: CanRead
) -> list[DecisionRead]:
    """Returns the experiment's decisions (automatic and human) with their figures, oldest first."""
    return await service.list_decisions(session=session, campaign_id=campaign_id)

"""HTTP API of the experiments module: a campaign's experiment and results, and the calculator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from marketing_agent.analytics import service as analytics
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.deps import CurrentSettings, DbSession
from marketing_agent.core.errors import NotFound
from marketing_agent.core.validation import DbId
from marketing_agent.experiments import service
from marketing_agent.experiments.schemas import (
    AnalyseRequest,
    AnalysisRead,
    ExperimentRead,
    ExperimentReport,
    SampleSizeRead,
    SampleSizeRequest,
)

router = APIRouter(prefix="/api/v1/experiments", tags=["experiments"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]


@router.get("/campaigns/{campaign_id}")
async def campaign_experiment(
    campaign_id: Annotated[DbId, Path(description="The campaign's id")],
    session: DbSession,
    principal: CanRead,
    settings: CurrentSettings,
    metric: analytics.EventType = analytics.EventType.CONVERTED,
    exposure: analytics.EventType = analytics.EventType.SENT,
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
    )
    return ExperimentReport(experiment=ExperimentRead.model_validate(experiment), results=results)


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

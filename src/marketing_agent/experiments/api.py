"""HTTP API of the experiments module: a campaign's experiment and its current results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from marketing_agent.analytics import service as analytics
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.deps import DbSession
from marketing_agent.core.errors import NotFound
from marketing_agent.core.validation import DbId
from marketing_agent.experiments import service
from marketing_agent.experiments.schemas import ExperimentRead, ExperimentReport

router = APIRouter(prefix="/api/v1/experiments", tags=["experiments"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]


@router.get("/campaigns/{campaign_id}")
async def campaign_experiment(
    campaign_id: Annotated[DbId, Path(description="The campaign's id")],
    session: DbSession,
    principal: CanRead,
    metric: analytics.EventType = analytics.EventType.CONVERTED,
    exposure: analytics.EventType = analytics.EventType.SENT,
) -> ExperimentReport:
    experiment = await service.get_experiment_for_campaign(session=session, campaign_id=campaign_id)
    if experiment is None:
        raise NotFound(f"Campaign {campaign_id} has no experiment")
    results = await service.campaign_results(
        session=session, campaign_id=campaign_id, metric=metric, exposure=exposure
    )
    return ExperimentReport(experiment=ExperimentRead.model_validate(experiment), results=results)

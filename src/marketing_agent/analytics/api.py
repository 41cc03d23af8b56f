"""HTTP API of the analytics module: campaign stats, funnels, and ingesting external events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from marketing_agent.analytics import service
from marketing_agent.analytics.schemas import (
    CampaignStats,
    EventCreate,
    EventRead,
    EventType,
    Funnel,
)
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.deps import DbSession
from marketing_agent.core.references import References, ensure_references
from marketing_agent.core.validation import DbId

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]
CanWrite = Annotated[Principal, Depends(authorize(Permission.ANALYTICS_WRITE))]
CampaignID = Annotated[DbId, Path(description="The campaign's id")]
FunnelSteps = Annotated[
    list[EventType] | None,
    Query(description="Steps in order; defaults to sent, delivered, read, clicked, converted."),
]


@router.get("/campaigns/{campaign_id}/stats")
async def campaign_stats(
    campaign_id: CampaignID, session: DbSession, principal: CanRead
) -> CampaignStats:
    return await service.campaign_stats(session=session, campaign_id=campaign_id)


@router.get("/campaigns/{campaign_id}/funnel")
async def campaign_funnel(
    campaign_id: CampaignID, session: DbSession, principal: CanRead, steps: FunnelSteps = None
) -> Funnel:
    return await service.funnel(
        session=session, campaign_id=campaign_id, steps=steps or service.DEFAULT_FUNNEL
    )


@router.post("/events", status_code=201)
async def record_event(
    event_in: EventCreate, session: DbSession, principal: CanWrite, references: References
) -> EventRead:
    await ensure_references(
        references,
        session=session,
        contact_id=event_in.contact_id,
        sender_id=event_in.sender_id,
        campaign_id=event_in.campaign_id,
    )
    event = await service.record_event(session=session, event_in=event_in)
    return EventRead.model_validate(event)

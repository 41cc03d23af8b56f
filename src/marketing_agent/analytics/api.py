"""HTTP API of the analytics module: campaign stats, funnels, and ingesting external events."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service
from marketing_agent.analytics.schemas import (
    CampaignSource,
    CampaignStats,
    EventCreate,
    EventRead,
    EventType,
    Funnel,
)
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.deps import DbSession
from marketing_agent.core.errors import NotFound

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]
CanWrite = Annotated[Principal, Depends(authorize(Permission.ANALYTICS_WRITE))]
FunnelSteps = Annotated[
    list[EventType] | None,
    Query(description="Steps in order; defaults to sent, delivered, read, clicked, converted."),
]


class CampaignSourceLookup(Protocol):
    def __call__(
        self, *, session: AsyncSession, campaign_id: int
    ) -> Awaitable[CampaignSource | None]: ...


def get_campaign_source_lookup() -> CampaignSourceLookup | None:
    """Returns what tells a campaign's sender: the app factory provides the orchestrator's
    (analytics may not import it); None: not wired, every count shown as recorded."""
    return None


SourceLookup = Annotated[CampaignSourceLookup | None, Depends(get_campaign_source_lookup)]


@router.get(
    "/campaigns/{campaign_id}/stats",
    responses={404: {"description": "No such campaign."}},
)
async def campaign_stats(
    campaign_id: int, session: DbSession, principal: CanRead, lookup: SourceLookup
) -> CampaignStats:
    source = None
    if lookup is not None:
        source = await lookup(session=session, campaign_id=campaign_id)
        if source is None:
            raise NotFound(f"Campaign {campaign_id} does not exist.")
    return await service.campaign_stats(session=session, campaign_id=campaign_id, source=source)


@router.get("/campaigns/{campaign_id}/funnel")
async def campaign_funnel(
    campaign_id: int, session: DbSession, principal: CanRead, steps: FunnelSteps = None
) -> Funnel:
    return await service.funnel(
        session=session, campaign_id=campaign_id, steps=steps or service.DEFAULT_FUNNEL
    )


@router.post("/events", status_code=201)
async def record_event(event_in: EventCreate, session: DbSession, principal: CanWrite) -> EventRead:
    event = await service.record_event(session=session, event_in=event_in)
    return EventRead.model_validate(event)

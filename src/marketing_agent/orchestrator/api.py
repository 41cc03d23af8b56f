"""HTTP API of the orchestrator: contacts, segments, campaigns, deliveries (dead letters, in doubt,
re-drive) and the review queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, UploadFile

from marketing_agent.compliance.suppression import SuppressionKey
from marketing_agent.core.deps import CurrentSettings, DbSession
from marketing_agent.core.pagination import Limit, Offset, Page
from marketing_agent.orchestrator import contacts_import, flows, privacy, service
from marketing_agent.orchestrator.auth import (
    CanDecideReviews,
    CanRead,
    CanWriteCampaigns,
    CanWriteContacts,
)
from marketing_agent.orchestrator.schemas import (
    CampaignCreate,
    CampaignRead,
    ContactCreate,
    ContactRead,
    DeliveryRead,
    DeliveryStatus,
    ImportResult,
    RedriveRequest,
    RedriveResult,
    ReviewDecision,
    ReviewItemRead,
    ReviewStatus,
    SegmentCreate,
    SegmentRead,
)
from marketing_agent.orchestrator.state_machine import CampaignStatus

router = APIRouter(prefix="/api/v1/orchestrator", tags=["orchestrator"])

CampaignID = Annotated[int, Path(gt=0, description="The campaign's id")]
ReviewID = Annotated[int, Path(gt=0, description="The review item's id")]


# Contacts and segments -----------------------------------------------------------------------


@router.get("/contacts")
async def list_contacts(
    session: DbSession, principal: CanRead, limit: Limit = 100, offset: Offset = 0
) -> Page[ContactRead]:
    rows, total = await service.list_contacts(session=session, limit=limit, offset=offset)
    items = [ContactRead.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/contacts", status_code=201)
async def create_contact(
    contact_in: ContactCreate,
    session: DbSession,
    settings: CurrentSettings,
    principal: CanWriteContacts,
) -> ContactRead:
    await privacy.refuse_suppressed(
        session=session,
        key=SuppressionKey.from_settings(settings),
        telegram_id=contact_in.telegram_id,
    )
    contact = await service.create_contact(session=session, contact_in=contact_in)
    return ContactRead.model_validate(contact)


@router.post("/contacts/import")
async def import_contacts(
    file: UploadFile,
    session: DbSession,
    settings: CurrentSettings,
    principal: CanWriteContacts,
    sender_id: Annotated[
        int | None, Query(gt=0, description="Sender the consents were given to")
    ] = None,
    purpose: Annotated[str, Query(min_length=1, max_length=64)] = "marketing",
) -> ImportResult:
    """Imports a CSV (telegram_id, username, first_name, language, timezone, tags separated by
    ';', optional consent_at and consent_proof, other columns become attributes), whole or not
    at all."""
    data = await file.read()
    return await contacts_import.import_contacts(
        session=session,
        data=data,
        sender_id=sender_id,
        purpose=purpose,
        actor=principal.actor,
        suppression_key=SuppressionKey.from_settings(settings),
    )


@router.get("/segments")
async def list_segments(session: DbSession, principal: CanRead) -> Page[SegmentRead]:
    items = await service.list_segments(session=session)
    return Page(items=items, total=len(items), limit=len(items), offset=0)


@router.post("/segments", status_code=201)
async def create_segment(
    segment_in: SegmentCreate, session: DbSession, principal: CanWriteCampaigns
) -> SegmentRead:
    segment = await service.create_segment(session=session, segment_in=segment_in)
    size = len(await service.audience_contact_ids(session=session, segment_id=segment.id))
    return SegmentRead.model_validate(segment).model_copy(update={"size": size})


# Campaigns -----------------------------------------------------------------------------------


@router.get("/campaigns")
async def list_campaigns(
    session: DbSession,
    principal: CanRead,
    status: CampaignStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CampaignRead]:
    rows, total = await service.list_campaigns(
        session=session, status=status, limit=limit, offset=offset
    )
    items = await service.read_campaigns(session=session, campaigns=rows)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/campaigns", status_code=201)
async def create_campaign(
    campaign_in: CampaignCreate,
    session: DbSession,
    settings: CurrentSettings,
    principal: CanWriteCampaigns,
) -> CampaignRead:
    """Creates a campaign: the strategist drafts the variants, the safety guard scores them;
    a risky campaign lands in the review queue."""
    campaign = await flows.create_campaign(
        session=session, settings=settings, campaign_in=campaign_in, actor=principal.actor
    )
    return await service.read_campaign(session=session, campaign=campaign)


@router.get("/campaigns/{campaign_id}")
async def get_campaign(
    campaign_id: CampaignID, session: DbSession, principal: CanRead
) -> CampaignRead:
    campaign = await service.get_campaign_or_raise(session=session, campaign_id=campaign_id)
    return await service.read_campaign(session=session, campaign=campaign)


@router.post("/campaigns/{campaign_id}/submit")
async def submit_campaign(
    campaign_id: CampaignID,
    session: DbSession,
    settings: CurrentSettings,
    principal: CanWriteCampaigns,
) -> CampaignRead:
    campaign = await flows.submit_campaign(
        session=session, settings=settings, campaign_id=campaign_id, actor=principal.actor
    )
    return await service.read_campaign(session=session, campaign=campaign)


@router.post("/campaigns/{campaign_id}/pause")
async def pause_campaign(
    campaign_id: CampaignID, session: DbSession, principal: CanWriteCampaigns
) -> CampaignRead:
    campaign = await service.pause_campaign(
        session=session, campaign_id=campaign_id, actor=principal.actor
    )
    return await service.read_campaign(session=session, campaign=campaign)


@router.post("/campaigns/{campaign_id}/resume")
async def resume_campaign(
    campaign_id: CampaignID, session: DbSession, principal: CanWriteCampaigns
) -> CampaignRead:
    campaign = await service.resume_campaign(
        session=session, campaign_id=campaign_id, actor=principal.actor
    )
    return await service.read_campaign(session=session, campaign=campaign)


@router.post("/campaigns/{campaign_id}/cancel")
async def cancel_campaign(
    campaign_id: CampaignID, session: DbSession, principal: CanWriteCampaigns
) -> CampaignRead:
    campaign = await service.cancel_campaign(
        session=session, campaign_id=campaign_id, actor=principal.actor
    )
    return await service.read_campaign(session=session, campaign=campaign)


@router.get("/campaigns/{campaign_id}/deliveries")
async def list_deliveries(
    campaign_id: CampaignID,
    session: DbSession,
    principal: CanRead,
    status: DeliveryStatus | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[DeliveryRead]:
    await service.get_campaign_or_raise(session=session, campaign_id=campaign_id)
    rows, total = await service.list_deliveries(
        session=session,
        campaign_id=campaign_id,
        status=status.value if status else None,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[DeliveryRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/deliveries")
async def list_deliveries_in_state(
    session: DbSession,
    principal: CanRead,
    state: Annotated[
        DeliveryStatus, Query(description="dead (dead-lettered) or in_doubt, or any other state")
    ],
    campaign_id: Annotated[int | None, Query(gt=0)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[DeliveryRead]:
    """Deliveries in one state across campaigns: the dead letters and the in-doubt sends."""
    rows, total = await service.list_deliveries_in_state(
        session=session, status=state.value, campaign_id=campaign_id, limit=limit, offset=offset
    )
    items = [DeliveryRead.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/campaigns/{campaign_id}/redrive")
async def redrive_campaign(
    campaign_id: CampaignID,
    redrive_in: RedriveRequest,
    session: DbSession,
    principal: CanWriteCampaigns,
) -> RedriveResult:
    """Queues the campaign's dead-lettered and/or in-doubt deliveries again (audited)."""
    return await service.redrive_campaign(
        session=session, campaign_id=campaign_id, redrive_in=redrive_in, actor=principal.actor
    )


# Review queue --------------------------------------------------------------------------------


@router.get("/reviews")
async def list_reviews(
    session: DbSession,
    principal: CanRead,
    status: ReviewStatus | None = ReviewStatus.OPEN,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ReviewItemRead]:
    items, total = await service.list_reviews(
        session=session, status=status.value if status else None, limit=limit, offset=offset
    )
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/reviews/{review_id}/approve")
async def approve_review(
    review_id: ReviewID,
    session: DbSession,
    principal: CanDecideReviews,
    decision: Annotated[ReviewDecision | None, Body()] = None,
) -> ReviewItemRead:
    item = await flows.decide_review(
        session=session,
        review_id=review_id,
        approve=True,
        note=decision.note if decision else None,
        actor=principal.actor,
    )
    return await service.read_review(session=session, review_id=item.id)


@router.post("/reviews/{review_id}/reject")
async def reject_review(
    review_id: ReviewID,
    session: DbSession,
    principal: CanDecideReviews,
    decision: Annotated[ReviewDecision | None, Body()] = None,
) -> ReviewItemRead:
    item = await flows.decide_review(
        session=session,
        review_id=review_id,
        approve=False,
        note=decision.note if decision else None,
        actor=principal.actor,
    )
    return await service.read_review(session=session, review_id=item.id)

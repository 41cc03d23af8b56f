"""HTTP API of the orchestrator: contacts, segments, campaigns, deliveries (dead letters, in doubt,
re-drive) and the review queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response, UploadFile

from marketing_agent.agent import service as agent
from marketing_agent.compliance import service as compliance
from marketing_agent.core.deps import CurrentSettings, DbSession
from marketing_agent.core.pagination import Limit, Offset, Page
from marketing_agent.core.validation import DbId
from marketing_agent.orchestrator import (
    contacts_export,
    contacts_import,
    editing,
    flows,
    overview,
    privacy,
    reviews,
    service,
)
from marketing_agent.orchestrator.auth import (
    CanDecideReviews,
    CanRead,
    CanWriteCampaigns,
    CanWriteContacts,
)
from marketing_agent.orchestrator.campaign_pages import CampaignPages
from marketing_agent.orchestrator.privacy import router as privacy_router
from marketing_agent.orchestrator.schemas import (
    CampaignCreate,
    CampaignRead,
    CampaignUpdate,
    ChangesRequest,
    ConsentState,
    ContactCreate,
    ContactDetail,
    ContactRead,
    ContactUpdate,
    DeliveryRead,
    DeliveryStatus,
    ImportPreview,
    ImportResult,
    LaunchPreview,
    Overview,
    RedriveRequest,
    RedriveResult,
    ReviewAssignment,
    ReviewDecision,
    ReviewItemRead,
    ReviewStatus,
    SegmentCreate,
    SegmentFilter,
    SegmentPreview,
    SegmentRead,
    SegmentUpdate,
)
from marketing_agent.orchestrator.state_machine import CampaignStatus

__all__ = ["privacy_router", "router"]
router = APIRouter(prefix="/api/v1/orchestrator", tags=["orchestrator"])
# The cross-module erasure flow's routes (/api/v1/compliance/...) live in privacy.py; the
# gateway mounts them from here, beside this module's own.

CampaignID = Annotated[DbId, Path(description="The campaign's id")]
ReviewID = Annotated[DbId, Path(description="The review item's id")]
ContactID = Annotated[DbId, Path(description="The contact's id")]
SegmentID = Annotated[DbId, Path(description="The segment's id")]
Search = Annotated[str | None, Query(max_length=200, description="Text to look for.")]
CampaignSort = Annotated[
    str,
    Query(
        pattern=r"^-?(created_at|name|status|started_at)$",
        description="created_at, name, status or started_at; a leading - sorts descending.",
    ),
]
SAMPLE_SIZE = 10


@router.get("/overview")
async def get_overview(session: DbSession, principal: CanRead) -> Overview:
    """The home dashboard: campaigns in flight and just finished, senders today, opt-outs."""
    return await overview.read_overview(session=session)


# Contacts and segments -----------------------------------------------------------------------


@router.get("/contacts")
async def list_contacts(
    session: DbSession,
    principal: CanRead,
    limit: Limit = 100,
    offset: Offset = 0,
    q: Search = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    consent: Annotated[
        ConsentState | None, Query(description="Marketing consent now: granted, withdrawn, none.")
    ] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
) -> Page[ContactRead]:
    """Contacts, newest first; `q` matches name, username, Telegram id or a tag; `tag`,
    `consent` and `language` narrow the list."""
    rows, total = await service.list_contacts(
        session=session,
        limit=limit,
        offset=offset,
        search=q,
        tag=tag,
        consent=consent,
        language=language,
    )
    items = [
        compliance.contact_for_role(c, principal)
        for c in await service.read_contacts(session=session, contacts=rows)
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/contacts/export", response_class=Response)
async def export_contacts(session: DbSession, principal: CanWriteContacts) -> Response:
    """Every contact as CSV (cells that a spreadsheet would run as formulas are quoted)."""
    body = await contacts_export.export_contacts(
        session=session, masked=not compliance.sees_personal_data(principal)
    )
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contacts.csv"'},
    )


@router.get("/contacts/{contact_id}")
async def get_contact(
    contact_id: ContactID, session: DbSession, principal: CanRead
) -> ContactDetail:
    """A contact with its consent history (with proof) and its latest deliveries."""
    return compliance.contact_for_role(await _contact_detail(session, contact_id), principal)


@router.patch("/contacts/{contact_id}")
async def update_contact(
    contact_id: ContactID,
    contact_in: ContactUpdate,
    session: DbSession,
    principal: CanWriteContacts,
) -> ContactDetail:
    """Edits a contact's tags, attributes, names, language or time zone (audited)."""
    await service.update_contact(
        session=session, contact_id=contact_id, contact_in=contact_in, actor=principal.actor
    )
    return compliance.contact_for_role(await _contact_detail(session, contact_id), principal)


@router.post("/contacts/{contact_id}/unsubscribe")
async def unsubscribe_contact(
    contact_id: ContactID, session: DbSession, principal: CanWriteContacts
) -> ContactDetail:
    """Withdraws the contact's consent to every sender at once (audited)."""
    await service.unsubscribe_contact(session=session, contact_id=contact_id, actor=principal.actor)
    return compliance.contact_for_role(await _contact_detail(session, contact_id), principal)


async def _contact_detail(session: DbSession, contact_id: int) -> ContactDetail:
    contact = await service.get_contact_or_raise(session=session, contact_id=contact_id)
    read = (await service.read_contacts(session=session, contacts=[contact]))[0]
    consents = await compliance.consent_history(session=session, contact_id=contact_id)
    deliveries = await service.list_contact_deliveries(session=session, contact_id=contact_id)
    return ContactDetail(
        **read.model_dump(),
        consents=await compliance.consent_reads(session=session, records=consents),
        deliveries=[DeliveryRead.model_validate(d) for d in deliveries],
    )


DeclaredBasis = Annotated[
    compliance.LawfulBasis | None,
    Query(description="The lawful basis of the file's consents, for rows that name none."),
]


@router.post("/contacts/import/preview")
async def preview_contacts_import(
    file: UploadFile,
    principal: CanWriteContacts,
    sender_id: Annotated[
        DbId | None, Query(description="Sender the consents were given to")
    ] = None,
    lawful_basis: DeclaredBasis = None,
) -> ImportPreview:
    """Reads a CSV and returns its column mapping, first rows and every error; writes nothing."""
    return contacts_import.preview_import(
        await file.read(), sender_id=sender_id, lawful_basis=lawful_basis
    )


@router.post("/contacts", status_code=201)
async def create_contact(
    contact_in: ContactCreate,
    session: DbSession,
    settings: CurrentSettings,
    principal: CanWriteContacts,
) -> ContactRead:
    await privacy.refuse_suppressed(
        session=session,
        key=compliance.SuppressionKey.from_settings(settings),
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
        DbId | None, Query(description="Sender the consents were given to")
    ] = None,
    purpose: Annotated[str, Query(min_length=1, max_length=64)] = "marketing",
    valid_only: Annotated[
        bool, Query(description="Leave out the rows with errors and import the others.")
    ] = False,
    lawful_basis: DeclaredBasis = None,
    evidence: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="Where and how the consents were collected (a form, an event), kept "
            "with the import batch.",
        ),
    ] = None,
) -> ImportResult:
    """Imports a CSV (telegram_id, username, first_name, language, timezone, tags separated by
    ';', optional consent_at, consent_proof, lawful_basis and consent_text_version, other
    columns become attributes), whole or not at all (with `valid_only`: every valid row,
    whole). A row with consent_at needs a lawful basis: its own or the file's `lawful_basis`.
    The upload is kept as evidence: its hash, uploader, time and declared basis."""
    data = await file.read()
    return await contacts_import.import_contacts(
        lawful_basis=lawful_basis,
        evidence=evidence or None,
        file_name=file.filename,
        session=session,
        data=data,
        sender_id=sender_id,
        purpose=purpose,
        actor=principal.actor,
        valid_only=valid_only,
        suppression_key=compliance.SuppressionKey.from_settings(settings),
    )


@router.get("/segments")
async def list_segments(session: DbSession, principal: CanRead) -> Page[SegmentRead]:
    """Every segment with its size as last counted and when (`size_counted_at`); sizes are
    counted on save, by `POST /segments/{id}/count`, and by the scheduler when older than 10
    minutes."""
    items = await service.list_segments(session=session)
    return Page(items=items, total=len(items), limit=len(items), offset=0)


@router.post("/segments", status_code=201)
async def create_segment(
    segment_in: SegmentCreate, session: DbSession, principal: CanWriteCampaigns
) -> SegmentRead:
    """Saves a segment; bad rules are a 422 naming each one's field."""
    segment = await service.create_segment(
        session=session, segment_in=segment_in, actor=principal.actor
    )
    return SegmentRead.model_validate(segment)


@router.post("/segments/preview")
async def preview_segment(
    segment_filter: SegmentFilter, session: DbSession, principal: CanRead
) -> SegmentPreview:
    """How many contacts a filter matches now, with a sample of them (masked as the caller's
    role must see them; nothing is saved)."""
    await service.check_segment_filter(
        session=session, segment_filter=segment_filter, loc=("body",)
    )
    size, sample = await service.preview_segment_filter(
        session=session, segment_filter=segment_filter, sample_size=SAMPLE_SIZE
    )
    shown = await service.read_contacts(session=session, contacts=sample)
    return SegmentPreview(
        size=size, sample=[compliance.contact_for_role(c, principal) for c in shown]
    )


@router.patch("/segments/{segment_id}")
async def update_segment(
    segment_id: SegmentID,
    segment_in: SegmentUpdate,
    session: DbSession,
    principal: CanWriteCampaigns,
) -> SegmentRead:
    segment = await service.update_segment(
        session=session, segment_id=segment_id, segment_in=segment_in, actor=principal.actor
    )
    return SegmentRead.model_validate(segment)


@router.post("/segments/{segment_id}/count")
async def recount_segment(
    segment_id: SegmentID, session: DbSession, principal: CanRead
) -> SegmentRead:
    """Counts the segment's contacts now (the list shows sizes as last counted, with when)."""
    segment = await service.recount_segment(session=session, segment_id=segment_id)
    return SegmentRead.model_validate(segment)


@router.delete("/segments/{segment_id}", status_code=204)
async def delete_segment(
    segment_id: SegmentID, session: DbSession, principal: CanWriteCampaigns
) -> None:
    """Deletes a segment that no campaign uses (409 otherwise)."""
    await service.delete_segment(session=session, segment_id=segment_id, actor=principal.actor)


# Campaigns -----------------------------------------------------------------------------------


def campaign_pages_of(request: Request) -> CampaignPages:
    """FastAPI dependency: the process's kept campaign list pages (its runtime's)."""
    pages: CampaignPages = request.app.state.runtime.campaign_pages
    return pages


# The page comes serialised (kept while the database is unchanged): returned as it is, so
# FastAPI neither validates nor serialises it again; the schema still names Page[CampaignRead].
@router.get("/campaigns", response_model=Page[CampaignRead])
async def list_campaigns(
    session: DbSession,
    principal: CanRead,
    pages: Annotated[CampaignPages, Depends(campaign_pages_of)],
    status: CampaignStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    q: Search = None,
    sort: CampaignSort = "-created_at",
    archived: Annotated[bool, Query(description="List the archived campaigns instead.")] = False,
) -> Response:
    """Campaigns, newest first unless `sort` says otherwise; `q` matches the name."""
    body = await pages.page_json(
        session=session,
        status=status,
        limit=limit,
        offset=offset,
        search=q,
        sort=sort,
        archived=archived,
    )
    return Response(body, media_type="application/json")


@router.post("/campaigns", status_code=201)
async def create_campaign(
    campaign_in: CampaignCreate,
    session: DbSession,
    settings: CurrentSettings,
    strategist: Annotated[agent.Strategist, Depends(agent.strategist_of)],
    principal: CanWriteCampaigns,
) -> CampaignRead:
    """Creates a campaign: the strategist drafts the variants, the safety guard scores them;
    a risky campaign lands in the review queue."""
    campaign = await flows.create_campaign(
        session=session,
        settings=settings,
        campaign_in=campaign_in,
        actor=principal.actor,
        strategist=strategist,
    )
    return await service.read_campaign(session=session, campaign=campaign)


@router.get("/campaigns/{campaign_id}")
async def get_campaign(
    campaign_id: CampaignID, session: DbSession, principal: CanRead
) -> CampaignRead:
    campaign = await service.get_campaign_or_raise(session=session, campaign_id=campaign_id)
    return await service.read_campaign(session=session, campaign=campaign)


@router.patch("/campaigns/{campaign_id}")
async def update_campaign(
    campaign_id: CampaignID,
    campaign_in: CampaignUpdate,
    session: DbSession,
    settings: CurrentSettings,
    principal: CanWriteCampaigns,
) -> CampaignRead:
    """Edits a draft or a campaign waiting for review; changed texts are scored again and a
    risky campaign (re-)enters the review queue."""
    campaign = await editing.update_campaign(
        session=session,
        settings=settings,
        campaign_id=campaign_id,
        campaign_in=campaign_in,
        actor=principal.actor,
    )
    return await service.read_campaign(session=session, campaign=campaign)


@router.post("/campaigns/{campaign_id}/clone", status_code=201)
async def clone_campaign(
    campaign_id: CampaignID,
    session: DbSession,
    settings: CurrentSettings,
    strategist: Annotated[agent.Strategist, Depends(agent.strategist_of)],
    principal: CanWriteCampaigns,
    replan: Annotated[
        bool,
        Query(
            description="Re-plan from the campaign's stored brief: the strategist writes new "
            "variants (409 when the campaign has no brief)."
        ),
    ] = False,
) -> CampaignRead:
    """A new draft with the same texts, audience and timing, checked like a new campaign; with
    `replan=true`, new variants planned from the same brief."""
    campaign = await editing.clone_campaign(
        session=session,
        settings=settings,
        campaign_id=campaign_id,
        actor=principal.actor,
        replan=replan,
        strategist=strategist,
    )
    return await service.read_campaign(session=session, campaign=campaign)


@router.post("/campaigns/{campaign_id}/archive")
async def archive_campaign(
    campaign_id: CampaignID, session: DbSession, principal: CanWriteCampaigns
) -> CampaignRead:
    """Hides a campaign that is not sending from the default list."""
    campaign = await editing.archive_campaign(
        session=session, campaign_id=campaign_id, archived=True, actor=principal.actor
    )
    return await service.read_campaign(session=session, campaign=campaign)


@router.post("/campaigns/{campaign_id}/unarchive")
async def unarchive_campaign(
    campaign_id: CampaignID, session: DbSession, principal: CanWriteCampaigns
) -> CampaignRead:
    campaign = await editing.archive_campaign(
        session=session, campaign_id=campaign_id, archived=False, actor=principal.actor
    )
    return await service.read_campaign(session=session, campaign=campaign)


@router.get("/campaigns/{campaign_id}/launch-preview")
async def launch_preview(
    campaign_id: CampaignID, session: DbSession, settings: CurrentSettings, principal: CanRead
) -> LaunchPreview:
    """Who would receive the campaign if sent now (after consent, frequency cap and quiet
    hours), how long it takes at the sender's limit and when the first message may go."""
    return await editing.launch_preview(session=session, settings=settings, campaign_id=campaign_id)


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
    contacts = {
        c.id: c
        for c in await service.get_contacts(
            session=session, contact_ids=sorted({r.contact_id for r in rows})
        )
    }
    masked = not compliance.sees_personal_data(principal)
    items = []
    for row in rows:
        delivery = DeliveryRead.model_validate(row)
        contact = contacts.get(row.contact_id)
        if contact is not None:
            first_name, username = contact.first_name, contact.username
            if masked:
                first_name = compliance.mask_text(first_name, keep_last=False)
                username = compliance.mask_text(username)
            delivery = delivery.model_copy(
                update={"contact_first_name": first_name, "contact_username": username}
            )
        items.append(delivery)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/campaigns/{campaign_id}/deliveries/export", response_class=Response)
async def export_deliveries(
    campaign_id: CampaignID, session: DbSession, principal: CanWriteContacts
) -> Response:
    """The campaign's deliveries as CSV (formula-safe): contact, variant, status, reason."""
    await service.get_campaign_or_raise(session=session, campaign_id=campaign_id)
    body = await contacts_export.export_deliveries(
        session=session,
        campaign_id=campaign_id,
        masked=not compliance.sees_personal_data(principal),
    )
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-deliveries.csv"'
        },
    )


@router.get("/deliveries")
async def list_deliveries_in_state(
    session: DbSession,
    principal: CanRead,
    state: Annotated[
        DeliveryStatus, Query(description="dead (dead-lettered) or in_doubt, or any other state")
    ],
    campaign_id: Annotated[DbId | None, Query()] = None,
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


@router.post("/reviews/{review_id}/assign")
async def assign_review(
    review_id: ReviewID,
    assignment: ReviewAssignment,
    session: DbSession,
    principal: CanDecideReviews,
) -> ReviewItemRead:
    """Asks a reviewer to decide by a deadline (the workspace's by default); audited."""
    item = await reviews.assign_review(
        session=session, review_id=review_id, assignment=assignment, actor=principal.actor
    )
    return await service.read_review(session=session, review_id=item.id)


@router.post("/reviews/{review_id}/request-changes")
async def request_review_changes(
    review_id: ReviewID,
    changes: ChangesRequest,
    session: DbSession,
    principal: CanDecideReviews,
) -> ReviewItemRead:
    """Sends the campaign back to draft for its author with the note; audited."""
    item = await reviews.request_changes(
        session=session, review_id=review_id, changes=changes, actor=principal.actor
    )
    return await service.read_review(session=session, review_id=item.id)

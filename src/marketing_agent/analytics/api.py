"""HTTP API of the analytics module: campaign stats, funnels, and ingesting external events."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from datetime import timedelta
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent import service as agent
from marketing_agent.analytics import breakdowns, conversions, live, roi, service, timeseries
from marketing_agent.analytics.conversions import ConversionBatch, ConversionBatchResult
from marketing_agent.analytics.links import LinkTracker
from marketing_agent.analytics.schemas import (
    CampaignSource,
    CampaignStats,
    CampaignTimeseries,
    ContactTimeline,
    EventCreate,
    EventRead,
    EventType,
    Funnel,
    FunnelBreakdown,
    FunnelSegmentBreakdown,
    FunnelSenderBreakdown,
    SegmentPeople,
    SenderKind,
    TimelineEntry,
)
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.db import Database
from marketing_agent.core.deps import DbSession, get_database
from marketing_agent.core.errors import NotFound, ValidationFailed, field_error
from marketing_agent.core.references import References, ensure_references
from marketing_agent.core.validation import DbId

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]
CanWrite = Annotated[Principal, Depends(authorize(Permission.ANALYTICS_WRITE))]


def get_link_tracker(request: Request) -> LinkTracker:
    """Returns the tracker of this app, keyed from its secret key."""
    return service.tracker_of(request.app.state.settings, request.app.state.jwt_secret)


Tracker = Annotated[LinkTracker, Depends(get_link_tracker)]
WindowDays = Annotated[
    float | None,
    Query(
        gt=0,
        le=365,
        description="Conversion window in days, from each person's earliest step-1 event.",
    ),
]
CampaignID = Annotated[DbId, Path(description="The campaign's id")]
FunnelSteps = Annotated[
    list[EventType] | None,
    Query(description="Steps in order; defaults to sent, delivered, read, clicked, converted."),
]


class CampaignSourceLookup(Protocol):
    def __call__(
        self, *, session: AsyncSession, campaign_id: int
    ) -> Awaitable[CampaignSource | None]: ...


def get_campaign_source_lookup(request: Request) -> CampaignSourceLookup | None:
    """Returns what tells a campaign's sender: the process's runtime provides the
    orchestrator's (analytics may not import it); None: not wired, every count shown as
    recorded."""
    lookup: CampaignSourceLookup | None = getattr(
        getattr(request.app.state, "runtime", None), "campaign_source", None
    )
    return lookup


SourceLookup = Annotated[CampaignSourceLookup | None, Depends(get_campaign_source_lookup)]


class ContactLookup(Protocol):
    def __call__(self, *, session: AsyncSession, contact_id: int) -> Awaitable[bool]: ...


def get_contact_lookup(request: Request) -> ContactLookup | None:
    """Returns what tells whether a contact still exists (the process's runtime provides the
    orchestrator's): an erased person's old link must not put their id back into events."""
    lookup: ContactLookup | None = getattr(
        getattr(request.app.state, "runtime", None), "contact_lookup", None
    )
    return lookup


KnownContact = Annotated[ContactLookup | None, Depends(get_contact_lookup)]


def get_contact_dimension(request: Request) -> breakdowns.ContactDimension | None:
    """Returns the orchestrator's (contact_id, value) selectable of a person dimension (the
    process's runtime provides it); None: breakdowns by a person's property are unavailable."""
    dimension: breakdowns.ContactDimension | None = getattr(
        getattr(request.app.state, "runtime", None), "contact_dimension", None
    )
    return dimension


PersonDimension = Annotated[breakdowns.ContactDimension | None, Depends(get_contact_dimension)]


class SegmentMembersLookup(Protocol):
    def __call__(self, *, session: AsyncSession, segment_id: int) -> Awaitable[Any]: ...


def get_segment_members(request: Request) -> SegmentMembersLookup | None:
    """Returns what gives a segment's contacts as SQL (the process's runtime provides the
    orchestrator's `segment_contact_ids_query`; NotFound for no such segment); None: funnels
    by segment are unavailable."""
    lookup: SegmentMembersLookup | None = getattr(
        getattr(request.app.state, "runtime", None), "segment_members", None
    )
    return lookup


SegmentMembers = Annotated[SegmentMembersLookup | None, Depends(get_segment_members)]
SegmentID = Annotated[
    DbId | None,
    Query(description="Only the people in this segment now (its rules evaluated at request)."),
]


async def _segment_people(
    lookup: SegmentMembersLookup | None, session: AsyncSession, segment_id: int | None
) -> SegmentPeople | None:
    """The segment's people for a funnel (404 when it does not exist); None: everyone."""
    if segment_id is None:
        return None
    if lookup is None:
        raise ValidationFailed([field_error(("query", "segment_id"), "not available here")])
    contact_ids = await lookup(session=session, segment_id=segment_id)
    return SegmentPeople(segment_id=segment_id, contact_ids=contact_ids)


VariantKey = Annotated[
    str | None,
    Query(min_length=1, max_length=16, description="Only this variant's events."),
]


async def _source_or_404(
    lookup: CampaignSourceLookup | None, session: AsyncSession, campaign_id: int
) -> CampaignSource | None:
    if lookup is None:
        return None
    source = await lookup(session=session, campaign_id=campaign_id)
    if source is None:
        raise NotFound(f"Campaign {campaign_id} does not exist.")
    return source


@router.get(
    "/campaigns/{campaign_id}/stats",
    responses={404: {"description": "No such campaign."}},
)
async def campaign_stats(
    campaign_id: CampaignID, session: DbSession, principal: CanRead, lookup: SourceLookup
) -> CampaignStats:
    source = None
    if lookup is not None:
        source = await lookup(session=session, campaign_id=campaign_id)
        if source is None:
            raise NotFound(f"Campaign {campaign_id} does not exist.")
    return await service.campaign_stats(session=session, campaign_id=campaign_id, source=source)


@router.get(
    "/campaigns/{campaign_id}/live",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-sent events: `counts` (the campaign's stats, as from /stats) "
            "whenever an event is recorded, `end` once its sending is over.",
            "content": {"text/event-stream": {}},
        },
        404: {"description": "No such campaign."},
    },
)
async def campaign_live(
    campaign_id: CampaignID,
    principal: CanRead,
    lookup: SourceLookup,
    database: Annotated[Database, Depends(get_database)],
    last_event_id: Annotated[
        str | None, Header(description="The id of the last counts received (a reconnect).")
    ] = None,
) -> StreamingResponse:
    """Live counts without polling, from the database (any API process answers the same)."""

    async def source_of(session: AsyncSession) -> CampaignSource | None:
        return await lookup(session=session, campaign_id=campaign_id) if lookup else None

    async def stats_of(session: AsyncSession, source: CampaignSource | None) -> CampaignStats:
        return await service.campaign_stats(session=session, campaign_id=campaign_id, source=source)

    if lookup is not None:
        async with database.session() as session:
            if await source_of(session) is None:
                raise NotFound(f"Campaign {campaign_id} does not exist.")
    known = last_event_id is not None and last_event_id.isdigit() and len(last_event_id) <= 18
    seen = int(last_event_id) if known and last_event_id else None
    return StreamingResponse(
        live.stream(
            database=database,
            campaign_id=campaign_id,
            source_of=source_of,
            stats_of=stats_of,
            last_event_id=seen,
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/campaigns/{campaign_id}/timeseries",
    responses={404: {"description": "No such campaign."}},
)
async def campaign_timeseries(
    campaign_id: CampaignID,
    session: DbSession,
    principal: CanRead,
    lookup: SourceLookup,
    bucket: Annotated[
        timeseries.Bucket, Query(description="Count events per hour or per day (UTC).")
    ] = "hour",
) -> CampaignTimeseries:
    """The campaign's deliveries, reads, clicks, replies, conversions and opt-outs over time."""
    source = None
    if lookup is not None:
        source = await lookup(session=session, campaign_id=campaign_id)
        if source is None:
            raise NotFound(f"Campaign {campaign_id} does not exist.")
    return await timeseries.campaign_timeseries(
        session=session, campaign_id=campaign_id, bucket=bucket, source=source
    )


@router.get(
    "/campaigns/{campaign_id}/funnel",
    responses={404: {"description": "No such campaign or segment."}},
)
async def campaign_funnel(
    campaign_id: CampaignID,
    session: DbSession,
    principal: CanRead,
    lookup: SourceLookup,
    members: SegmentMembers,
    steps: FunnelSteps = None,
    window_days: WindowDays = None,
    variant_key: VariantKey = None,
    segment_id: SegmentID = None,
) -> Funnel:
    await _source_or_404(lookup, session, campaign_id)
    return await service.funnel(
        session=session,
        campaign_id=campaign_id,
        steps=steps or service.DEFAULT_FUNNEL,
        window=timedelta(days=window_days) if window_days is not None else None,
        variant_key=variant_key,
        segment=await _segment_people(members, session, segment_id),
    )


@router.get(
    "/campaigns/{campaign_id}/funnel/variants",
    responses={404: {"description": "No such campaign or segment."}},
)
async def campaign_funnel_by_variant(
    campaign_id: CampaignID,
    session: DbSession,
    principal: CanRead,
    lookup: SourceLookup,
    members: SegmentMembers,
    steps: FunnelSteps = None,
    window_days: WindowDays = None,
    segment_id: SegmentID = None,
) -> FunnelBreakdown:
    """The funnel of every variant beside the overall one (the same steps and window; with
    `segment_id`, all of them of that segment's people)."""
    await _source_or_404(lookup, session, campaign_id)
    segment = await _segment_people(members, session, segment_id)
    keys = await service.variant_keys(session=session, campaign_id=campaign_id)
    overall, variants = await _funnel_split(
        session, campaign_id, steps, window_days, [{"variant_key": key} for key in keys], segment
    )
    return FunnelBreakdown(overall=overall, variants=variants)


@router.get(
    "/campaigns/{campaign_id}/funnel/senders",
    responses={404: {"description": "No such campaign or segment."}},
)
async def campaign_funnel_by_sender(
    campaign_id: CampaignID,
    session: DbSession,
    principal: CanRead,
    lookup: SourceLookup,
    members: SegmentMembers,
    steps: FunnelSteps = None,
    window_days: WindowDays = None,
    segment_id: SegmentID = None,
) -> FunnelSenderBreakdown:
    """The funnel of the people each sender reached, beside the overall one (a person counts
    under the first sender that sent them the campaign; with `segment_id`, only that
    segment's people)."""
    await _source_or_404(lookup, session, campaign_id)
    segment = await _segment_people(members, session, segment_id)
    ids = await service.funnel_senders(session=session, campaign_id=campaign_id)
    overall, senders = await _funnel_split(
        session, campaign_id, steps, window_days, [{"sender_id": s} for s in ids], segment
    )
    return FunnelSenderBreakdown(overall=overall, senders=senders)


@router.get(
    "/campaigns/{campaign_id}/funnel/segments",
    responses={404: {"description": "No such campaign or segment."}},
)
async def campaign_funnel_by_segment(
    campaign_id: CampaignID,
    session: DbSession,
    principal: CanRead,
    lookup: SourceLookup,
    members: SegmentMembers,
    segment_id: Annotated[
        list[DbId],
        Query(
            min_length=1,
            max_length=20,
            description="The segments to compare (1-20); each counts the people in it now.",
        ),
    ],
    steps: FunnelSteps = None,
    window_days: WindowDays = None,
) -> FunnelSegmentBreakdown:
    """The funnel of the people in each segment, beside everyone's (the same steps and window;
    a person in two segments counts in both)."""
    await _source_or_404(lookup, session, campaign_id)
    chosen = list(dict.fromkeys(segment_id))
    parts = [{"segment": await _segment_people(members, session, sid)} for sid in chosen]
    overall, segments = await _funnel_split(session, campaign_id, steps, window_days, parts)
    return FunnelSegmentBreakdown(overall=overall, segments=segments)


async def _funnel_split(
    session: AsyncSession,
    campaign_id: int,
    steps: list[EventType] | None,
    window_days: float | None,
    parts: list[dict[str, Any]],
    segment: SegmentPeople | None = None,
) -> tuple[Any, list[Any]]:
    """The overall funnel and one per part (a variant, a sender, a segment), the same steps
    and window; with `segment`, every one of them only of that segment's people."""
    window = timedelta(days=window_days) if window_days is not None else None
    chosen = steps or service.DEFAULT_FUNNEL
    common: dict[str, Any] = {"segment": segment} if segment is not None else {}
    overall = await service.funnel(
        session=session, campaign_id=campaign_id, steps=chosen, window=window, **common
    )
    split = [
        await service.funnel(
            session=session,
            campaign_id=campaign_id,
            steps=chosen,
            window=window,
            **{**common, **part},
        )
        for part in parts
    ]
    return overall, split


@router.get(
    "/campaigns/{campaign_id}/funnel/dropoff.csv",
    response_class=Response,
    responses={
        200: {"description": "contact_id,last_step,reached_at", "content": {"text/csv": {}}},
        404: {"description": "No such campaign or segment."},
    },
)
async def campaign_funnel_dropoff(
    campaign_id: CampaignID,
    session: DbSession,
    principal: CanRead,
    lookup: SourceLookup,
    members: SegmentMembers,
    steps: FunnelSteps = None,
    window_days: WindowDays = None,
    variant_key: VariantKey = None,
    segment_id: SegmentID = None,
) -> Response:
    """Who stopped where: everyone who entered the funnel and did not finish it, with the last
    step they reached (erased people have an empty contact_id)."""
    await _source_or_404(lookup, session, campaign_id)
    rows = await service.funnel_dropoff(
        session=session,
        campaign_id=campaign_id,
        steps=steps or service.DEFAULT_FUNNEL,
        window=timedelta(days=window_days) if window_days is not None else None,
        variant_key=variant_key,
        segment=await _segment_people(members, session, segment_id),
    )
    lines = ["contact_id,last_step,reached_at"]
    lines += [f"{cid if cid is not None else ''},{step},{at.isoformat()}" for cid, step, at in rows]
    return Response(
        "\r\n".join(lines) + "\r\n",
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="funnel-{campaign_id}-dropoff.csv"'},
    )


@router.get(
    "/campaigns/{campaign_id}/breakdown",
    responses={404: {"description": "No such campaign."}},
)
async def campaign_breakdown(
    campaign_id: CampaignID,
    session: DbSession,
    principal: CanRead,
    lookup: SourceLookup,
    dimension: PersonDimension,
    by: Annotated[breakdowns.Dimension, Query(description="What to break the results down by.")],
    key: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            pattern=r"^[A-Za-z0-9_.-]+$",
            description="by=attribute: the attribute's name.",
        ),
    ] = None,
) -> breakdowns.Breakdown:
    """Distinct people per event type and the rates with 95 % intervals, per group."""
    source = await _source_or_404(lookup, session, campaign_id)
    if by == "attribute" and key is None:
        raise ValidationFailed([field_error(("query", "key"), f"by={by} needs a key")])
    if by in breakdowns.PERSON_DIMENSIONS and dimension is None:
        raise ValidationFailed([field_error(("query", "by"), "not available in this server")])
    return await breakdowns.breakdown(
        session=session,
        source=source,
        campaign_id=campaign_id,
        by=by,
        key=key,
        contact_dimension=dimension,
    )


@router.get("/campaigns/{campaign_id}/roi", responses={404: {"description": "No such campaign."}})
async def campaign_roi(
    campaign_id: CampaignID,
    session: DbSession,
    principal: CanRead,
    lookup: SourceLookup,
    star_price_usd: Annotated[
        float | None,
        Query(gt=0, le=1, allow_inf_nan=False, description="What a Star costs you, in USD."),
    ] = None,
) -> roi.CampaignRoi:
    """Conversion value against costs (entered, LLM tokens, paid-broadcast Stars)."""
    source = await _source_or_404(lookup, session, campaign_id)
    if source is None:
        source = CampaignSource(campaign_id=campaign_id, sender_kind=service.SenderKind.BOT)
    usage = await agent.usage_summary(session=session, campaign_id=campaign_id)
    return await roi.campaign_roi(
        session=session,
        source=source,
        llm_cost_usd_micros=usage.cost_usd_micros,
        star_price_usd_micros=round(star_price_usd * 1_000_000)
        if star_price_usd is not None
        else roi.DEFAULT_STAR_PRICE_USD_MICROS,
    )


@router.post(
    "/campaigns/{campaign_id}/costs",
    status_code=201,
    responses={404: {"description": "No such campaign."}},
)
async def add_campaign_cost(
    campaign_id: CampaignID,
    cost_in: roi.CostCreate,
    session: DbSession,
    principal: CanWrite,
    lookup: SourceLookup,
) -> roi.CostLine:
    """Enters a cost of the campaign (or of one variant) for its ROI."""
    await _source_or_404(lookup, session, campaign_id)
    cost = await roi.add_cost(
        session=session, campaign_id=campaign_id, cost_in=cost_in, actor=principal.actor
    )
    return roi.CostLine(
        id=cost.id,
        kind="manual",
        variant_key=cost.variant_key,
        amount_usd_micros=cost.amount_usd_micros,
        description=cost.description,
    )


@router.delete(
    "/campaigns/{campaign_id}/costs/{cost_id}",
    status_code=204,
    responses={404: {"description": "No such campaign or cost."}},
)
async def delete_campaign_cost(
    campaign_id: CampaignID,
    cost_id: Annotated[DbId, Path(description="The cost's id")],
    session: DbSession,
    principal: CanWrite,
) -> Response:
    await roi.delete_cost(
        session=session, campaign_id=campaign_id, cost_id=cost_id, actor=principal.actor
    )
    return Response(status_code=204)


@router.get(
    "/contacts/{contact_id}/timeline",
    responses={404: {"description": "No such contact."}},
)
async def contact_timeline(
    contact_id: Annotated[DbId, Path(description="The contact's id")],
    session: DbSession,
    principal: CanRead,
    lookup: SourceLookup,
    known_contact: KnownContact,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many events.")] = 200,
) -> ContactTimeline:
    """What happened to one person, newest first: each message sent, delivered, read (only
    where the sender can see reads: never for a bot), clicked, replied to, converted, opted out
    of, and each consent decision."""
    if known_contact is not None and not await known_contact(
        session=session, contact_id=contact_id
    ):
        raise NotFound(f"Contact {contact_id} does not exist.")
    kinds: dict[int, SenderKind | None] = {}
    for campaign_id in await service.contact_campaigns(session=session, contact_id=contact_id):
        source = await lookup(session=session, campaign_id=campaign_id) if lookup else None
        # An unknown sender (campaign gone, lookup not wired) is taken for a bot: the stricter.
        kinds[campaign_id] = source.sender_kind if source is not None else SenderKind.BOT
    consents = [
        TimelineEntry(
            at=record.recorded_at,
            type=f"consent_{record.status}",
            sender_id=record.sender_id,
            detail=f"{record.purpose} ({record.source})",
        )
        for record in await compliance.consent_history(session=session, contact_id=contact_id)
    ]
    return await service.contact_timeline(
        session=session,
        contact_id=contact_id,
        sender_kinds=kinds,
        consents=consents,
        limit=limit,
    )


@router.post("/events", status_code=201)
async def record_event(
    event_in: EventCreate, session: DbSession, principal: CanWrite, references: References
) -> EventRead:
    """Records one event (an integration's or a person's), audited with who sent it."""
    await ensure_references(
        references,
        session=session,
        contact_id=event_in.contact_id,
        sender_id=event_in.sender_id,
        campaign_id=event_in.campaign_id,
    )
    event = await service.record_event(session=session, event_in=event_in)
    await compliance.audit(
        session=session,
        actor=principal.actor,
        action="event.recorded",
        entity_type="event",
        entity_id=event.id,
        # What and whose; the properties are left out (they may hold what the person typed).
        data={
            "type": event.type,
            "contact_id": event.contact_id,
            "campaign_id": event.campaign_id,
            "sender_id": event.sender_id,
        },
    )
    return EventRead.model_validate(event)


@router.post("/conversions")
async def ingest_conversions(
    batch: ConversionBatch,
    session: DbSession,
    principal: CanWrite,
    tracker: Tracker,
    request: Request,
    known_contact: KnownContact,
) -> ConversionBatchResult:
    """Records a shop's conversions once each (by source and id); bad ones are refused with
    their reasons while the good ones of the same batch are kept; the batch is audited."""
    result = await conversions.ingest(
        session=session,
        source=batch.source,
        events=batch.events,
        tracker=tracker,
        window=_attribution_window(request),
        contact_exists=known_contact,
    )
    await conversions.audit_batch(
        session=session, actor=principal.actor, source=batch.source, result=result
    )
    return result


@router.post("/webhooks/{source}", responses={401: {"description": "Unsigned, stale or forged."}})
async def conversion_webhook(
    source: str, request: Request, session: DbSession, tracker: Tracker, known_contact: KnownContact
) -> ConversionBatchResult:
    """Open by design (the shop cannot log in): one conversion, signed with the source's
    secret (X-MA-Signature: sha256=HMAC of "<X-MA-Timestamp>.<body>"); a replay is a duplicate."""
    settings = request.app.state.settings
    body = await request.body()
    secret = settings.conversion_webhook_secrets
    conversions.check_signature(
        secrets=conversions.parse_secrets(secret.get_secret_value() if secret else None),
        source=source,
        body=body,
        timestamp=request.headers.get(conversions.TIMESTAMP_HEADER),
        signature=request.headers.get(conversions.SIGNATURE_HEADER),
        tolerance_s=settings.webhook_tolerance_s,
        now=clock.now(),
    )
    try:
        event = json.loads(body)
    except ValueError:
        raise ValidationFailed([field_error(("body",), "not JSON")]) from None
    result = await conversions.ingest(
        session=session,
        source=source,
        events=[event],
        tracker=tracker,
        window=_attribution_window(request),
        contact_exists=known_contact,
    )
    if result.rejected:
        raise ValidationFailed(result.results[0].errors)
    # The signature proves the source, not a person: the source is the actor.
    await conversions.audit_batch(
        session=session, actor=f"webhook:{source}", source=source, result=result
    )
    return result


def _attribution_window(request: Request) -> timedelta:
    return timedelta(days=request.app.state.settings.attribution_window_days)


# Tracked links --------------------------------------------------------------------------------

links_router = APIRouter(tags=["tracked links"])
_HTML: dict[str, Any] = {"text/html": {}}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:4em auto;padding:0 1em">
<h1>{title}</h1><p>{detail}</p></body></html>"""


@links_router.get(
    "/r/{token}",
    response_class=RedirectResponse,
    status_code=302,
    include_in_schema=False,  # a public redirect people follow, not an API for clients
    responses={
        404: {"description": "Not a link of ours: a friendly HTML page.", "content": _HTML},
        410: {"description": "The link expired: a friendly HTML page.", "content": _HTML},
    },
)
async def follow_tracked_link(
    token: str,
    session: DbSession,
    tracker: Tracker,
    known_contact: KnownContact,
    user_agent: Annotated[str | None, Header()] = None,
) -> Response:
    """Open by design (people click without logging in): records the click of a person, never of
    a link-preview fetcher or crawler, and redirects to the target with the campaign's UTM."""
    try:
        link = service.read_token(token, tracker=tracker, now=clock.now())
    except service.LinkExpired:
        return _page(410, "This link has expired", "The offer it pointed to is no longer tracked.")
    except service.LinkInvalid:
        return _page(404, "Link not found", "This link is incomplete or was not made by us.")
    known = known_contact is None or await known_contact(
        session=session, contact_id=link.contact_id
    )
    if known and not service.is_automated(user_agent):
        await service.record_click(session=session, link=link)
    return RedirectResponse(service.redirect_url(link, token), status_code=302)


def _page(status: int, title: str, detail: str) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=title, detail=detail), status_code=status)

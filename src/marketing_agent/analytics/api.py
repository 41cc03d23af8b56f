"""HTTP API of the analytics module: campaign stats, funnels, and ingesting external events."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from datetime import timedelta
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import conversions, service
from marketing_agent.analytics.conversions import ConversionBatch, ConversionBatchResult
from marketing_agent.analytics.links import LinkTracker
from marketing_agent.analytics.schemas import (
    CampaignSource,
    CampaignStats,
    EventCreate,
    EventRead,
    EventType,
    Funnel,
)
from marketing_agent.core import clock
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.deps import DbSession
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


@router.get("/campaigns/{campaign_id}/funnel")
async def campaign_funnel(
    campaign_id: CampaignID,
    session: DbSession,
    principal: CanRead,
    steps: FunnelSteps = None,
    window_days: WindowDays = None,
) -> Funnel:
    return await service.funnel(
        session=session,
        campaign_id=campaign_id,
        steps=steps or service.DEFAULT_FUNNEL,
        window=timedelta(days=window_days) if window_days is not None else None,
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
    their reasons while the good ones of the same batch are kept."""
    return await conversions.ingest(
        session=session,
        source=batch.source,
        events=batch.events,
        tracker=tracker,
        window=_attribution_window(request),
        contact_exists=known_contact,
    )


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

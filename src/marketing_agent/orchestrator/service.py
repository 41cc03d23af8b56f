"""The orchestrator's public API: contacts, segments, campaigns, deliveries and reviews.

Multi-step processes (creating a campaign with the strategist, launching, inbound events) live
in `flows.py`; this file keeps the single-entity operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.errors import Conflict, NotFound, ValidationFailed, field_error
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import contact_tags, queue, segments, spans
from marketing_agent.orchestrator.models import (
    Campaign,
    Contact,
    ContactTag,
    Delivery,
    ReviewItem,
    Segment,
    Variant,
)
from marketing_agent.orchestrator.schemas import (
    CampaignRead,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    DeliveryCounts,
    LaunchPreview,
    RedriveRequest,
    RedriveResult,
    ReviewItemRead,
    SegmentCreate,
    SegmentFilter,
    SegmentRead,
    SegmentUpdate,
    VariantRead,
)
from marketing_agent.orchestrator.state_machine import FINAL, CampaignStatus, check_transition
from marketing_agent.telegram import service as telegram

# Contacts ------------------------------------------------------------------------------------


async def create_contact(*, session: AsyncSession, contact_in: ContactCreate) -> Contact:
    """Creates a contact; a second contact with the same Telegram id is a conflict."""
    exists = await session.scalar(
        select(Contact.id).where(Contact.telegram_id == contact_in.telegram_id)
    )
    if exists:
        raise Conflict(f"A contact with telegram_id {contact_in.telegram_id} exists (id {exists}).")
    contact = Contact(**contact_in.model_dump(), created_at=clock.now())
    session.add(contact)
    await session.flush()
    await contact_tags.replace_tags(session, {contact.id: contact.tags}, new=True)
    return contact


async def get_contact(*, session: AsyncSession, contact_id: int) -> Contact | None:
    return await session.get(Contact, contact_id)


async def contact_exists(*, session: AsyncSession, contact_id: int) -> bool:
    """Returns whether the contact exists (not erased), for analytics' tracked links."""
    return await session.get(Contact, contact_id) is not None


async def get_contact_by_telegram_id(*, session: AsyncSession, telegram_id: int) -> Contact | None:
    return await session.scalar(select(Contact).where(Contact.telegram_id == telegram_id))


async def check_references(
    *,
    session: AsyncSession,
    contact_id: int | None = None,
    sender_id: int | None = None,
    campaign_id: int | None = None,
) -> list[dict[str, Any]]:
    """Returns a field error (in the body) for each given id that names nothing."""
    errors = []
    if contact_id is not None and await session.get(Contact, contact_id) is None:
        errors.append(field_error(("body", "contact_id"), f"contact {contact_id} does not exist"))
    if (
        sender_id is not None
        and await telegram.get_sender(session=session, sender_id=sender_id) is None
    ):
        errors.append(field_error(("body", "sender_id"), f"sender {sender_id} does not exist"))
    if campaign_id is not None and await session.get(Campaign, campaign_id) is None:
        errors.append(
            field_error(("body", "campaign_id"), f"campaign {campaign_id} does not exist")
        )
    return errors


async def list_contacts(
    *,
    session: AsyncSession,
    limit: int = 100,
    offset: int = 0,
    search: str | None = None,
    tag: str | None = None,
    consent: str | None = None,
    language: str | None = None,
) -> tuple[Sequence[Contact], int]:
    """Returns a page of contacts, newest first, and the total; `search` matches the name,
    username, Telegram id or a tag, `tag` one tag exactly, `consent` the marketing consent now
    (granted, withdrawn or none), `language` the contact's language."""
    query = select(Contact)
    if search and search.strip():
        term = search.strip().lstrip("@")
        like = f"%{term.lower()}%"
        conditions: list[ColumnElement[bool]] = [
            func.lower(Contact.first_name).like(like),
            func.lower(Contact.username).like(like),
            Contact.id.in_(segments.tagged(term)),
        ]
        if term.lstrip("-").isdigit():
            conditions.append(Contact.telegram_id == int(term))
        query = query.where(or_(*conditions))
    if tag:
        query = query.where(Contact.id.in_(segments.tagged(tag)))
    if consent == "none":
        recorded = compliance.consent_contact_ids_query(state="recorded")
        query = query.where(segments.not_among(recorded, session.get_bind().dialect.name))
    elif consent:
        query = query.where(Contact.id.in_(compliance.consent_contact_ids_query(state=consent)))
    if language:
        query = query.where(Contact.language == language)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (
        await session.scalars(query.order_by(Contact.id.desc()).limit(limit).offset(offset))
    ).all()
    return rows, total


async def read_contacts(*, session: AsyncSession, contacts: Sequence[Contact]) -> list[ContactRead]:
    """Returns the API view of contacts with their consent state now."""
    states = await compliance.consent_states(session=session, contact_ids=[c.id for c in contacts])
    return [
        ContactRead.model_validate(c).model_copy(update={"consent": states.get(c.id, "none")})
        for c in contacts
    ]


async def get_contacts(*, session: AsyncSession, contact_ids: Sequence[int]) -> Sequence[Contact]:
    """Returns these contacts, in id order."""
    if not contact_ids:
        return []
    return (
        await session.scalars(
            select(Contact).where(Contact.id.in_(list(contact_ids))).order_by(Contact.id)
        )
    ).all()


async def list_contact_deliveries(
    *, session: AsyncSession, contact_id: int, limit: int = 100
) -> Sequence[Delivery]:
    """Returns the contact's latest deliveries, newest first."""
    return (
        await session.scalars(
            select(Delivery)
            .where(Delivery.contact_id == contact_id)
            .order_by(Delivery.id.desc())
            .limit(limit)
        )
    ).all()


async def get_contact_or_raise(*, session: AsyncSession, contact_id: int) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"Contact {contact_id} does not exist.")
    return contact


async def update_contact(
    *, session: AsyncSession, contact_id: int, contact_in: ContactUpdate, actor: str
) -> Contact:
    """Applies the given profile fields (tags, attributes, names, language, time zone); audited."""
    contact = await get_contact_or_raise(session=session, contact_id=contact_id)
    changes = contact_in.model_dump(exclude_unset=True)
    empty: dict[str, Any] = {"tags": [], "attributes": {}}
    for field, value in changes.items():
        setattr(contact, field, empty.get(field) if value is None and field in empty else value)
    await session.flush()
    if "tags" in changes:
        await contact_tags.replace_tags(session, {contact_id: contact.tags})
    await compliance.audit(
        session=session,
        actor=actor,
        action="contact.updated",
        entity_type="contact",
        entity_id=contact_id,
        data={"fields": sorted(changes)},
    )
    return contact


async def unsubscribe_contact(*, session: AsyncSession, contact_id: int, actor: str) -> int:
    """Withdraws every consent the contact gave, to every sender, at once; returns how many."""
    await get_contact_or_raise(session=session, contact_id=contact_id)
    senders = {
        r.sender_id
        for r in await compliance.consent_history(session=session, contact_id=contact_id)
    }
    withdrawn = 0
    for sender_id in sorted(senders):
        withdrawn += await compliance.withdraw_consent(
            session=session,
            contact_id=contact_id,
            sender_id=sender_id,
            purposes=None,
            source="admin",
            proof={"by": actor, "how": "unsubscribed by hand in the admin UI"},
            actor=actor,
        )
    return withdrawn


# Segments ------------------------------------------------------------------------------------


async def create_segment(
    *, session: AsyncSession, segment_in: SegmentCreate, actor: str = "system"
) -> Segment:
    """Creates a segment after checking its rules (422 with each bad rule's location); audited."""
    await check_segment_filter(
        session=session, segment_filter=segment_in.filter, loc=("body", "filter")
    )
    segment = Segment(
        name=segment_in.name, filter=segment_in.filter.model_dump(), created_at=clock.now()
    )
    session.add(segment)
    await _count_into(session, segment)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A segment named '{segment_in.name}' exists.") from exc
    await compliance.audit(
        session=session,
        actor=actor,
        action="segment.created",
        entity_type="segment",
        entity_id=segment.id,
        data={"name": segment.name, "filter": segment.filter},
    )
    return segment


async def update_segment(
    *, session: AsyncSession, segment_id: int, segment_in: SegmentUpdate, actor: str = "system"
) -> Segment:
    """Renames a segment or replaces its rules (checked as on creation); audited."""
    segment = await get_segment_or_raise(session=session, segment_id=segment_id)
    if segment_in.filter is not None:
        await check_segment_filter(
            session=session, segment_filter=segment_in.filter, loc=("body", "filter")
        )
    if segment_in.name is not None:
        segment.name = segment_in.name
    if segment_in.filter is not None:
        segment.filter = segment_in.filter.model_dump()
        await _count_into(session, segment)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A segment named '{segment_in.name}' exists.") from exc
    await compliance.audit(
        session=session,
        actor=actor,
        action="segment.updated",
        entity_type="segment",
        entity_id=segment.id,
        data={"fields": sorted(segment_in.model_dump(exclude_unset=True)), "name": segment.name},
    )
    return segment


async def delete_segment(*, session: AsyncSession, segment_id: int, actor: str = "system") -> None:
    """Deletes a segment no campaign uses; audited."""
    segment = await get_segment_or_raise(session=session, segment_id=segment_id)
    used = await session.scalar(
        select(func.count(Campaign.id)).where(Campaign.segment_id == segment_id)
    )
    if used:
        raise Conflict(f"Segment '{segment.name}' is used by {used} campaign(s); it stays.")
    name = segment.name
    await session.delete(segment)
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="segment.deleted",
        entity_type="segment",
        entity_id=segment_id,
        data={"name": name},
    )


async def check_segment_filter(
    *, session: AsyncSession, segment_filter: SegmentFilter, loc: Sequence[str | int]
) -> None:
    """Raises ValidationFailed with every rule of the filter that cannot be evaluated (a
    comparison without its value, a campaign that does not exist), each at its field."""
    errors = segments.check_filter(segment_filter, tuple(loc))
    for index, condition in enumerate(segment_filter.conditions):
        campaign_id = getattr(condition, "campaign_id", None)
        if campaign_id is not None and await session.get(Campaign, campaign_id) is None:
            errors.append(
                field_error(
                    (*loc, "conditions", index, "campaign_id"),
                    f"campaign {campaign_id} does not exist",
                )
            )
    if errors:
        raise ValidationFailed(errors)


def segment_query(*, session: AsyncSession, segment_filter: SegmentFilter | None) -> Select[int]:
    """Returns SQL selecting `contact_id` of every contact the filter matches now (all when
    None), to count, page or join without loading contacts."""
    dialect = session.get_bind().dialect.name
    return segments.contact_ids_query(segment_filter, dialect=dialect, now=clock.now())


async def filter_contact_ids(
    *, session: AsyncSession, segment_filter: SegmentFilter | None
) -> list[tuple[int, int]]:
    """Returns (contact id, telegram id) of every contact the filter matches (all when None)."""
    ids = segment_query(session=session, segment_filter=segment_filter).subquery()
    rows = await session.execute(
        select(Contact.id, Contact.telegram_id)
        .where(Contact.id.in_(select(ids.c.contact_id)))
        .order_by(Contact.id)
    )
    return [(cid, tg) for cid, tg in rows]


async def count_segment_filter(
    *, session: AsyncSession, segment_filter: SegmentFilter | None
) -> int:
    """Returns how many contacts the filter matches now, counted in the database."""
    ids = segment_query(session=session, segment_filter=segment_filter).subquery()
    return int(await session.scalar(select(func.count()).select_from(ids)) or 0)


async def preview_segment_filter(
    *, session: AsyncSession, segment_filter: SegmentFilter, sample_size: int
) -> tuple[int, list[Contact]]:
    """Returns how many contacts the filter matches now and the first `sample_size` of them."""
    size = await count_segment_filter(session=session, segment_filter=segment_filter)
    ids = segment_query(session=session, segment_filter=segment_filter).subquery()
    sample = await session.scalars(
        select(Contact)
        .where(Contact.id.in_(select(ids.c.contact_id)))
        .order_by(Contact.id)
        .limit(sample_size)
    )
    return size, list(sample)


async def segment_contact_ids_query(*, session: AsyncSession, segment_id: int) -> Select[int]:
    """Returns SQL selecting `contact_id` of every contact in the segment now (NotFound when it
    does not exist), e.g. for analytics' funnel breakdown by segment to join with."""
    segment = await get_segment_or_raise(session=session, segment_id=segment_id)
    return segment_query(
        session=session, segment_filter=SegmentFilter.model_validate(segment.filter)
    )


async def segment_size(*, session: AsyncSession, segment_id: int) -> int:
    """Returns how many contacts are in the segment now."""
    segment = await get_segment_or_raise(session=session, segment_id=segment_id)
    return await count_segment_filter(
        session=session, segment_filter=SegmentFilter.model_validate(segment.filter)
    )


async def get_segment_or_raise(*, session: AsyncSession, segment_id: int) -> Segment:
    segment = await session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(f"Segment {segment_id} does not exist.")
    return segment


async def audience_contact_ids(
    *, session: AsyncSession, segment_id: int | None
) -> list[tuple[int, int]]:
    """Returns (contact id, telegram id) of every contact in the segment (all when None)."""
    seg_filter = None
    if segment_id is not None:
        segment = await get_segment_or_raise(session=session, segment_id=segment_id)
        seg_filter = SegmentFilter.model_validate(segment.filter)
    return await filter_contact_ids(session=session, segment_filter=seg_filter)


async def list_segments(*, session: AsyncSession) -> list[SegmentRead]:
    """Returns every segment with its size as last counted (on save, on demand or by the
    scheduler) and when: reading the list never evaluates a segment."""
    segments = (await session.scalars(select(Segment).order_by(Segment.id))).all()
    return [SegmentRead.model_validate(segment) for segment in segments]


async def _count_into(session: AsyncSession, segment: Segment) -> None:
    # The count must not flush the segment being saved: its name conflict is the caller's to
    # report (409), at its own flush.
    with session.no_autoflush:
        segment.size = await count_segment_filter(
            session=session, segment_filter=SegmentFilter.model_validate(segment.filter)
        )
    segment.size_counted_at = clock.now()


async def recount_segment(*, session: AsyncSession, segment_id: int) -> Segment:
    """Counts the segment's contacts now and keeps the size with the time it was counted."""
    segment = await get_segment_or_raise(session=session, segment_id=segment_id)
    await _count_into(session, segment)
    await session.flush()
    return segment


SEGMENT_SIZE_MAX_AGE_S = 600  # the scheduler recounts a size older than this


async def recount_stalest_segment(
    *, session: AsyncSession, max_age_s: float = SEGMENT_SIZE_MAX_AGE_S
) -> int | None:
    """Recounts the segment whose size is the oldest (never counted first) when it is older
    than `max_age_s`; returns its id, or None when every size is fresh. One a call, so a
    scheduler tick over a million contacts costs one count, not one per segment."""
    cutoff = clock.now() - timedelta(seconds=max_age_s)
    segment_id = await session.scalar(
        select(Segment.id)
        .where(or_(Segment.size_counted_at.is_(None), Segment.size_counted_at < cutoff))
        .order_by(Segment.size_counted_at.is_not(None), Segment.size_counted_at, Segment.id)
        .limit(1)
    )
    if segment_id is None:
        return None
    await recount_segment(session=session, segment_id=segment_id)
    return segment_id


async def describe_audience(*, session: AsyncSession, segment_id: int | None) -> dict[str, Any]:
    """Returns a summary of an audience for the strategist: size, top tags, languages (all
    counted in the database)."""
    seg_filter = None
    if segment_id is not None:
        segment = await get_segment_or_raise(session=session, segment_id=segment_id)
        seg_filter = SegmentFilter.model_validate(segment.filter)
    members = segment_query(session=session, segment_filter=seg_filter).subquery()
    in_audience = Contact.id.in_(select(members.c.contact_id))
    size = await count_segment_filter(session=session, segment_filter=seg_filter)
    language = func.coalesce(Contact.language, "unknown")
    languages = await session.execute(
        select(language, func.count()).where(in_audience).group_by(language)
    )
    top_tags = await session.execute(
        select(ContactTag.tag, func.count())
        .where(ContactTag.contact_id.in_(select(members.c.contact_id)))
        .group_by(ContactTag.tag)
        .order_by(func.count().desc(), ContactTag.tag)
        .limit(10)
    )
    return {
        "size": size,
        "top_tags": {str(t): int(n) for t, n in top_tags},
        "languages": {str(lang): int(n) for lang, n in languages},
        "segment_id": segment_id,
    }


# Campaigns -----------------------------------------------------------------------------------


async def get_campaign_or_raise(*, session: AsyncSession, campaign_id: int) -> Campaign:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"Campaign {campaign_id} does not exist.")
    return campaign


async def contact_dimension(
    *, session: AsyncSession, dimension: str, key: str | None
) -> Select[int, str | None]:
    """(contact_id, value) of every contact for analytics' breakdowns, as SQL to join."""
    query: Select[int, str | None]
    if dimension == "language":
        query = select(Contact.id.label("contact_id"), Contact.language.label("value"))
    elif dimension == "timezone":
        query = select(Contact.id.label("contact_id"), Contact.timezone.label("value"))
    elif dimension == "attribute" and key:
        value = Contact.attributes[key].as_string()
        query = select(Contact.id.label("contact_id"), value.label("value"))
    else:
        raise ValidationFailed([field_error(("query", "by"), f"unknown dimension '{dimension}'")])
    return query


async def campaign_source(
    *, session: AsyncSession, campaign_id: int
) -> analytics.CampaignSource | None:
    """Returns who sends a campaign, for analytics to label what it can observe; None: none."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    sender = await telegram.get_sender(session=session, sender_id=campaign.sender_id)
    kind = (
        analytics.SenderKind.USER
        if sender is not None and sender.kind == "user"
        else analytics.SenderKind.BOT
    )
    return analytics.CampaignSource(
        campaign_id=campaign_id,
        sender_kind=kind,
        finished=campaign.status in FINAL,
        paid_broadcast=sender is not None and sender.profile.name == "paid_broadcast",
    )


CAMPAIGN_SORTS = {
    "created_at": Campaign.id,
    "name": Campaign.name,
    "status": Campaign.status,
    "started_at": Campaign.started_at,
}


_CAMPAIGNS = Campaign.__table__
_DELIVERIES = Delivery.__table__


def _campaign_filters(
    *, status: CampaignStatus | None, search: str | None, archived: bool
) -> list[ColumnElement[bool]]:
    # The table's columns, not the ORM's attributes: a statement naming only those skips the
    # ORM's compile and load steps when it selects columns (list_campaign_reads).
    table = _CAMPAIGNS.c
    filters: list[ColumnElement[bool]] = [
        table.archived_at.is_not(None) if archived else table.archived_at.is_(None)
    ]
    if status is not None:
        filters.append(table.status == status.value)
    if search and search.strip():
        filters.append(func.lower(table.name).like(f"%{search.strip().lower()}%"))
    return filters


def _campaign_order(sort: str) -> list[ColumnElement[Any]]:
    column = _CAMPAIGNS.c[CAMPAIGN_SORTS[sort.lstrip("-")].key]
    return [column.desc() if sort.startswith("-") else column.asc(), _CAMPAIGNS.c.id.desc()]


async def list_campaigns(
    *,
    session: AsyncSession,
    status: CampaignStatus | None = None,
    limit: int = 50,
    offset: int = 0,
    search: str | None = None,
    sort: str = "-created_at",
    archived: bool = False,
) -> tuple[Sequence[Campaign], int]:
    """Returns a page of campaigns and the total; `sort` is a key of CAMPAIGN_SORTS, with a
    leading "-" for descending; archived campaigns only when `archived`."""
    filters = _campaign_filters(status=status, search=search, archived=archived)
    total = await session.scalar(select(func.count(Campaign.id)).where(*filters)) or 0
    rows = (
        await session.scalars(
            select(Campaign)
            .where(*filters)
            .order_by(*_campaign_order(sort))
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return rows, total


# The columns the campaign list reads: the API view's, no more (the list is the UI's most polled
# read, so it reads rows, not ORM objects: a third of its cost was building them).
_CAMPAIGN_READ_COLUMNS = tuple(c for c in _CAMPAIGNS.c if c.key in CampaignRead.model_fields)
_CAMPAIGN_READ_KEYS = tuple(c.key for c in _CAMPAIGN_READ_COLUMNS)
_VARIANTS = Variant.__table__
_VARIANT_READ_COLUMNS = tuple(c for c in _VARIANTS.c if c.key in VariantRead.model_fields)
_VARIANT_READ_KEYS = tuple(c.key for c in _VARIANT_READ_COLUMNS)


async def list_campaign_reads(
    *,
    session: AsyncSession,
    status: CampaignStatus | None = None,
    limit: int = 50,
    offset: int = 0,
    search: str | None = None,
    sort: str = "-created_at",
    archived: bool = False,
) -> tuple[list[CampaignRead], int]:
    """The API view of a page of campaigns (as list_campaigns selects them) and the total, in
    four queries whatever the page size: the count, the rows, their variants, their deliveries'
    counts."""
    filters = _campaign_filters(status=status, search=search, archived=archived)
    total = await session.scalar(select(func.count(_CAMPAIGNS.c.id)).where(*filters)) or 0
    page = select(*_CAMPAIGN_READ_COLUMNS).where(*filters).order_by(*_campaign_order(sort))
    rows = [
        dict(zip(_CAMPAIGN_READ_KEYS, row, strict=True))
        for row in await session.execute(page.limit(limit).offset(offset))
    ]
    ids = [row["id"] for row in rows]
    variants: dict[int, list[dict[str, Any]]] = {cid: [] for cid in ids}
    if ids:
        for campaign_id, *variant in await session.execute(
            select(_VARIANTS.c.campaign_id, *_VARIANT_READ_COLUMNS)
            .where(_VARIANTS.c.campaign_id.in_(ids))
            .order_by(_VARIANTS.c.campaign_id, _VARIANTS.c.key)  # Campaign.variants' order
        ):
            variants[campaign_id].append(dict(zip(_VARIANT_READ_KEYS, variant, strict=True)))
    counts = await delivery_counts(session=session, campaign_ids=ids)
    for row in rows:
        row["variants"], row["delivery_counts"] = variants[row["id"]], counts[row["id"]]
    items = [CampaignRead.model_validate(row) for row in rows]
    return items, total


async def delivery_counts(
    *, session: AsyncSession, campaign_ids: Sequence[int]
) -> dict[int, DeliveryCounts]:
    """Returns the number of deliveries in each status, per campaign, with the reasons of the
    skipped and of the waiting ones."""
    counts = {cid: DeliveryCounts() for cid in campaign_ids}
    if not campaign_ids:
        return counts
    table = _DELIVERIES.c
    rows = await session.execute(
        select(table.campaign_id, table.status, table.reason, func.count())
        .where(table.campaign_id.in_(campaign_ids))
        .group_by(table.campaign_id, table.status, table.reason)
    )
    for campaign_id, status, reason, n in rows:
        campaign_counts = counts[campaign_id]
        if hasattr(campaign_counts, status):
            setattr(campaign_counts, status, getattr(campaign_counts, status) + n)
        # Why deliveries were skipped, or wait (send window, quiet hours, a FloodWait...).
        by_reason = {
            "skipped": campaign_counts.skipped_reasons,
            "queued": campaign_counts.waiting_reasons,
        }
        if reason and status in by_reason:
            by_reason[status][reason] = by_reason[status].get(reason, 0) + n
    return counts


async def read_campaigns(
    *, session: AsyncSession, campaigns: Sequence[Campaign]
) -> list[CampaignRead]:
    """Returns the API view of campaigns, with their delivery counts."""
    counts = await delivery_counts(session=session, campaign_ids=[c.id for c in campaigns])
    return [
        CampaignRead.model_validate(c).model_copy(update={"delivery_counts": counts[c.id]})
        for c in campaigns
    ]


async def read_campaign(*, session: AsyncSession, campaign: Campaign) -> CampaignRead:
    """Returns the API view of one campaign, with its delivery counts."""
    return (await read_campaigns(session=session, campaigns=[campaign]))[0]


async def transition(
    *,
    session: AsyncSession,
    campaign: Campaign,
    target: CampaignStatus,
    actor: str,
    data: dict[str, Any] | None = None,
) -> Campaign:
    """Moves a campaign to `target` if the lifecycle allows it, and audits the change."""
    previous = campaign.status
    check_transition(previous, target)
    campaign.status = target.value
    now = clock.now()
    campaign.updated_at = now
    if target is CampaignStatus.RUNNING and campaign.started_at is None:
        campaign.started_at = now
    if target in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        campaign.completed_at = now
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action=f"campaign.{target.value}",
        entity_type="campaign",
        entity_id=campaign.id,
        data={"from": previous, "to": target.value, **(data or {})},
    )
    return campaign


async def pause_campaign(*, session: AsyncSession, campaign_id: int, actor: str) -> Campaign:
    campaign = await get_campaign_or_raise(session=session, campaign_id=campaign_id)
    return await transition(
        session=session, campaign=campaign, target=CampaignStatus.PAUSED, actor=actor
    )


async def resume_campaign(*, session: AsyncSession, campaign_id: int, actor: str) -> Campaign:
    campaign = await get_campaign_or_raise(session=session, campaign_id=campaign_id)
    return await transition(
        session=session, campaign=campaign, target=CampaignStatus.RUNNING, actor=actor
    )


async def cancel_campaign(*, session: AsyncSession, campaign_id: int, actor: str) -> Campaign:
    """Cancels a campaign; its queued deliveries are skipped and never sent."""
    campaign = await get_campaign_or_raise(session=session, campaign_id=campaign_id)
    await transition(
        session=session, campaign=campaign, target=CampaignStatus.CANCELLED, actor=actor
    )

    await session.execute(
        update(Delivery)
        .where(Delivery.campaign_id == campaign.id, Delivery.status == queue.QUEUED)
        .values(status=queue.SKIPPED, reason="campaign_cancelled", updated_at=clock.now())
    )
    return campaign


async def list_deliveries(
    *,
    session: AsyncSession,
    campaign_id: int,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[Delivery], int]:
    query = select(Delivery).where(Delivery.campaign_id == campaign_id)
    if status:
        query = query.where(Delivery.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (await session.scalars(query.order_by(Delivery.id).limit(limit).offset(offset))).all()
    return rows, total


async def list_deliveries_in_state(
    *,
    session: AsyncSession,
    status: str,
    campaign_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[Delivery], int]:
    """Returns deliveries in one state across campaigns (dead letters, in doubt), oldest first."""
    query = select(Delivery).where(Delivery.status == status)
    if campaign_id is not None:
        query = query.where(Delivery.campaign_id == campaign_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (await session.scalars(query.order_by(Delivery.id).limit(limit).offset(offset))).all()
    return rows, total


async def redrive_campaign(
    *, session: AsyncSession, campaign_id: int, redrive_in: RedriveRequest, actor: str
) -> RedriveResult:
    """Queues a campaign's dead-lettered and/or in-doubt deliveries again, and audits it."""
    campaign = await get_campaign_or_raise(session=session, campaign_id=campaign_id)
    if campaign.status == CampaignStatus.CANCELLED:
        raise Conflict(f"Campaign {campaign_id} is cancelled; its deliveries cannot be re-driven.")
    states = [
        state
        for state, chosen in ((queue.DEAD, redrive_in.dead), (queue.IN_DOUBT, redrive_in.in_doubt))
        if chosen
    ]
    if not states:
        raise ValidationFailed(
            [field_error(("body",), "choose dead and/or in_doubt deliveries to re-drive")]
        )
    counts = await queue.redrive(session, campaign_id=campaign_id, states=states, now=clock.now())
    result = RedriveResult(
        campaign_id=campaign_id,
        requeued=sum(counts.values()),
        dead=counts.get(queue.DEAD, 0),
        in_doubt=counts.get(queue.IN_DOUBT, 0),
    )
    await compliance.audit(
        session=session,
        actor=actor,
        action="campaign.redriven",
        entity_type="campaign",
        entity_id=campaign_id,
        data=result.model_dump(),
    )
    return result


# Reviews -------------------------------------------------------------------------------------


async def get_review_or_raise(*, session: AsyncSession, review_id: int) -> ReviewItem:
    item = await session.get(ReviewItem, review_id)
    if item is None:
        raise NotFound(f"Review item {review_id} does not exist.")
    return item


async def list_reviews(
    *, session: AsyncSession, status: str | None = "open", limit: int = 50, offset: int = 0
) -> tuple[list[ReviewItemRead], int]:
    """Returns review items (oldest open first) with their campaign names."""
    query = select(ReviewItem, Campaign).join(Campaign, Campaign.id == ReviewItem.campaign_id)
    if status:
        query = query.where(ReviewItem.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(query.order_by(ReviewItem.id).limit(limit).offset(offset))
    items = [
        ReviewItemRead.model_validate(item).model_copy(
            update={"campaign_name": campaign.name, "texts": spans.checked_texts(campaign)}
        )
        for item, campaign in rows
    ]
    return items, total


async def read_review(*, session: AsyncSession, review_id: int) -> ReviewItemRead:
    """Returns one review item with its campaign's name."""
    item = await get_review_or_raise(session=session, review_id=review_id)
    campaign = await get_campaign_or_raise(session=session, campaign_id=item.campaign_id)
    return ReviewItemRead.model_validate(item).model_copy(
        update={"campaign_name": campaign.name, "texts": spans.checked_texts(campaign)}
    )


async def launch_preview(
    *, session: AsyncSession, settings: Settings, campaign_id: int
) -> LaunchPreview:
    """Returns whom the campaign would reach if it started now (after consent, the frequency
    cap and quiet hours) and how long it takes at the sender's limit (see editing.py)."""
    from marketing_agent.orchestrator import editing  # editing builds on this module

    return await editing.launch_preview(session=session, settings=settings, campaign_id=campaign_id)


async def audience_launch_preview(
    *, session: AsyncSession, settings: Settings, segment_id: int | None, sender_id: int | None
) -> LaunchPreview:
    """Returns whom a new campaign to the segment (all contacts when None) would reach if it
    started now, and how long it takes at the sender's limit; nothing is created."""
    from marketing_agent.orchestrator import editing  # editing builds on this module

    return await editing.audience_launch_preview(
        session=session, settings=settings, segment_id=segment_id, sender_id=sender_id
    )

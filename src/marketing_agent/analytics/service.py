"""The analytics module's public API: record events, campaign stats, ordered funnels, erasure.

Counts are of distinct people. An event's person is its contact, else the random stand-in an
erasure left (`anonymous_id`), else the event itself (an external event naming no contact).
"""

from __future__ import annotations

import json
import math
import secrets
import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import funnels, journeys, signals
from marketing_agent.analytics.cohorts import (
    CampaignsTotal,
    MatureVariantCounts,
    PrePeriodSummary,
    ValueSummary,
    VariantTimes,
    campaigns_total,
    first_send_at,
    mature_variant_counts,
    pre_period_summaries,
    value_summaries,
    variant_times,
)
from marketing_agent.analytics.journeys import CampaignCount, Journey
from marketing_agent.analytics.links import (
    LinkExpired,
    LinkInvalid,
    LinkTracker,
    TrackedLink,
    is_automated,
    link_tracker,
    read_token,
    redirect_url,
    track_links,
)
from marketing_agent.analytics.models import Event
from marketing_agent.analytics.rates import rate
from marketing_agent.analytics.schemas import (
    CampaignSource,
    CampaignStats,
    ContactTimeline,
    EventCreate,
    EventType,
    Funnel,
    FunnelStep,
    SegmentPeople,
    SenderKind,
    TimeBucket,
    TimelineEntry,
    TimeToConvert,
    VariantStats,
)
from marketing_agent.core import clock
from marketing_agent.core.db import driver_rows, in_chunks
from marketing_agent.core.errors import ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings

__all__ = [
    "DEFAULT_FUNNEL",
    "RETAINED_PROPERTY_KEYS",
    "CampaignSource",
    "CampaignStats",
    "CampaignsTotal",
    "ContactTimeline",
    "EventCreate",
    "EventType",
    "Funnel",
    "LinkExpired",
    "LinkInvalid",
    "LinkTracker",
    "MatureVariantCounts",
    "PrePeriodSummary",
    "SegmentPeople",
    "SenderKind",
    "TimelineEntry",
    "TrackedLink",
    "ValueSummary",
    "VariantStats",
    "VariantTimes",
    "campaign_stats",
    "campaigns_total",
    "contact_campaigns",
    "contact_events",
    "contact_timeline",
    "contacts_active_since",
    "erase_contact",
    "first_send_at",
    "funnel",
    "funnel_dropoff",
    "funnel_senders",
    "is_automated",
    "link_tracker",
    "mature_variant_counts",
    "pre_period_summaries",
    "read_token",
    "record_click",
    "record_event",
    "record_events",
    "redirect_url",
    "track_links",
    "tracker_of",
    "value_summaries",
    "variant_keys",
    "variant_times",
    "write_rows",
]

log = get_logger(__name__)

DEFAULT_FUNNEL = (
    EventType.SENT,
    EventType.DELIVERED,
    EventType.READ,
    EventType.CLICKED,
    EventType.CONVERTED,
)

# The only event properties an erasure keeps: dimensions that say nothing about the person.
RETAINED_PROPERTY_KEYS = frozenset({"currency", "error_code", "link_key", "source"})

_KNOWN_TYPES = frozenset(EventType)
# The histogram of time to convert: (label, upper bound in seconds).
TIME_BUCKETS = (
    ("under 1 minute", 60.0),
    ("1-10 minutes", 600.0),
    ("10-60 minutes", 3600.0),
    ("1-6 hours", 6 * 3600.0),
    ("6-24 hours", 86400.0),
    ("1-3 days", 3 * 86400.0),
    ("3-7 days", 7 * 86400.0),
    ("7 days or more", math.inf),
)
# Stand-ins for erased contacts lie far below -event.id, the person of a contactless event.
_ANONYMOUS_BASE = 2**40


async def record_event(*, session: AsyncSession, event_in: EventCreate) -> Event:
    """Records one event, filling a missing variant from the contact's earlier events."""
    row = _row(event_in, clock.now())
    await _attribute_variants(session, [row])
    event = Event(**row)
    session.add(event)
    await session.flush()
    await journeys.maintain(session, [row | {"id": event.id}])
    return event


async def record_events(*, session: AsyncSession, events: Sequence[EventCreate]) -> int:
    """Records many events with one executemany INSERT; returns how many were recorded."""
    if not events:
        return 0
    now = clock.now()
    rows = [_row(event_in, now) for event_in in events]
    await _attribute_variants(session, rows)
    await write_rows(session, rows)
    return len(rows)


# PostgreSQL: a batch of events is one INSERT of one array per column (one parameter each, one
# cached plan), not a VALUES list re-parsed per page of rows. Built from constants.
_PG_EVENT_COLUMNS = {
    "type": "VARCHAR",
    "campaign_id": "BIGINT",
    "variant_key": "VARCHAR",
    "contact_id": "BIGINT",
    "sender_id": "BIGINT",
    "occurred_at": "TIMESTAMPTZ",
    "properties": "TEXT",
    "value_usd_micros": "BIGINT",
    "anonymous_id": "BIGINT",
}
_PG_INSERT_EVENTS = text(
    f"INSERT INTO analytics_events ({', '.join(_PG_EVENT_COLUMNS)}) "  # noqa: S608
    f"SELECT {', '.join(_PG_EVENT_COLUMNS).replace('properties', 'CAST(properties AS JSONB)')} "
    "FROM unnest("
    + ", ".join(f"CAST(:{c} AS {t}[])" for c, t in _PG_EVENT_COLUMNS.items())
    + f") AS e({', '.join(_PG_EVENT_COLUMNS)})"
)


async def write_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts event rows (the columns `_row` gives) and folds them into the journeys and
    counts, in the caller's transaction: what every writer of events does."""
    # Core, not ORM, insert: the ORM splits rows by which values are None into several batches.
    table = cast(Table, Event.__table__)
    known = [r for r in rows if r["contact_id"] is not None]
    if known and session.get_bind().dialect.name == "postgresql":
        columns: dict[str, list[Any]] = {c: [r.get(c) for r in known] for c in _PG_EVENT_COLUMNS}
        columns["properties"] = [json.dumps(p or {}) for p in columns["properties"]]
        if any(at.tzinfo is None for at in columns["occurred_at"]):
            raise ValueError("naive datetime given to a UtcDateTime column")
        await session.execute(_PG_INSERT_EVENTS, columns)
    elif known:
        await _insert_sqlite(session, table, known)
    unknown = [r for r in rows if r["contact_id"] is None]
    if unknown:  # a contactless event is its own person: its id is needed
        ids = await session.scalars(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), unknown
        )
        unknown = [r | {"id": i} for r, i in zip(unknown, ids, strict=True)]
    await journeys.maintain(session, known + unknown)


_SQLITE_INSERT_EVENTS = (
    f"INSERT INTO analytics_events ({', '.join(_PG_EVENT_COLUMNS)}) "  # noqa: S608 (constants)
    f"VALUES ({', '.join('?' for _ in _PG_EVENT_COLUMNS)})"
)


async def _insert_sqlite(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """SQLite: the rows bound through the driver as tuples, each value converted by its own
    column's type (as SQLAlchemy would store it), without SQLAlchemy's per-parameter machinery
    of an executemany (about 5 µs an event, paid twice a message on the send path)."""
    connection = await session.connection()
    await connection.exec_driver_sql(
        _SQLITE_INSERT_EVENTS, driver_rows(table, list(_PG_EVENT_COLUMNS), rows, connection.dialect)
    )


def tracker_of(settings: Settings, secret_key: str) -> LinkTracker:
    """Returns the tracked-link tracker of a process with these settings and secret key."""
    return link_tracker(
        secret_key=secret_key, public_url=settings.public_url, ttl_days=settings.link_ttl_days
    )


async def record_click(*, session: AsyncSession, link: TrackedLink) -> Event:
    """Records a person's click on a tracked link; `first` says whether it is their first
    click in the campaign (stats count each person once either way)."""
    earlier = await session.scalar(
        select(Event.id)
        .where(
            Event.campaign_id == link.campaign_id,
            Event.contact_id == link.contact_id,
            Event.type == EventType.CLICKED.value,
        )
        .limit(1)
    )
    properties = {"link_key": link.link_key, "delivery_id": link.delivery_id}
    return await record_event(
        session=session,
        event_in=EventCreate(
            type=EventType.CLICKED,
            campaign_id=link.campaign_id,
            variant_key=link.variant_key,
            contact_id=link.contact_id,
            properties=properties | {"first": earlier is None},
        ),
    )


async def campaign_stats(
    *, session: AsyncSession, campaign_id: int, source: CampaignSource | None = None
) -> CampaignStats:
    """Returns distinct people per event type for each variant of a campaign and in total,
    and when its latest event happened.

    Given the campaign's `source`, the counts of signals its sender cannot observe are None
    and the answer says which and why; without it (unknown sender) every count is as recorded.
    """
    # Kept at write time (see `journeys`): a handful of rows, whatever the campaign's size. The
    # latest event's time rides along: one seek of the (campaign, time) index.
    latest = (
        select(func.max(Event.occurred_at))
        .where(Event.campaign_id == campaign_id)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(
                CampaignCount.variant_key,
                CampaignCount.type,
                CampaignCount.people,
                CampaignCount.revenue_usd_micros,
                latest,
            ).where(CampaignCount.campaign_id == campaign_id, CampaignCount.people > 0)
        )
    ).all()
    variants: dict[str | None, VariantStats] = {}
    totals = VariantStats(variant_key="all")
    last_event_at: datetime | None = None
    for key, event_type, count, revenue, last_at in rows:
        last_event_at = last_at
        if event_type not in _KNOWN_TYPES:
            continue
        variant_key = key or None
        stats = (
            totals
            if key == journeys.ALL
            else variants.setdefault(variant_key, VariantStats(variant_key=variant_key))
        )
        setattr(stats, event_type, int(count))
        if event_type == EventType.CONVERTED:
            stats.revenue_usd_micros = int(revenue or 0)
    ordered = sorted(variants.values(), key=lambda v: (v.variant_key is None, v.variant_key or ""))
    result = CampaignStats(
        campaign_id=campaign_id, variants=ordered, totals=totals, last_event_at=last_event_at
    )
    return _label_signals(result, source) if source is not None else result


def _label_signals(stats: CampaignStats, source: CampaignSource) -> CampaignStats:
    """Blanks the counts the sender cannot observe (a bot's reads) and says why."""
    hidden = signals.unobservable(source.sender_kind)
    for variant in [*stats.variants, stats.totals]:
        for event_type in hidden:
            setattr(variant, event_type.value, None)
    stats.sender_kind = source.sender_kind
    stats.observable = signals.observable(source.sender_kind)
    stats.unobservable_reasons = {t.value: reason for t, reason in hidden.items()}
    return stats


async def funnel(
    *,
    session: AsyncSession,
    campaign_id: int,
    steps: Sequence[EventType] = DEFAULT_FUNNEL,
    window: timedelta | None = None,
    variant_key: str | None = None,
    sender_id: int | None = None,
    segment: SegmentPeople | None = None,
) -> Funnel:
    """Returns an ordered funnel: a person reaches step k after each earlier step, in order.

    With `window`, every step must also happen at most `window` after the person's entry: their
    earliest step-1 event (a later step-1 event does not restart the clock). Steps may share a
    timestamp (sent and delivered often do); a step before the previous one does not count.
    With `variant_key`, only that variant's events count; with `sender_id`, only the people
    that sender reached; with `segment`, only the contacts in it now. Time to convert is from
    the entry to the last step, over the people who reached it. Read from the journeys (see
    `funnels`).
    """
    _check_steps(steps)
    window_us = _window_us(window)
    walked = await funnels.walk(
        session,
        campaign_id=campaign_id,
        steps=steps,
        window_us=window_us,
        variant_key=variant_key,
        sender_id=sender_id,
        contact_ids=segment.contact_ids if segment is not None else None,
    )
    counts = walked.counts
    result: list[FunnelStep] = []
    for i, (step, count) in enumerate(zip(steps, counts, strict=True)):
        previous = counts[i - 1] if i else count
        result.append(
            FunnelStep(
                name=step,
                count=count,
                conversion_from_previous=_ratio(count, previous) if i else 1.0,
                conversion_from_start=_ratio(count, counts[0]),
                rate_from_previous=rate(count, previous) if i else None,
            )
        )
    window_days = window / timedelta(days=1) if window is not None else None
    return Funnel(
        campaign_id=campaign_id,
        variant_key=variant_key,
        sender_id=sender_id,
        segment_id=segment.segment_id if segment is not None else None,
        window_days=window_days,
        steps=result,
        time_to_convert=time_to_convert(walked.seconds),
    )


async def funnel_dropoff(
    *,
    session: AsyncSession,
    campaign_id: int,
    steps: Sequence[EventType] = DEFAULT_FUNNEL,
    window: timedelta | None = None,
    variant_key: str | None = None,
    sender_id: int | None = None,
    segment: SegmentPeople | None = None,
) -> list[tuple[int | None, str, datetime]]:
    """Who stopped where: (contact id, last step reached, when), for everyone who entered
    and did not reach the last step; erased people have no contact id (None)."""
    _check_steps(steps)
    walked = await funnels.walk(
        session,
        campaign_id=campaign_id,
        steps=steps,
        window_us=_window_us(window),
        variant_key=variant_key,
        sender_id=sender_id,
        contact_ids=segment.contact_ids if segment is not None else None,
        paths=True,
    )
    stopped: list[tuple[int | None, str, datetime]] = []
    order: list[tuple[int, int]] = []
    for person, ats in walked.paths.items():
        if ats[-1] is not None or ats[0] is None:
            continue
        last = max(i for i, at in enumerate(ats) if at is not None)
        order.append((cast(int, ats[last]), person))
        stopped.append(
            (
                person if person > 0 else None,
                steps[last].value,
                journeys.from_micros(cast(int, ats[last])),
            )
        )
    ranked = sorted(zip(order, stopped, strict=True), key=lambda pair: pair[0])
    return [row for _, row in ranked]


async def funnel_senders(*, session: AsyncSession, campaign_id: int) -> list[int]:
    """The senders that reached people of the campaign, in order."""
    found = await session.scalars(
        select(Journey.sender_id)
        .where(
            Journey.campaign_id == campaign_id,
            Journey.variant_key == journeys.ALL,
            Journey.sender_id.is_not(None),
        )
        .distinct()
    )
    return sorted(s for s in found if s is not None)


def _window_us(window: timedelta | None) -> int | None:
    if window is None:
        return None
    if window <= timedelta(0):
        raise ValidationFailed([field_error(("query", "window_days"), "must be positive")])
    return window // timedelta(microseconds=1)


ENGAGEMENT_SAMPLE = 50_000  # newest events read to find the engaged hours


async def engagement_by_hour(
    *, session: AsyncSession, since: datetime, types: Sequence[str] = ("read", "clicked")
) -> dict[int, int]:
    """Returns how many reads and clicks (or `types`) of any campaign fell in each UTC hour
    (0-23) since `since`, over the newest events (the send time a schedule proposal uses)."""
    query = (
        select(Event.occurred_at)
        .where(Event.type.in_(list(types)), Event.occurred_at >= since)
        .order_by(Event.occurred_at.desc())
        .limit(ENGAGEMENT_SAMPLE)
    )
    hours: dict[int, int] = defaultdict(int)
    for at in await session.scalars(query):
        hours[_aware(at).hour] += 1
    return dict(sorted(hours.items()))


async def variant_keys(*, session: AsyncSession, campaign_id: int) -> list[str]:
    """The variant keys the campaign's events name, in order."""
    keys = await session.scalars(
        select(CampaignCount.variant_key)
        .where(
            CampaignCount.campaign_id == campaign_id,
            CampaignCount.variant_key.not_in([journeys.ALL, journeys.NO_VARIANT]),
        )
        .distinct()
    )
    return sorted(keys)


async def erase_contact(*, session: AsyncSession, contact_id: int) -> int:
    """Anonymises a contact's events (GDPR): no contact id, no identifying properties."""
    events = (await session.scalars(select(Event).where(Event.contact_id == contact_id))).all()
    # One stand-in per campaign: enough for per-campaign aggregates, links nothing across them.
    stand_ins: dict[int | None, int] = {}
    for event in events:
        if event.campaign_id not in stand_ins:
            stand_ins[event.campaign_id] = -(_ANONYMOUS_BASE + secrets.randbelow(2**62))
        event.contact_id = None
        event.anonymous_id = stand_ins[event.campaign_id]
        event.properties = {
            k: v for k, v in (event.properties or {}).items() if k in RETAINED_PROPERTY_KEYS
        }
    for campaign_id, stand_in in stand_ins.items():
        if campaign_id is not None:
            await session.execute(
                update(Journey)
                .where(Journey.campaign_id == campaign_id, Journey.person == contact_id)
                .values(person=stand_in)
            )
    await session.flush()
    log.info("analytics.contact_erased", events=len(events))
    return len(events)


async def anonymise_events_before(
    *, session: AsyncSession, cutoff: datetime, batch: int = 1000
) -> int:
    """Unlinks the events that happened before `cutoff` from their contacts (retention): each
    (contact, campaign) gets one random stand-in, identifying properties go, so the campaigns'
    distinct counts and funnels stay as they were. Returns how many events were anonymised."""
    done = 0
    stand_ins: dict[tuple[int, int | None], int] = {}
    while True:
        events = (
            await session.scalars(
                select(Event)
                .where(Event.contact_id.is_not(None), Event.occurred_at < cutoff)
                .order_by(Event.id)
                .limit(batch)
            )
        ).all()
        if not events:
            break
        for event in events:
            key = (event.contact_id or 0, event.campaign_id)
            if key not in stand_ins:
                stand_ins[key] = -(_ANONYMOUS_BASE + secrets.randbelow(2**62))
            event.contact_id = None
            event.anonymous_id = stand_ins[key]
            event.properties = {
                k: v for k, v in (event.properties or {}).items() if k in RETAINED_PROPERTY_KEYS
            }
        await session.flush()
        done += len(events)
    if done:
        log.info("analytics.events_anonymised", events=done)
    return done


async def contact_events(*, session: AsyncSession, contact_id: int) -> list[dict[str, Any]]:
    """Returns every event of a contact, oldest first, for a data-subject access export."""
    events = (
        await session.scalars(
            select(Event).where(Event.contact_id == contact_id).order_by(Event.id)
        )
    ).all()
    return [
        {
            "type": e.type,
            "campaign_id": e.campaign_id,
            "variant_key": e.variant_key,
            "occurred_at": e.occurred_at.isoformat(),
            "properties": e.properties,
            "value_usd_micros": e.value_usd_micros,
        }
        for e in events
    ]


async def contact_timeline(
    *,
    session: AsyncSession,
    contact_id: int,
    sender_kinds: dict[int, SenderKind | None],
    consents: Sequence[TimelineEntry] = (),
    limit: int = 200,
) -> ContactTimeline:
    """A contact's events and consent decisions, newest first (at most `limit` events).

    `sender_kinds` names the kind of sender of each of the contact's campaigns (None: unknown):
    a signal that kind cannot observe is left out and the answer says why, so a bot's campaign
    never shows "read".
    """
    events = (
        await session.scalars(
            select(Event)
            .where(Event.contact_id == contact_id)
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .limit(limit)
        )
    ).all()
    hidden: dict[str, str] = {}
    entries: list[TimelineEntry] = []
    for event in events:
        kind = sender_kinds.get(event.campaign_id) if event.campaign_id is not None else None
        unseen = signals.unobservable(kind) if kind is not None else {}
        if event.type in unseen:
            hidden[event.type] = unseen[EventType(event.type)]
            continue
        entries.append(
            TimelineEntry(
                at=_aware(event.occurred_at),
                type=event.type,
                campaign_id=event.campaign_id,
                variant_key=event.variant_key,
                sender_id=event.sender_id,
                detail=_detail(event),
            )
        )
    entries += consents
    entries.sort(key=lambda e: e.at, reverse=True)
    return ContactTimeline(contact_id=contact_id, entries=entries, unobservable=hidden)


async def contact_campaigns(*, session: AsyncSession, contact_id: int) -> list[int]:
    """The campaigns a contact has events in."""
    found = await session.scalars(
        select(Event.campaign_id)
        .where(Event.contact_id == contact_id, Event.campaign_id.is_not(None))
        .distinct()
    )
    return sorted(c for c in found if c is not None)


def _detail(event: Event) -> str | None:
    props = event.properties or {}
    if event.type == EventType.CONVERTED and props.get("value_micros") is not None:
        return f"{props['value_micros'] / 1_000_000:.2f} {props.get('currency', '')}".strip()
    if event.type == EventType.CONVERTED and event.value_usd_micros is not None:
        return f"{event.value_usd_micros / 1_000_000:.2f} USD"
    if event.type == EventType.CLICKED and props.get("link_key") is not None:
        first = " (first click)" if props.get("first") else ""
        return f"link {props['link_key']}{first}"
    if event.type == EventType.FAILED and props.get("error_code") is not None:
        return str(props["error_code"])
    if props.get("source") is not None:
        return f"from {props['source']}"
    return None


async def contacts_active_since(
    *, session: AsyncSession, contact_ids: Sequence[int], since: datetime
) -> set[int]:
    """Returns which of `contact_ids` have an event at or after `since` (retention)."""
    active: set[int] = set()
    for chunk in in_chunks(contact_ids):
        rows = await session.scalars(
            select(Event.contact_id)
            .where(Event.contact_id.in_(chunk))
            .where(Event.occurred_at >= since)
            .distinct()
        )
        active.update(r for r in rows if r is not None)
    return active


def contacts_with_events_query(
    *,
    event_type: str,
    since: datetime | None = None,
    campaign_id: int | None = None,
    min_count: int = 1,
) -> Select[int | None]:
    """Returns SQL selecting the contact ids with at least `min_count` events of `event_type`
    (at or after `since`, of `campaign_id` when given), for the segments to filter with."""
    query = select(Event.contact_id).where(Event.type == event_type, Event.contact_id.is_not(None))
    if since is not None:
        query = query.where(Event.occurred_at >= since)
    if campaign_id is not None:
        query = query.where(Event.campaign_id == campaign_id)
    if min_count > 1:
        return query.group_by(Event.contact_id).having(func.count() >= min_count)
    return query


def conversion_totals_query(
    *, since: datetime | None = None
) -> Select[int | None, datetime, int, int | None]:
    """Returns SQL of (contact_id, last_at, conversions, value_usd_micros) per contact who
    converted (at or after `since`): recency, frequency and monetary value, for segments."""
    query = select(
        Event.contact_id.label("contact_id"),
        func.max(Event.occurred_at).label("last_at"),
        func.count().label("conversions"),
        func.coalesce(func.sum(Event.value_usd_micros), 0).label("value_usd_micros"),
    ).where(Event.type == EventType.CONVERTED, Event.contact_id.is_not(None))
    if since is not None:
        query = query.where(Event.occurred_at >= since)
    return query.group_by(Event.contact_id)


async def count_sender_events(
    *, session: AsyncSession, sender_id: int, event_type: str, since: datetime
) -> int:
    """Returns how many events of `event_type` a sender had at or after `since` (its health)."""
    count = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.sender_id == sender_id, Event.type == event_type, Event.occurred_at >= since)
    )
    return int(count or 0)


def _row(event_in: EventCreate, now: datetime) -> dict[str, Any]:
    occurred_at = event_in.occurred_at or now
    return {
        "type": event_in.type.value,
        "campaign_id": event_in.campaign_id,
        "variant_key": event_in.variant_key,
        "contact_id": event_in.contact_id,
        "sender_id": event_in.sender_id,
        "occurred_at": occurred_at.astimezone(clock.UTC),
        "properties": event_in.properties,
        "value_usd_micros": event_in.value_usd_micros,
        "anonymous_id": None,
    }


async def _attribute_variants(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Gives variant-less events of a known contact the variant that contact was sent.

    A shop reporting a conversion knows the campaign and the contact, not our variant key; the
    experiment needs it. The splitter is sticky, so any earlier event of the pair tells.
    """
    wanted: defaultdict[int, set[int]] = defaultdict(set)
    for row in rows:
        if row["variant_key"] is None and row["campaign_id"] and row["contact_id"]:
            wanted[row["campaign_id"]].add(row["contact_id"])
    if not wanted:
        return
    known: dict[tuple[int, int], str] = {}
    for campaign_id, contact_ids in wanted.items():
        ids = sorted(contact_ids)
        for chunk in in_chunks(ids):
            result = await session.execute(
                select(Event.contact_id, Event.variant_key)
                .where(
                    Event.campaign_id == campaign_id,
                    Event.contact_id.in_(chunk),
                    Event.variant_key.is_not(None),
                )
                .order_by(Event.id)
            )
            for contact_id, variant_key in result:
                if contact_id is not None and variant_key is not None:
                    known[(campaign_id, contact_id)] = variant_key
    for row in rows:
        pair = (row["campaign_id"], row["contact_id"])
        if row["variant_key"] is not None:
            known[pair] = row["variant_key"]
        elif pair in known:
            row["variant_key"] = known[pair]


def _person(event: Any) -> ColumnElement[int]:
    """The person an event is about, as an integer (see the module docstring)."""
    person: ColumnElement[int] = func.coalesce(event.contact_id, event.anonymous_id, -event.id)
    return person


def time_to_convert(seconds: Sequence[float]) -> TimeToConvert:
    """Median, quartiles and a histogram of the seconds from entry to the last step."""
    if not seconds:
        return TimeToConvert(people=0, buckets=[])
    ordered = sorted(max(0.0, s) for s in seconds)

    def quantile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    buckets = []
    lower = 0.0
    for label, upper in TIME_BUCKETS:
        n = sum(1 for s in ordered if lower <= s < upper)
        buckets.append(TimeBucket(label=label, people=n))
        lower = upper
    return TimeToConvert(
        people=len(ordered),
        median_s=statistics.median(ordered),
        p25_s=quantile(0.25),
        p75_s=quantile(0.75),
        p90_s=quantile(0.90),
        buckets=buckets,
    )


def _aware(at: Any) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return cast(datetime, at if at.tzinfo else at.replace(tzinfo=clock.UTC))


def _check_steps(steps: Sequence[EventType]) -> None:
    where = ("query", "steps")
    if not steps:
        raise ValidationFailed([field_error(where, "a funnel needs at least one step")])
    if len(set(steps)) != len(steps):
        raise ValidationFailed([field_error(where, "funnel steps must be distinct")])


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0

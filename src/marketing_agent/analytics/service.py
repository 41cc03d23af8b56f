"""The analytics module's public API: record events, campaign stats, ordered funnels, erasure.

Counts are of distinct people. An event's person is its contact, else the random stand-in an
erasure left (`anonymous_id`), else the event itself (an external event naming no contact).
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Interval,
    Table,
    and_,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from marketing_agent.analytics import live, signals
from marketing_agent.analytics.cohorts import (
    MatureVariantCounts,
    PrePeriodSummary,
    mature_variant_counts,
    pre_period_summaries,
)
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
from marketing_agent.analytics.schemas import (
    CampaignSource,
    CampaignStats,
    EventCreate,
    EventType,
    Funnel,
    FunnelStep,
    SenderKind,
    VariantStats,
)
from marketing_agent.core import clock
from marketing_agent.core.errors import ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings

__all__ = [
    "DEFAULT_FUNNEL",
    "RETAINED_PROPERTY_KEYS",
    "CampaignSource",
    "CampaignStats",
    "EventCreate",
    "EventType",
    "Funnel",
    "LinkExpired",
    "LinkInvalid",
    "LinkTracker",
    "MatureVariantCounts",
    "PrePeriodSummary",
    "SenderKind",
    "TrackedLink",
    "VariantStats",
    "campaign_stats",
    "contact_events",
    "contacts_active_since",
    "erase_contact",
    "funnel",
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
_CHUNK = 900  # stay under SQLite's bound-parameter limit
# Stand-ins for erased contacts lie far below -event.id, the person of a contactless event.
_ANONYMOUS_BASE = 2**40


async def record_event(*, session: AsyncSession, event_in: EventCreate) -> Event:
    """Records one event, filling a missing variant from the contact's earlier events."""
    row = _row(event_in, clock.now())
    await _attribute_variants(session, [row])
    event = Event(**row)
    session.add(event)
    await session.flush()
    live.stage(session, _increments([row]))
    return event


async def record_events(*, session: AsyncSession, events: Sequence[EventCreate]) -> int:
    """Records many events with one executemany INSERT; returns how many were recorded."""
    if not events:
        return 0
    now = clock.now()
    rows = [_row(event_in, now) for event_in in events]
    await _attribute_variants(session, rows)
    # Core, not ORM, insert: the ORM splits rows by which values are None into several batches.
    await session.execute(insert(cast(Table, Event.__table__)), rows)
    live.stage(session, _increments(rows))
    return len(rows)


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
    """Returns distinct people per event type for each variant of a campaign and in total.

    Given the campaign's `source`, the counts of signals its sender cannot observe are None
    and the answer says which and why; without it (unknown sender) every count is as recorded.
    """
    people = func.count(_person(Event).distinct())
    revenue = func.sum(Event.value_usd_micros)
    of_campaign = Event.campaign_id == campaign_id
    per_variant = (
        select(literal_column("0", Integer()), Event.variant_key, Event.type, people, revenue)
        .where(of_campaign)
        .group_by(Event.variant_key, Event.type)
    )
    # Totals are counted again rather than summed: a person in two variants counts once.
    overall = (
        select(literal_column("1", Integer()), null(), Event.type, people, revenue)
        .where(of_campaign)
        .group_by(Event.type)
    )
    rows: Sequence[Any] = (await session.execute(union_all(per_variant, overall))).all()

    variants: dict[str | None, VariantStats] = {}
    totals = VariantStats(variant_key="all")
    for is_total, variant_key, event_type, count, value in rows:
        if event_type not in _KNOWN_TYPES:
            continue
        stats = (
            totals
            if is_total
            else variants.setdefault(variant_key, VariantStats(variant_key=variant_key))
        )
        setattr(stats, event_type, int(count))
        if event_type == EventType.CONVERTED:
            stats.revenue_usd_micros = int(value or 0)
    ordered = sorted(variants.values(), key=lambda v: (v.variant_key is None, v.variant_key or ""))
    result = CampaignStats(campaign_id=campaign_id, variants=ordered, totals=totals)
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
) -> Funnel:
    """Returns an ordered funnel: a person reaches step k after each earlier step, in order.

    With `window`, every step must also happen at most `window` after the person's entry: their
    earliest step-1 event (a later step-1 event does not restart the clock). Steps may share a
    timestamp (sent and delivered often do); a step before the previous one does not count.
    """
    _check_steps(steps)
    if window is not None and window <= timedelta(0):
        raise ValidationFailed([field_error(("query", "window_days"), "must be positive")])
    dialect = session.get_bind().dialect.name
    reached = _reached(campaign_id, steps, window=window, dialect=dialect)
    counts_query = select(
        *(select(func.count()).select_from(cte).scalar_subquery() for cte in reached)
    )
    counts = [int(n) for n in (await session.execute(counts_query)).one()]

    result: list[FunnelStep] = []
    for i, (step, count) in enumerate(zip(steps, counts, strict=True)):
        previous = counts[i - 1] if i else count
        result.append(
            FunnelStep(
                name=step,
                count=count,
                conversion_from_previous=_ratio(count, previous) if i else 1.0,
                conversion_from_start=_ratio(count, counts[0]),
            )
        )
    window_days = window / timedelta(days=1) if window is not None else None
    return Funnel(campaign_id=campaign_id, window_days=window_days, steps=result)


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
    await session.flush()
    log.info("analytics.contact_erased", events=len(events))
    return len(events)


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


async def contacts_active_since(
    *, session: AsyncSession, contact_ids: Sequence[int], since: datetime
) -> set[int]:
    """Returns which of `contact_ids` have an event at or after `since` (retention)."""
    active: set[int] = set()
    for start in range(0, len(contact_ids), _CHUNK):
        rows = await session.scalars(
            select(Event.contact_id)
            .where(Event.contact_id.in_(contact_ids[start : start + _CHUNK]))
            .where(Event.occurred_at >= since)
            .distinct()
        )
        active.update(r for r in rows if r is not None)
    return active


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
        for start in range(0, len(ids), _CHUNK):
            result = await session.execute(
                select(Event.contact_id, Event.variant_key)
                .where(
                    Event.campaign_id == campaign_id,
                    Event.contact_id.in_(ids[start : start + _CHUNK]),
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


def _increments(rows: Sequence[dict[str, Any]]) -> Counter[live.CounterKey]:
    return Counter(
        (row["campaign_id"], row["variant_key"], row["type"])
        for row in rows
        if row["campaign_id"] is not None
    )


def _person(event: Any) -> ColumnElement[int]:
    """The person an event is about, as an integer (see the module docstring)."""
    person: ColumnElement[int] = func.coalesce(event.contact_id, event.anonymous_id, -event.id)
    return person


def _reached(
    campaign_id: int, steps: Sequence[EventType], *, window: timedelta | None, dialect: str
) -> list[CTE]:
    """Per step, the people who reached it and the earliest time they did, after the last step
    (and, with a window, no later than it after their entry into step 1)."""
    first = (
        select(
            _person(Event).label("person"),
            func.min(Event.occurred_at).label("at"),
            func.min(Event.occurred_at).label("entered_at"),
        )
        .where(Event.campaign_id == campaign_id, Event.type == steps[0])
        .group_by(_person(Event))
        .cte("funnel_step_0")
    )
    reached = [first]
    for i, step in enumerate(steps[1:], start=1):
        previous = reached[-1]
        later = aliased(Event)
        conditions = [
            later.campaign_id == campaign_id,
            later.type == step,
            _person(later) == previous.c.person,
            later.occurred_at >= previous.c.at,
        ]
        if window is not None:
            conditions.append(_within(later.occurred_at, previous.c.entered_at, window, dialect))
        reached.append(
            select(
                previous.c.person,
                func.min(later.occurred_at).label("at"),
                previous.c.entered_at,
            )
            .join_from(previous, later, and_(*conditions))
            .group_by(previous.c.person, previous.c.entered_at)
            .cte(f"funnel_step_{i}")
        )
    return reached


def _within(at: Any, start: Any, window: timedelta, dialect: str) -> ColumnElement[bool]:
    """`at <= start + window`, in each database's date arithmetic."""
    if dialect == "sqlite":  # SQLite stores text; julianday is exact to well under a millisecond
        days = window / timedelta(days=1)
        return func.julianday(at) <= func.julianday(start) + days
    deadline: ColumnElement[Any] = start + literal(window, Interval())
    return cast(ColumnElement[bool], at <= deadline)


def _check_steps(steps: Sequence[EventType]) -> None:
    where = ("query", "steps")
    if not steps:
        raise ValidationFailed([field_error(where, "a funnel needs at least one step")])
    if len(set(steps)) != len(steps):
        raise ValidationFailed([field_error(where, "funnel steps must be distinct")])


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0

"""Per-variant figures an experiment decides on: the sends old enough to judge (a bandit's late
feedback, attributed by delivery time), each recipient's metric before the campaign (CUPED), and
the value each recipient brought (revenue per recipient, zero for those who did not convert); and
the rate earlier campaigns observed, which a test's size is planned on.

Both are read from events only; people are counted once, like every other count here.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics.journeys import ALL, CampaignCount
from marketing_agent.analytics.models import Event
from marketing_agent.analytics.schemas import EventType
from marketing_agent.core import clock
from marketing_agent.core.db import in_chunks


@dataclass(frozen=True)
class MatureVariantCounts:
    """A variant's people first sent to at or before the cut-off, and how many of them did the
    reward event (at any time up to now)."""

    variant_key: str
    sent: int
    rewarded: int


@dataclass(frozen=True)
class PrePeriodSummary:
    """A variant's sums over its recipients of y (did the metric in this campaign, 0/1) and x
    (their count of the metric in the window before their first send): CUPED's inputs."""

    variant_key: str
    n: int
    sum_y: float
    sum_y2: float
    sum_x: float
    sum_x2: float
    sum_xy: float


@dataclass(frozen=True)
class ValueSummary:
    """A variant's recipients and the value (USD) each brought through the campaign's
    conversions: n counts every recipient, those who did not convert with a value of 0."""

    variant_key: str
    n: int
    converters: int  # recipients with at least one conversion carrying a value
    sum_usd: float
    sum_squares_usd: float


async def mature_variant_counts(
    *, session: AsyncSession, campaign_id: int, sent_before: datetime, reward: EventType
) -> list[MatureVariantCounts]:
    """Returns, per variant, the people first sent at or before `sent_before` and how many of
    those did `reward`; a send younger than that is not yet evidence either way."""
    firsts = await _first_sends(session, campaign_id)
    rewarded = await _people_with(session, campaign_id, reward)
    sent: defaultdict[str, int] = defaultdict(int)
    won: defaultdict[str, int] = defaultdict(int)
    for (variant_key, person), at in firsts.items():
        if at > sent_before:
            continue
        sent[variant_key] += 1
        won[variant_key] += person in rewarded
    return [MatureVariantCounts(key, sent[key], won[key]) for key in sorted(sent)]


@dataclass(frozen=True)
class CampaignsTotal:
    """People sent to and those of them who did a metric, summed over the campaigns that sent
    (a person in two campaigns counts in each: a rate per send)."""

    campaigns: int
    sent: int
    successes: int


async def campaigns_total(
    *, session: AsyncSession, campaign_ids: Sequence[int], metric: EventType
) -> CampaignsTotal:
    """Returns the sends and `metric` successes of the campaigns among `campaign_ids` that sent
    (each campaign's successes at most its sends: a conversion with no send is no evidence)."""
    per_campaign: dict[int, dict[str, int]] = defaultdict(dict)
    for chunk in in_chunks(list(campaign_ids)):
        rows = await session.execute(
            select(CampaignCount.campaign_id, CampaignCount.type, CampaignCount.people).where(
                CampaignCount.campaign_id.in_(chunk),
                CampaignCount.variant_key == ALL,
                CampaignCount.type.in_([EventType.SENT.value, metric.value]),
            )
        )
        for campaign_id, event_type, people in rows:
            per_campaign[campaign_id][event_type] = int(people)
    sent = {cid: counts.get(EventType.SENT.value, 0) for cid, counts in per_campaign.items()}
    sending = [cid for cid, n in sent.items() if n > 0]
    return CampaignsTotal(
        campaigns=len(sending),
        sent=sum(sent[cid] for cid in sending),
        successes=sum(min(sent[cid], per_campaign[cid].get(metric.value, 0)) for cid in sending),
    )


@dataclass(frozen=True)
class VariantTimes:
    """A variant's recipients over time: each one's first send, and for those who did the
    metric, when they first did it (never before their send), both sorted."""

    variant_key: str
    sent_at: tuple[datetime, ...]
    succeeded_at: tuple[datetime, ...]


async def variant_times(
    *, session: AsyncSession, campaign_id: int, metric: EventType
) -> list[VariantTimes]:
    """Returns, per variant, when each recipient was first sent to and when each of them first
    did `metric`: the counts at any moment of the campaign, from its stored events."""
    firsts = await _first_sends(session, campaign_id)
    person = func.coalesce(Event.contact_id, Event.anonymous_id, -Event.id)
    rows = await session.execute(
        select(person, func.min(Event.occurred_at))
        .where(Event.campaign_id == campaign_id, Event.type == metric.value)
        .group_by(person)
    )
    did = {int(who): _aware(at) for who, at in rows}
    sent: defaultdict[str, list[datetime]] = defaultdict(list)
    won: defaultdict[str, list[datetime]] = defaultdict(list)
    for (variant_key, who), at in firsts.items():
        sent[variant_key].append(at)
        if who in did:
            won[variant_key].append(max(at, did[who]))
    return [
        VariantTimes(key, tuple(sorted(sent[key])), tuple(sorted(won[key]))) for key in sorted(sent)
    ]


async def pre_period_summaries(
    *, session: AsyncSession, campaign_id: int, metric: EventType, window: timedelta
) -> list[PrePeriodSummary]:
    """Returns each variant's CUPED sums: per recipient, y = 1 if they did `metric` in this
    campaign, x = their `metric` events elsewhere in the `window` before their first send."""
    firsts = {
        (key, person): at
        for (key, person), at in (await _first_sends(session, campaign_id)).items()
        if person > 0  # a known contact: an erased person's history is gone, and so is x
    }
    if not firsts:
        return []
    done = await _people_with(session, campaign_id, metric)
    history = await _metric_times(
        session,
        campaign_id,
        metric,
        sorted({person for _, person in firsts}),
        since=min(firsts.values()) - window,
        until=max(firsts.values()),
    )
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0, 0.0, 0.0])
    for (key, person), at in firsts.items():
        times = history.get(person, [])
        x = bisect_left(times, at) - bisect_left(times, at - window)
        y = 1.0 if person in done else 0.0
        row = sums[key]
        row[0] += 1
        row[1] += y
        row[2] += y * y
        row[3] += x
        row[4] += x * x
        row[5] += x * y
    return [PrePeriodSummary(key, int(s[0]), *s[1:]) for key, s in sorted(sums.items())]


async def first_send_at(*, session: AsyncSession, campaign_id: int) -> datetime | None:
    """Returns when the campaign's first message was sent; None before any was."""
    at = await session.scalar(
        select(func.min(Event.occurred_at)).where(
            Event.campaign_id == campaign_id, Event.type == EventType.SENT.value
        )
    )
    return _aware(at) if at is not None else None


async def value_summaries(*, session: AsyncSession, campaign_id: int) -> list[ValueSummary]:
    """Returns each variant's value per recipient sums: every person sent to counts, with the
    sum of their conversions' `value_usd_micros` (0 without one); empty when no conversion of
    the campaign carries a value."""
    person = func.coalesce(Event.contact_id, Event.anonymous_id, -Event.id)
    rows = await session.execute(
        select(person, func.sum(Event.value_usd_micros))
        .where(
            Event.campaign_id == campaign_id,
            Event.type == EventType.CONVERTED.value,
            Event.value_usd_micros.is_not(None),
        )
        .group_by(person)
    )
    value_of = {int(who): int(micros) / 1e6 for who, micros in rows if micros is not None}
    if not value_of:
        return []
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for variant_key, who in await _first_sends(session, campaign_id):
        value = value_of.get(who, 0.0)
        row = sums[variant_key]
        row[0] += 1
        row[1] += value != 0
        row[2] += value
        row[3] += value * value
    return [ValueSummary(key, int(s[0]), int(s[1]), s[2], s[3]) for key, s in sorted(sums.items())]


async def _first_sends(session: AsyncSession, campaign_id: int) -> dict[tuple[str, int], datetime]:
    """Returns each (variant, person)'s first send time in the campaign."""
    person = func.coalesce(Event.contact_id, Event.anonymous_id, -Event.id)
    rows = await session.execute(
        select(Event.variant_key, person, func.min(Event.occurred_at))
        .where(Event.campaign_id == campaign_id, Event.type == EventType.SENT.value)
        .group_by(Event.variant_key, person)
    )
    firsts: dict[tuple[str, int], datetime] = {}
    for variant_key, who, at in rows:
        if variant_key is None:
            continue
        firsts[(variant_key, int(who))] = _aware(at)
    return firsts


async def _people_with(session: AsyncSession, campaign_id: int, event_type: EventType) -> set[int]:
    person = func.coalesce(Event.contact_id, Event.anonymous_id, -Event.id)
    rows = await session.scalars(
        select(person)
        .where(Event.campaign_id == campaign_id, Event.type == event_type.value)
        .distinct()
    )
    return {int(who) for who in rows}


async def _metric_times(
    session: AsyncSession,
    campaign_id: int,
    metric: EventType,
    contact_ids: Sequence[int],
    *,
    since: datetime,
    until: datetime,
) -> dict[int, list[datetime]]:
    """Returns each contact's sorted `metric` times in [since, until) outside this campaign."""
    times: defaultdict[int, list[datetime]] = defaultdict(list)
    for chunk in in_chunks(contact_ids):
        rows = await session.execute(
            select(Event.contact_id, Event.occurred_at).where(
                Event.type == metric.value,
                Event.contact_id.in_(chunk),
                Event.occurred_at >= since,
                Event.occurred_at < until,
                or_(Event.campaign_id.is_(None), Event.campaign_id != campaign_id),
            )
        )
        for contact_id, at in rows:
            if contact_id is not None:
                times[int(contact_id)].append(_aware(at))
    for values in times.values():
        values.sort()
    return times


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=clock.UTC)

"""A campaign's events over time, by hour or day, for the results chart of the campaign page.

Events are counted (not distinct people) per bucket of UTC time; the buckets are truncated in
SQL on both dialects so a campaign of 100,000 recipients returns a few hundred rows, not events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import signals
from marketing_agent.analytics.models import Event
from marketing_agent.analytics.schemas import (
    CampaignSource,
    CampaignTimeseries,
    EventType,
    TimeseriesPoint,
)

Bucket = Literal["hour", "day"]
_SQLITE_FORMAT = {"hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00"}
_CHARTED = (
    EventType.DELIVERED,
    EventType.READ,
    EventType.CLICKED,
    EventType.REPLIED,
    EventType.CONVERTED,
    EventType.UNSUBSCRIBED,
)


async def campaign_timeseries(
    *,
    session: AsyncSession,
    campaign_id: int,
    bucket: Bucket,
    source: CampaignSource | None = None,
) -> CampaignTimeseries:
    """Returns the campaign's events per `bucket`, oldest first; the signals its sender cannot
    observe (a bot's reads) are None in every point, never a measured 0."""
    start = _truncated(session, bucket).label("start")
    rows = await session.execute(
        select(start, Event.type, func.count())
        .where(Event.campaign_id == campaign_id, Event.type.in_([t.value for t in _CHARTED]))
        .group_by(start, Event.type)
        .order_by(start)
    )
    hidden = set(signals.unobservable(source.sender_kind)) if source is not None else set()
    points: dict[datetime, TimeseriesPoint] = {}
    for at, event_type, count in rows:
        moment = _as_datetime(at)
        point = points.setdefault(moment, _empty_point(moment, hidden))
        if EventType(event_type) not in hidden:
            setattr(point, event_type, int(count))
    return CampaignTimeseries(
        campaign_id=campaign_id,
        bucket=bucket,
        points=list(points.values()),
        unobservable=sorted(t.value for t in hidden),
    )


def _truncated(session: AsyncSession, bucket: Bucket) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc(bucket, Event.occurred_at)
    return func.strftime(_SQLITE_FORMAT[bucket], Event.occurred_at)


def _as_datetime(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _empty_point(start: datetime, hidden: set[EventType]) -> TimeseriesPoint:
    point = TimeseriesPoint(start=start)
    for event_type in hidden:
        setattr(point, event_type.value, None)
    return point

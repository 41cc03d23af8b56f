"""A campaign's results broken down by variant, day, or a property of the person.

Each row counts distinct people per event type, as the campaign stats do, and shows the click
and conversion rates per person sent to with their 95 % Wilson intervals. `day` is the UTC day
of the person's first `sent` event (a cohort: their later clicks count on their send day, so
the rates are comparable). Person properties (language, time zone, an attribute)
come from the orchestrator as a SQL selectable of (contact_id, value), joined here: nothing is
evaluated in Python, and erased people (no contact) fall under "unknown".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field
from sqlalchemy import Select, String, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import signals
from marketing_agent.analytics.models import Event
from marketing_agent.analytics.rates import Rate, rate
from marketing_agent.analytics.schemas import CampaignSource, EventType

Dimension = Literal["variant", "day", "language", "timezone", "attribute"]
PERSON_DIMENSIONS = frozenset({"language", "timezone", "attribute"})
UNKNOWN = "unknown"


class ContactDimension(Protocol):
    """Given by the orchestrator: (contact_id, value) of every contact, for one dimension."""

    def __call__(
        self, *, session: AsyncSession, dimension: str, key: str | None
    ) -> Awaitable[Select[int, str | None]]: ...


class BreakdownRow(BaseModel):
    key: str
    sent: int
    delivered: int
    read: int | None = Field(description="None where the sender cannot observe reads.")
    clicked: int
    converted: int
    revenue_usd_micros: int
    click_rate: Rate = Field(description="People who clicked per person sent to.")
    conversion_rate: Rate = Field(description="People who converted per person sent to.")


class Breakdown(BaseModel):
    campaign_id: int
    by: Dimension
    key: str | None = Field(None, description="The attribute's name, for by=attribute.")
    unobservable_reasons: dict[str, str] = Field(default_factory=dict)
    rows: list[BreakdownRow]


def _person(event: Any) -> Any:
    return func.coalesce(event.contact_id, event.anonymous_id, -event.id)


def _day(dialect: str, column: Any) -> Any:
    if dialect == "sqlite":
        return func.date(column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


async def breakdown(
    *,
    session: AsyncSession,
    source: CampaignSource | None,
    campaign_id: int,
    by: Dimension,
    key: str | None = None,
    contact_dimension: ContactDimension | None = None,
) -> Breakdown:
    dialect = session.get_bind().dialect.name
    of_campaign = Event.campaign_id == campaign_id
    counted = (
        EventType.SENT,
        EventType.DELIVERED,
        EventType.READ,
        EventType.CLICKED,
        EventType.CONVERTED,
    )
    of_types = Event.type.in_([t.value for t in counted])
    people = func.count(_person(Event).distinct())
    value = func.sum(Event.value_usd_micros)
    if by == "variant":
        group: Any = func.coalesce(Event.variant_key, literal(UNKNOWN))
        query = select(group, Event.type, people, value).where(of_campaign, of_types)
    elif by == "day":
        first_sent = (
            select(
                _person(Event).label("person"),
                _day(dialect, func.min(Event.occurred_at)).label("day"),
            )
            .where(of_campaign, Event.type == EventType.SENT.value)
            .group_by(_person(Event))
            .subquery("first_sent")
        )
        group = func.coalesce(first_sent.c.day, literal(UNKNOWN))
        query = (
            select(group, Event.type, people, value)
            .select_from(Event)
            .outerjoin(first_sent, first_sent.c.person == _person(Event))
            .where(of_campaign, of_types)
        )
    else:
        if contact_dimension is None:
            raise RuntimeError("person dimensions need the orchestrator's contact_dimension")
        values = (await contact_dimension(session=session, dimension=by, key=key)).subquery(
            "dimension"
        )
        group = func.coalesce(cast(values.c.value, String), literal(UNKNOWN))
        query = (
            select(group, Event.type, people, value)
            .select_from(Event)
            .outerjoin(values, values.c.contact_id == Event.contact_id)
            .where(of_campaign, of_types)
        )
    rows = await session.execute(query.group_by(group, Event.type))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    revenue: dict[str, int] = defaultdict(int)
    for group_key, event_type, count, total in rows:
        counts[str(group_key)][event_type] = int(count)
        if event_type == EventType.CONVERTED.value:
            revenue[str(group_key)] = int(total or 0)
    hidden = signals.unobservable(source.sender_kind) if source is not None else {}
    result = [
        BreakdownRow(
            key=group_key,
            sent=c["sent"],
            delivered=c["delivered"],
            read=None if EventType.READ in hidden else c["read"],
            clicked=c["clicked"],
            converted=c["converted"],
            revenue_usd_micros=revenue[group_key],
            click_rate=rate(c["clicked"], c["sent"]),
            conversion_rate=rate(c["converted"], c["sent"]),
        )
        for group_key, c in sorted(counts.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0]))
    ]
    return Breakdown(
        campaign_id=campaign_id,
        by=by,
        key=key,
        unobservable_reasons={t.value: reason for t, reason in hidden.items()},
        rows=result,
    )

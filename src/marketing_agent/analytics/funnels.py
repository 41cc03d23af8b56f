"""Ordered funnels over the journeys: one row a person, read once, in SQL on both databases.

A person reaches step k at their earliest step-k event at or after the time they reached step
k-1 (and, with a window, at most the window after their entry: their earliest step-1 event).
A journey holds each type's first and last time, which settles almost everyone: if the first
step-k event is at or after step k-1, it is the earliest one after it; if the last is before,
there is none. Only a person whose step-k events straddle step k-1 (a repeated step out of
order) is "ambiguous": they are set aside by the query and walked exactly from their events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Integer, Table, and_, case, func, literal_column, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics.journeys import ALL, Journey, micros, person_of
from marketing_agent.analytics.models import Event
from marketing_agent.analytics.schemas import EventType

_CHUNK = 900


@dataclass
class Walk:
    """Per step, how many people reached it; seconds from entry to the last step; and, when
    asked for, everyone's reach times in microseconds (None once they dropped out)."""

    counts: list[int]
    seconds: list[float]
    paths: dict[int, list[int | None]] = field(default_factory=dict)


def _chain(
    campaign_id: int,
    steps: Sequence[EventType],
    window_us: int | None,
    variant_key: str | None,
    sender_id: int | None,
) -> Any:
    j = cast(Table, Journey.__table__)
    first = j.c[f"first_{steps[0].value}"]
    columns: list[Any] = [
        j.c.person,
        first.label("at0"),
        first.label("entered"),
        literal_column("0", Integer()).label("amb"),
    ]
    for i, step in enumerate(steps[1:], start=1):
        columns += [
            j.c[f"first_{step.value}"].label(f"f{i}"),
            j.c[f"last_{step.value}"].label(f"l{i}"),
        ]
    query = select(*columns).where(
        j.c.campaign_id == campaign_id,
        j.c.variant_key == (variant_key if variant_key is not None else ALL),
        first.is_not(None),
    )
    if sender_id is not None:
        query = query.where(j.c.sender_id == sender_id)
    chain = query.subquery("j0")
    for i in range(1, len(steps)):
        c = chain.c
        previous, f, last = c[f"at{i - 1}"], c[f"f{i}"], c[f"l{i}"]
        reached = [previous.is_not(None), f >= previous]
        if window_us is not None:
            reached.append(f <= c.entered + window_us)
        carried = [c.person, c.entered, *(c[f"at{k}"] for k in range(i))]
        for k in range(i + 1, len(steps)):
            carried += [c[f"f{k}"], c[f"l{k}"]]
        chain = select(
            *carried,
            case((and_(*reached), f), else_=null()).label(f"at{i}"),
            case(
                (and_(previous.is_not(None), f < previous, last >= previous), 1), else_=c.amb
            ).label("amb"),
        ).subquery(f"j{i}")
    return chain


async def walk(
    session: AsyncSession,
    *,
    campaign_id: int,
    steps: Sequence[EventType],
    window_us: int | None,
    variant_key: str | None = None,
    sender_id: int | None = None,
    paths: bool = False,
) -> Walk:
    chain = _chain(campaign_id, steps, window_us, variant_key, sender_id)
    c = chain.c
    last = c[f"at{len(steps) - 1}"]
    clear = c.amb == 0
    counts_row = (
        await session.execute(
            select(
                *(
                    func.count(case((and_(clear, c[f"at{i}"].is_not(None)), 1)))
                    for i in range(len(steps))
                )
            )
        )
    ).one()
    counts = [int(n or 0) for n in counts_row]
    seconds: list[float] = []
    ambiguous: list[int] = []
    found_paths: dict[int, list[int | None]] = {}
    if paths:
        query = select(c.person, c.amb, *(c[f"at{i}"] for i in range(len(steps))))
        for person, amb, *ats in await session.execute(query):
            if amb:
                ambiguous.append(int(person))
            else:
                found_paths[int(person)] = list(ats)
    else:
        query = select(c.person, c.amb, last - c.entered).where(or_(c.amb == 1, last.is_not(None)))
        for person, amb, taken in await session.execute(query):
            if amb:
                ambiguous.append(int(person))
            elif len(steps) > 1:
                seconds.append(int(taken) / 1e6)
    if ambiguous:
        exact = await _exact(session, campaign_id, steps, window_us, variant_key, ambiguous)
        for person, ats in exact.items():
            for i, at in enumerate(ats):
                counts[i] += at is not None
            if len(steps) > 1 and ats[-1] is not None and ats[0] is not None:
                seconds.append((ats[-1] - ats[0]) / 1e6)
            found_paths[person] = ats
    return Walk(counts=counts, seconds=seconds, paths=found_paths if paths else {})


async def _exact(
    session: AsyncSession,
    campaign_id: int,
    steps: Sequence[EventType],
    window_us: int | None,
    variant_key: str | None,
    people: Sequence[int],
) -> dict[int, list[int | None]]:
    """Walks the ambiguous people's events one by one (few: a repeated step out of order)."""
    times: defaultdict[int, defaultdict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    contacts = [p for p in people if p > 0]
    others = [p for p in people if p <= 0]
    conditions: list[Any] = []
    for start in range(0, len(contacts), _CHUNK):
        conditions.append(Event.contact_id.in_(contacts[start : start + _CHUNK]))
    for start in range(0, len(others), _CHUNK):
        chunk = others[start : start + _CHUNK]
        conditions.append(and_(Event.contact_id.is_(None), Event.anonymous_id.in_(chunk)))
        conditions.append(
            and_(
                Event.contact_id.is_(None),
                Event.anonymous_id.is_(None),
                Event.id.in_([-p for p in chunk]),
            )
        )
    for condition in conditions:
        query = select(
            Event.id, Event.contact_id, Event.anonymous_id, Event.type, Event.occurred_at
        ).where(
            Event.campaign_id == campaign_id,
            Event.type.in_([s.value for s in steps]),
            condition,
        )
        if variant_key is not None:
            query = query.where(Event.variant_key == variant_key)
        for row in (await session.execute(query)).mappings():
            person = person_of(dict(row))
            if person is not None:
                times[person][row["type"]].append(micros(row["occurred_at"]))
    result: dict[int, list[int | None]] = {}
    for person in people:
        of_person = times.get(person, defaultdict(list))
        entry = min(of_person[steps[0].value], default=None)
        ats: list[int | None] = [entry]
        for step in steps[1:]:
            previous = ats[-1]
            if previous is None or entry is None:
                ats.append(None)
                continue
            later = [
                t
                for t in of_person[step.value]
                if t >= previous and (window_us is None or t <= entry + window_us)
            ]
            ats.append(min(later, default=None))
        result[person] = ats
    return result

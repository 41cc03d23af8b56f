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

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    and_,
    case,
    func,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy import cast as cast_
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics.journeys import ALL, Journey, micros, person_of
from marketing_agent.analytics.models import Event
from marketing_agent.analytics.schemas import EventType
from marketing_agent.core.db import in_chunks


@dataclass
class Walk:
    """Per step, how many people reached it; seconds from entry to the last step; and, when
    asked for, everyone's reach times in microseconds (None once they dropped out)."""

    counts: list[int]
    seconds: list[float]
    paths: dict[int, list[int | None]] = field(default_factory=dict)


@dataclass
class _Chain:
    """The journeys of a funnel's people, and per step the condition that they reached it."""

    where: list[Any]  # the campaign's (variant's, sender's) journeys of people who entered
    times: list[Any]  # each step's time, when reached
    reached: list[Any]  # each step's condition
    ambiguous: Any  # the condition that a repeated step straddles the previous one


def _chain(
    campaign_id: int,
    steps: Sequence[EventType],
    window_us: int | None,
    variant_key: str | None,
    sender_id: int | None,
    contact_ids: Select[Any] | None = None,
) -> _Chain:
    """Flat conditions on one row, no nesting: once step k-1 is reached at its first time
    f(k-1), step k is reached at f(k) iff f(k-1) <= f(k) (<= entry + window); a step-k event
    before f(k-1) with another after it makes the person ambiguous."""
    j = cast(Table, Journey.__table__)
    first = [j.c[f"first_{step.value}"] for step in steps]
    last = [j.c[f"last_{step.value}"] for step in steps]
    conditions = [
        j.c.campaign_id == campaign_id,
        j.c.variant_key == (variant_key if variant_key is not None else ALL),
        first[0].is_not(None),
    ]
    if sender_id is not None:
        conditions.append(j.c.sender_id == sender_id)
    if contact_ids is not None:  # a segment's people: contacts only, never the anonymous
        conditions.append(j.c.person.in_(contact_ids))
    reached: list[Any] = [first[0].is_not(None)]
    straddles: list[Any] = []
    for i in range(1, len(steps)):
        # Each term is true or false, never NULL: a missing step is false, not unknown.
        step = [first[i].is_not(None), first[i] >= first[i - 1]]
        if window_us is not None:
            step.append(first[i] <= first[0] + window_us)
        straddles.append(
            and_(
                reached[-1], first[i].is_not(None), first[i] < first[i - 1], last[i] >= first[i - 1]
            )
        )
        reached.append(and_(reached[-1], *step))
    ambiguous = or_(*straddles) if straddles else literal_column("0", Integer()) == 1
    return _Chain(
        where=conditions,
        times=first,
        reached=reached,
        ambiguous=ambiguous,
    )


async def walk(
    session: AsyncSession,
    *,
    campaign_id: int,
    steps: Sequence[EventType],
    window_us: int | None,
    variant_key: str | None = None,
    sender_id: int | None = None,
    contact_ids: Select[Any] | None = None,
    paths: bool = False,
) -> Walk:
    chain = _chain(campaign_id, steps, window_us, variant_key, sender_id, contact_ids)
    j = cast(Table, Journey.__table__)
    where = chain.where
    clear = ~chain.ambiguous
    seconds: list[float] = []
    ambiguous: list[int] = []
    found_paths: dict[int, list[int | None]] = {}
    if paths:
        counts = [0] * len(steps)
        at = [case((r, t), else_=null()) for r, t in zip(chain.reached, chain.times, strict=True)]
        query = select(j.c.person, case((chain.ambiguous, 1), else_=0), *at).where(*where)
        for person, amb, *ats in await session.execute(query):
            if amb:
                ambiguous.append(int(person))
                continue
            found_paths[int(person)] = list(ats)
            for i, step_at in enumerate(ats):
                counts[i] += step_at is not None
    else:
        # One pass over the campaign's journeys (a primary-key range): the counts, the times
        # to convert of those who reached the last step and the ambiguous people, aggregated.
        taken = chain.times[-1] - chain.times[0]
        row = (
            await session.execute(
                select(
                    *(func.count(case((and_(clear, r), 1))) for r in chain.reached),
                    func.aggregate_strings(
                        case((and_(clear, chain.reached[-1]), cast_(taken, String))), ","
                    ),
                    func.aggregate_strings(case((chain.ambiguous, cast_(j.c.person, String))), ","),
                ).where(*where)
            )
        ).one()
        counts = [int(n or 0) for n in row[: len(steps)]]
        taken_list = cast(str | None, row[len(steps)])
        ambiguous_list = cast(str | None, row[len(steps) + 1])
        if len(steps) > 1 and taken_list:
            seconds = [int(t) / 1e6 for t in taken_list.split(",")]
        if ambiguous_list:
            ambiguous = [int(p) for p in ambiguous_list.split(",")]
    if ambiguous:
        exact = await _exact(session, campaign_id, steps, window_us, variant_key, ambiguous)
        for person, ats in exact.items():
            for i, step_at in enumerate(ats):
                counts[i] += step_at is not None
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
    for chunk in in_chunks(contacts):
        conditions.append(Event.contact_id.in_(chunk))
    for chunk in in_chunks(others):
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

"""Per-person journeys and per-campaign counts, kept up to date as events are written.

A journey is one row per (campaign, variant, person) with the first and last time of each event
type and the person's revenue; the row of variant `*` holds the person's whole campaign (all
variants together) and that of variant `""` their events that name no variant. Funnels read the
journeys (one row a person, not one a event); campaign stats read the counts, which the same
write keeps: a count is raised the moment a journey gets its first event of a type.

Times are microseconds since the Unix epoch (integers compare and add the same on every
database). Writers of `analytics_events` call `maintain` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import BigInteger, SmallInteger, String, Table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.analytics.schemas import EventType
from marketing_agent.core import clock
from marketing_agent.core.db import Base, IdType, in_chunks

ALL = "*"  # the variant key of a person's whole-campaign journey
NO_VARIANT = ""
TYPES = tuple(t.value for t in EventType)
_EPOCH = datetime(1970, 1, 1, tzinfo=clock.UTC)


def micros(at: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (exact)."""
    delta = at.astimezone(clock.UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


class Journey(Base):
    """One person's path through one campaign (or one of its variants)."""

    __tablename__ = "analytics_journeys"
    __table_args__ = ({"sqlite_with_rowid": False},)

    campaign_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    variant_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    person: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sender_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    revenue_usd_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    first_sent: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_sent: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    first_delivered: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_delivered: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    first_read: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_read: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    first_clicked: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_clicked: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    first_replied: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_replied: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    first_converted: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_converted: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    first_unsubscribed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_unsubscribed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    first_failed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_failed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The types the row's latest write gave it for the first time, one bit each (bit i: TYPES[i]).
    # Read back by that write itself (RETURNING) to raise the counts; means nothing afterwards.
    fresh: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")


class CampaignCount(Base):
    """Distinct people with an event of `type` in a campaign's variant (`*`: all), and their
    revenue (on the `converted` row)."""

    __tablename__ = "analytics_campaign_counts"

    campaign_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    variant_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    people: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_usd_micros: Mapped[int] = mapped_column(BigInteger, default=0)


_KEY = ("campaign_id", "variant_key", "person")


def person_of(row: dict[str, Any]) -> int | None:
    """The person of an event row (see the service's docstring); None if it needs its id."""
    if row.get("contact_id") is not None:
        return int(row["contact_id"])
    if row.get("anonymous_id") is not None:
        return int(row["anonymous_id"])
    if row.get("id") is not None:
        return -int(row["id"])
    return None


_FIRST = {kind: f"first_{kind}" for kind in TYPES}
_LAST = {kind: f"last_{kind}" for kind in TYPES}
_CONVERTED = EventType.CONVERTED.value


def fold(rows: Iterable[dict[str, Any]]) -> dict[tuple[int, str, int], dict[str, Any]]:
    """The journey changes a set of event rows makes, by key (nothing read from the database)."""
    changes: dict[tuple[int, str, int], dict[str, Any]] = {}
    seen_at: datetime | None = None
    at = 0
    for row in rows:  # on every send's path: written for speed (a batch shares its times)
        campaign_id, kind = row.get("campaign_id"), row.get("type")
        person = person_of(row)
        if campaign_id is None or kind not in _FIRST or person is None:
            continue
        if row["occurred_at"] != seen_at:
            seen_at = row["occurred_at"]
            at = micros(seen_at)
        value = (row.get("value_usd_micros") or 0) if kind == _CONVERTED else 0
        sender_id = row.get("sender_id")
        first, last = _FIRST[kind], _LAST[kind]
        campaign_id = int(campaign_id)
        for variant in (row.get("variant_key") or NO_VARIANT, ALL):
            key = (campaign_id, variant, person)
            change = changes.get(key)
            if change is None:
                changes[key] = {
                    "sender_id": sender_id, "revenue_usd_micros": value, first: at, last: at,
                }  # fmt: skip
                continue
            if change["sender_id"] is None:
                change["sender_id"] = sender_id
            change["revenue_usd_micros"] += value
            earlier = change.get(first)
            if earlier is None:
                change[first] = change[last] = at
            else:
                change[first] = min(at, earlier)
                change[last] = max(at, change[last])
    return changes


def _insert_for(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _bits(change: dict[str, Any]) -> int:
    """The types a change has events of, one bit each (bit i: TYPES[i])."""
    return sum(1 << i for i, kind in enumerate(TYPES) if f"first_{kind}" in change)


async def maintain(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Folds freshly written event rows into the journeys and the counts (same transaction).

    A count is raised by the people whose journey got its first event of the type in this
    write; the journeys' rows are locked by the write itself, so two concurrent writers of the
    same person count them once (PostgreSQL); SQLite has one writer at a time.
    """
    changes = fold(rows)
    if not changes:
        return
    counts: dict[tuple[int, str, str], list[int]] = {}
    if session.get_bind().dialect.name == "postgresql":
        await _upsert_postgres(session, changes, counts)
    else:
        await _upsert_sqlite(session, changes, counts)
    for (campaign_id, variant_key, _), change in changes.items():
        if change["revenue_usd_micros"]:
            counts.setdefault((campaign_id, variant_key, EventType.CONVERTED.value), [0, 0])[1] += (
                change["revenue_usd_micros"]
            )
    if counts:
        counts_table = cast(Table, CampaignCount.__table__)
        add = _insert_for(session)(counts_table)
        # In key order: two writers of one campaign lock its count rows in the same order.
        await session.execute(
            add.on_conflict_do_update(
                index_elements=["campaign_id", "variant_key", "type"],
                set_={
                    "people": counts_table.c.people + add.excluded.people,
                    "revenue_usd_micros": counts_table.c.revenue_usd_micros
                    + add.excluded.revenue_usd_micros,
                },
            ),
            [
                {"campaign_id": c, "variant_key": v, "type": t, "people": n,
                 "revenue_usd_micros": r}
                for (c, v, t), (n, r) in sorted(counts.items())
            ],
        )  # fmt: skip


_TIMES = [f"{edge}_{kind}" for kind in TYPES for edge in ("first", "last")]
_PG_COLUMNS = {
    "campaign_id": "BIGINT",
    "variant_key": "VARCHAR",
    "person": "BIGINT",
    "sender_id": "BIGINT",
    "revenue_usd_micros": "BIGINT",
    "fresh": "SMALLINT",
    **dict.fromkeys(_TIMES, "BIGINT"),
}
_HAD = " | ".join(  # the types the journey already had, as bits
    f"(CASE WHEN j.first_{kind} IS NULL THEN 0 ELSE {1 << i} END)" for i, kind in enumerate(TYPES)
)
# One statement a batch, whatever its size: the batch travels as one array per column (one
# parameter each, one cached plan) and every journey is inserted or merged by its primary key
# (no read first; ON CONFLICT locks the row and sees its latest version, so `fresh` is exact
# under concurrent writers). The inserted or merged rows' fresh bits are summed per variant.
# Built from the table's own column names (constants), no input in it.
_PG_UPSERT = text(
    "WITH written AS ("  # noqa: S608
    f" INSERT INTO analytics_journeys AS j ({', '.join(_PG_COLUMNS)})"
    " SELECT * FROM unnest("
    + ", ".join(f"CAST(:{c} AS {t}[])" for c, t in _PG_COLUMNS.items())
    + ") ON CONFLICT (campaign_id, variant_key, person) DO UPDATE SET"
    " sender_id = coalesce(j.sender_id, excluded.sender_id),"
    " revenue_usd_micros = j.revenue_usd_micros + excluded.revenue_usd_micros, "
    + ", ".join(
        f"{c} = {'least' if c.startswith('first_') else 'greatest'}(j.{c}, excluded.{c})"
        for c in _TIMES
    )
    + f", fresh = excluded.fresh & ~({_HAD})"
    " RETURNING j.campaign_id, j.variant_key, j.fresh)"
    " SELECT campaign_id, variant_key, "
    + ", ".join(f"sum((fresh >> {i}) & 1)" for i in range(len(TYPES)))
    + " FROM written WHERE fresh <> 0 GROUP BY campaign_id, variant_key"
)


async def _upsert_postgres(
    session: AsyncSession,
    changes: dict[tuple[int, str, int], dict[str, Any]],
    counts: dict[tuple[int, str, str], list[int]],
) -> None:
    keys = sorted(changes)  # in key order: concurrent writers lock shared journeys alike
    columns: dict[str, list[Any]] = {c: [] for c in _PG_COLUMNS}
    for key in keys:
        change = changes[key]
        for name, value in zip(_KEY, key, strict=True):
            columns[name].append(value)
        columns["sender_id"].append(change["sender_id"])
        columns["revenue_usd_micros"].append(change["revenue_usd_micros"])
        columns["fresh"].append(_bits(change))
        for name in _TIMES:
            columns[name].append(change.get(name))
    for campaign_id, variant_key, *people in await session.execute(_PG_UPSERT, columns):
        for kind, n in zip(TYPES, people, strict=True):
            if n:
                counts[(int(campaign_id), variant_key, kind)] = [int(n), 0]


def _sqlite_upsert(kinds: tuple[str, ...]) -> str:
    """The upsert of journeys that gain events of `kinds` only: those types' times, the sender
    and the revenue are bound and merged by SQLite (min/max, nothing read first); the other
    types' columns are left as they are. `fresh` keeps the bits of the types the row had not."""
    times = [f"{edge}_{kind}" for kind in kinds for edge in ("first", "last")]
    columns = [*_KEY, "sender_id", "revenue_usd_micros", *times, "fresh"]
    had = " | ".join(
        f"(CASE WHEN j.first_{kind} IS NULL THEN 0 ELSE {1 << TYPES.index(kind)} END)"
        for kind in kinds
    )
    merged = ", ".join(  # min/max of a NULL is NULL in SQLite: an absent time takes the new one
        f"{c} = coalesce({'min' if c.startswith('first_') else 'max'}(j.{c}, excluded.{c}),"
        f" excluded.{c})"
        for c in times
    )
    # Built from the table's own column names (constants), no input in it.
    return (
        f"INSERT INTO analytics_journeys AS j ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET "
        "sender_id = coalesce(j.sender_id, excluded.sender_id), "
        "revenue_usd_micros = j.revenue_usd_micros + excluded.revenue_usd_micros, "
        f"{merged}, fresh = excluded.fresh & ~({had})"
    )


# The types a batch's journeys got first, summed per (campaign, variant) by SQLite.
_SQLITE_FRESH = (
    "SELECT "  # noqa: S608 (constants only)
    + ", ".join(f"sum((fresh >> {i}) & 1)" for i in range(len(TYPES)))
    + " FROM analytics_journeys WHERE campaign_id = ? AND variant_key = ? AND person IN ({})"
    " AND fresh <> 0"
)


async def _upsert_sqlite(
    session: AsyncSession,
    changes: dict[tuple[int, str, int], dict[str, Any]],
    counts: dict[tuple[int, str, str], list[int]],
) -> None:
    """Upserts the batch's journeys with the driver's executemany, one statement per set of
    types a journey gains (a batch of conversions binds 8 values a row, not 26), merged by
    SQLite; then reads back, summed per (campaign, variant), which types were new. One writer
    at a time: nothing changes the rows in between."""
    connection = await session.connection()
    by_kinds: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    groups: dict[tuple[int, str], list[int]] = {}
    for key in sorted(changes):
        change = changes[key]
        kinds = tuple(kind for kind in TYPES if f"first_{kind}" in change)
        times = [change[f"{edge}_{kind}"] for kind in kinds for edge in ("first", "last")]
        fresh = sum(1 << TYPES.index(kind) for kind in kinds)
        by_kinds.setdefault(kinds, []).append(
            (*key, change["sender_id"], change["revenue_usd_micros"], *times, fresh)
        )
        groups.setdefault(key[:2], []).append(key[2])
    for kinds, merged in by_kinds.items():
        await connection.exec_driver_sql(_sqlite_upsert(kinds), merged)
    for (campaign_id, variant_key), people in groups.items():
        for chunk in in_chunks(people):
            found = await connection.exec_driver_sql(
                _SQLITE_FRESH.format(", ".join("?" * len(chunk))),
                (campaign_id, variant_key, *chunk),
            )
            for kind, n in zip(TYPES, found.one(), strict=True):
                if n:
                    counts.setdefault((campaign_id, variant_key, kind), [0, 0])[0] += int(n)

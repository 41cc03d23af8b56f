"""Segments at scale: ten rules (properties, typed attributes, consent, events within a window,
recency/frequency/monetary value) counted in SQL over N contacts, and `GET /segments`' work
(every saved segment sized).

Run: .venv/bin/python benchmarks/bench_segments.py [--contacts 1000000] [--backend sqlite|postgres]

The data: each contact has a language (10 % none), 0-3 of five tags, attributes plan/spent/city;
70 % granted marketing consent, 10 % withdrew it; 30 % clicked 1-3 times in the last 90 days,
8 % converted 1-3 times with a value. Rows go in with Core executemany; times are of the service
calls the API makes, warm (best of 3), after ANALYZE. Beside them, in the same run, the old way
(every contact's tags loaded and matched in Python) for the first rule, as a relative figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _support
from bench_pipeline import POSTGRES, drop, postgres_database
from sqlalchemy import Table, insert, select, text

from marketing_agent.analytics.models import Event
from marketing_agent.compliance.models import ConsentRecord
from marketing_agent.core.db import Database
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.models import Contact, ContactTag
from marketing_agent.orchestrator.schemas import SegmentCreate, SegmentFilter

TAGS = ["vip", "boots", "newsletter", "sale", "winter"]
LANGUAGES = ["en", "de", "fr", "es", "it"]
RULES: dict[str, dict[str, Any]] = {
    "tag vip": {"tags_any": ["vip"]},
    "consented, German": {"consent": "granted", "languages": ["de"]},
    "spent > 100": {
        "conditions": [{"kind": "attribute", "key": "spent", "op": "gt", "value": 100}]
    },
    "clicked in 30 days": {
        "conditions": [{"kind": "event", "event": "clicked", "within_days": 30}]
    },
    "consented, no click in 30 days": {
        "consent": "granted",
        "conditions": [{"kind": "event", "event": "clicked", "within_days": 30, "did": False}],
    },
    "converted twice or more": {
        "conditions": [{"kind": "rfm", "measure": "frequency", "op": "gte", "value": 2}]
    },
    "spent > $100 in 90 days": {
        "conditions": [
            {"kind": "rfm", "measure": "monetary_usd", "op": "gt", "value": 100, "within_days": 90}
        ]
    },
    "lapsed buyers (> 30 days)": {
        "conditions": [{"kind": "rfm", "measure": "recency_days", "op": "gt", "value": 30}]
    },
    "pro, clicked 2+ in 60 days": {
        "conditions": [
            {"kind": "attribute", "key": "plan", "op": "eq", "value": "pro"},
            {"kind": "event", "event": "clicked", "within_days": 60, "min_count": 2},
        ]
    },
    "vip or bought this week": {
        "match": "any",
        "conditions": [
            {"kind": "tag", "tag": "vip"},
            {"kind": "event", "event": "converted", "within_days": 7},
        ],
    },
}


# Counted beside the ten (not saved: `GET /segments` lists the ten above).
MORE_RULES: dict[str, dict[str, Any]] = {
    "withdrawn": {"consent": "withdrawn"},
    "no consent recorded": {"conditions": [{"kind": "consent", "state": "none"}]},
}


def data(contacts: int, now: datetime, seed: int = 11) -> tuple[list[dict[str, Any]], ...]:
    """Contacts, consent records and events (see the module docstring)."""
    rng = random.Random(seed)
    people, consents, events = [], [], []
    for n in range(1, contacts + 1):
        people.append(
            {
                "id": n,
                "telegram_id": 1_000_000 + n,
                "first_name": f"P{n}",
                "language": None if rng.random() < 0.1 else rng.choice(LANGUAGES),
                "tags": rng.sample(TAGS, rng.randrange(4)),
                "attributes": {
                    "plan": rng.choice(["free", "free", "pro"]),
                    "spent": rng.randrange(300),
                    "city": rng.choice(["Berlin", "Paris", "Rome"]),
                },
                "created_at": now,
            }
        )
        draw = rng.random()
        if draw < 0.8:
            consents.append(
                {
                    "contact_id": n,
                    "sender_id": 1,
                    "purpose": "marketing",
                    "status": "granted" if draw < 0.7 else "withdrawn",
                    "source": "bench",
                    "proof": {},
                    "recorded_at": now,
                }
            )
        kinds = []
        if rng.random() < 0.3:
            kinds += ["clicked"] * rng.randrange(1, 4)
        if rng.random() < 0.08:
            kinds += ["converted"] * rng.randrange(1, 4)
        for kind in kinds:
            events.append(
                {
                    "type": kind,
                    "campaign_id": 1,
                    "variant_key": "A",
                    "contact_id": n,
                    "sender_id": 1,
                    "occurred_at": now - timedelta(seconds=rng.randrange(90 * 86400)),
                    "properties": {},
                    "value_usd_micros": rng.randrange(5, 200) * 1_000_000
                    if kind == "converted"
                    else None,
                    "anonymous_id": None,
                }
            )
    return people, consents, events


async def load(db: Database, tables: list[tuple[Table, list[dict[str, Any]]]]) -> float:
    started = time.perf_counter()
    for table, rows in tables:
        for start in range(0, len(rows), 20_000):
            async with db.session() as session:
                await session.execute(insert(table), rows[start : start + 20_000])
    async with db.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


async def best_of(n: int, call: Any) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(n):
        started = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - started)
    return min(times), result


def _cpu_of(pid: int | None) -> float:
    """CPU seconds of a local PostgreSQL backend so far (0 for SQLite, whose work is ours)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed_count(db: Database, segment_filter: SegmentFilter) -> tuple[float, float, int]:
    """Wall and CPU seconds of one count, and the count. CPU: this process's (SQLite runs in
    it) plus, on PostgreSQL, the backend's that ran it (its parallel workers are not counted)."""
    async with db.session() as session:
        pid = None
        if session.get_bind().dialect.name == "postgresql":
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
        cpu_started, backend_started = time.process_time(), _cpu_of(pid)
        started = time.perf_counter()
        size = await orchestrator.count_segment_filter(
            session=session, segment_filter=segment_filter
        )
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started + _cpu_of(pid) - backend_started
    return wall, cpu, size


async def measure(db: Database, label: str, *, rules: str | None = None, runs: int = 3) -> None:
    print(f"{label}: load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    only = None if rules is None else {r.strip() for r in rules.split(";")}
    for name, rule in {**RULES, **MORE_RULES}.items():
        if only is not None and name not in only:
            continue
        segment_filter = SegmentFilter.model_validate(rule)
        counted = [await timed_count(db, segment_filter) for _ in range(runs)]
        wall, cpu = min(r[0] for r in counted), min(r[1] for r in counted)
        size = counted[-1][2]
        print(
            f"{label}: {name:<32} {size:>9,} contacts  {wall * 1000:8.1f} ms"
            f"  (CPU {cpu * 1000:8.1f} ms)"
        )
    if only is not None:
        return

    started = time.perf_counter()
    async with db.session() as session:  # each save counts its segment once
        for name, rules in RULES.items():
            await orchestrator.create_segment(
                session=session,
                segment_in=SegmentCreate(name=name, filter=SegmentFilter.model_validate(rules)),
            )
        await session.commit()
    print(f"{label}: 10 segments saved (each counted) in {time.perf_counter() - started:.1f} s")

    async def list_all() -> int:
        async with db.session() as session:
            return len(await orchestrator.list_segments(session=session))

    tracemalloc.start()
    seconds, listed = await best_of(3, list_all)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"{label}: GET /segments ({listed} segments sized) {seconds * 1000:.0f} ms, "
        f"peak Python allocations {peak / 2**20:.1f} MB"
    )

    async def python_vip() -> int:  # the old way: every contact's tags decoded and matched
        async with db.session() as session:
            rows = await session.execute(select(Contact.id, Contact.tags, Contact.attributes))
            return sum(1 for _, tags, _attrs in rows if "vip" in (tags or ()))

    seconds, size = await best_of(3, python_vip)
    print(
        f"{label}: {'tag vip, in Python (old)':<32} {size:>9,} contacts  {seconds * 1000:8.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rules", help="only these rules, separated by ; (and no list)")
    parser.add_argument("--runs", type=int, default=3, help="best of this many counts")
    parser.add_argument(
        "--keep", action="store_true", help="PostgreSQL: keep the database, print its name"
    )
    parser.add_argument(
        "--reuse", help="PostgreSQL: measure a database kept by --keep (nothing loaded)"
    )
    args = parser.parse_args()
    if args.reuse:  # e.g. the old code measured on the data the new code's run loaded
        db = Database(POSTGRES.rsplit("/", 1)[0] + f"/{args.reuse}")
        try:
            await measure(db, "postgres", rules=args.rules, runs=args.runs)
        finally:
            await db.dispose()
        return

    people, consents, events = data(args.contacts, datetime.now(UTC))
    print(f"{len(people):,} contacts, {len(consents):,} consent records, {len(events):,} events")
    pg_name = None
    if args.backend == "sqlite":
        db = await _support.sqlite_database()
    else:
        db, pg_name = await postgres_database()
    try:
        # The tag rows every writer of tags keeps beside the contacts (contact_tags.py).
        tag_rows = [{"contact_id": p["id"], "tag": tag} for p in people for tag in p["tags"]]
        load_s = await load(
            db,
            [
                (Contact.__table__, people),  # type: ignore[list-item]
                (ContactTag.__table__, tag_rows),  # type: ignore[list-item]
                (ConsentRecord.__table__, consents),  # type: ignore[list-item]
                (Event.__table__, events),  # type: ignore[list-item]
            ],
        )
        del people, consents, events, tag_rows
        print(f"{args.backend}: loaded in {load_s:.1f} s")
        await measure(db, args.backend, rules=args.rules, runs=args.runs)
    finally:
        await db.dispose()
        if pg_name and args.keep:
            print(f"kept PostgreSQL database {pg_name}")
        elif pg_name:
            await drop(pg_name)


if __name__ == "__main__":
    asyncio.run(main())

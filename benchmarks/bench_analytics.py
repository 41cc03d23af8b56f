"""Analytics at scale: a 4-step funnel with a 7-day window and campaign stats over N events.

Run: .venv/bin/python benchmarks/bench_analytics.py [--events 1000000] [--backend sqlite|postgres]
     [--duckdb]  (also time the same queries in DuckDB on the same rows, in the Python named
     by MA_BENCH_DUCKDB_PYTHON: see duckdb_side.py)

The data: 80 % of the events belong to the largest campaign (two variants), the rest to 20
others. Each person of a campaign is sent the message; 95 % have it delivered within a minute,
20 % click within two days, 5 % of all convert within ten days (so the 7-day window matters).
Rows go in with Core executemany plus the journeys and counts every writer keeps (ingestion
has its own benchmark); times are of the service calls the API makes, warm (best of 3), after
ANALYZE. Also: the funnel broken down by variant and by sender, and a funnel with a repeated
step out of order (the exact walk of "ambiguous" people).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _support
from bench_pipeline import drop, postgres_database
from sqlalchemy import Table, insert, text

from marketing_agent.analytics import journeys
from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.models import Event
from marketing_agent.core.db import Database

T0 = datetime(2026, 3, 1, tzinfo=UTC)
STEPS = [
    analytics.EventType.SENT,
    analytics.EventType.DELIVERED,
    analytics.EventType.CLICKED,
    analytics.EventType.CONVERTED,
]
BIG = 1  # the largest campaign's id
WINDOW = timedelta(days=7)
CPU: dict[str, float] = {}  # the best CPU seconds of each measured call, by its name


def rows(events: int, seed: int = 7) -> list[dict[str, Any]]:
    """About `events` events (see the module docstring), oldest campaign first."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    per_person = 1 + 0.95 + 0.20 + 0.05
    plan = [(BIG, int(events * 0.8 / per_person))]
    plan += [(c, int(events * 0.2 / per_person / 20)) for c in range(2, 22)]
    person = 0
    for campaign, people in plan:
        for _ in range(people):
            person += 1
            variant = "A" if person % 2 else "B"
            sent = T0 + timedelta(seconds=rng.randrange(3 * 86400))

            def add(
                kind: str,
                at: datetime,
                value: int | None = None,
                campaign: int = campaign,
                variant: str = variant,
                person: int = person,
            ) -> None:
                out.append(
                    {
                        "type": kind,
                        "campaign_id": campaign,
                        "variant_key": variant,
                        "contact_id": person,
                        "sender_id": 1,
                        "occurred_at": at,
                        "properties": {},
                        "value_usd_micros": value,
                        "anonymous_id": None,
                    }
                )

            add("sent", sent)
            if rng.random() < 0.95:
                add("delivered", sent + timedelta(seconds=rng.randrange(60)))
            if rng.random() < 0.20:
                clicked = sent + timedelta(seconds=rng.randrange(2 * 86400))
                add("clicked", clicked)
                if rng.random() < 0.25:
                    converted = clicked + timedelta(seconds=rng.randrange(10 * 86400))
                    add("converted", converted, rng.randrange(5, 200) * 1_000_000)
    return out


async def load(db: Database, data: list[dict[str, Any]]) -> tuple[float, float]:
    """The events and the journeys and counts kept in the same transaction, 20,000 a batch,
    through `analytics.write_rows` (what every writer of events calls; on older code, Core
    executemany and `journeys.maintain`); returns the wall and CPU seconds."""
    table: Table = Event.__table__  # type: ignore[assignment]
    write_rows = getattr(analytics, "write_rows", None)
    started, cpu_started = time.perf_counter(), time.process_time()
    for start in range(0, len(data), 20_000):
        async with db.session() as session:
            if write_rows is not None:
                await write_rows(session, data[start : start + 20_000])
                continue
            await session.execute(insert(table), data[start : start + 20_000])
            await journeys.maintain(session, data[start : start + 20_000])
    async with db.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    return time.perf_counter() - started, time.process_time() - cpu_started


async def best_of(n: int, call: Any) -> tuple[float, Any]:
    """The best wall time of n calls and the last result; the best CPU time is kept in CPU."""
    times, cpus, result = [], [], None
    for _ in range(n):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = await call()
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
    CPU[call.__name__] = min(cpus)
    return min(times), result


async def measure(db: Database, label: str) -> dict[str, Any]:
    async def funnel() -> Any:
        async with db.session() as session:
            return await analytics.funnel(
                session=session, campaign_id=BIG, steps=STEPS, window=WINDOW
            )

    async def stats() -> Any:
        async with db.session() as session:
            return await analytics.campaign_stats(session=session, campaign_id=BIG)

    async def of_variant() -> Any:
        async with db.session() as session:
            return await analytics.funnel(
                session=session, campaign_id=BIG, steps=STEPS, window=WINDOW, variant_key="A"
            )

    funnel_s, result = await best_of(3, funnel)
    stats_s, _ = await best_of(3, stats)
    variant_s, of_a = await best_of(3, of_variant)
    counts = [s.count for s in result.steps]
    print(
        f"{label}: funnel {funnel_s:.3f} s (CPU {CPU['funnel']:.3f} s) {counts}; "
        f"campaign stats {stats_s:.3f} s (CPU {CPU['stats']:.3f} s)"
    )
    print(f"{label}: funnel of variant A {variant_s:.3f} s {[s.count for s in of_a.steps]}")
    if "sender_id" in analytics.Funnel.model_fields:

        async def of_sender() -> Any:
            async with db.session() as session:
                return await analytics.funnel(
                    session=session, campaign_id=BIG, steps=STEPS, window=WINDOW, sender_id=1
                )

        sender_s, of_one = await best_of(3, of_sender)
        print(f"{label}: funnel of sender 1 {sender_s:.3f} s {[s.count for s in of_one.steps]}")
    return {"funnel_s": funnel_s, "stats_s": stats_s, "counts": counts}


def duckdb_side(data: list[dict[str, Any]]) -> None:
    """Times the same funnel and stats in DuckDB on the same rows, in the Python named by
    MA_BENCH_DUCKDB_PYTHON (one that has duckdb: it is not a dependency), through a CSV file."""
    python = os.environ.get("MA_BENCH_DUCKDB_PYTHON")
    if not python:
        print("duckdb: skipped (set MA_BENCH_DUCKDB_PYTHON to a Python that has duckdb)")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["type", "campaign_id", "variant_key", "contact_id", "occurred_at"])
            writer.writerows(
                (r["type"], r["campaign_id"], r["variant_key"], r["contact_id"],
                 journeys.micros(r["occurred_at"]))
                for r in data
            )  # fmt: skip
        script = Path(__file__).with_name("duckdb_side.py")
        subprocess.run([python, str(script), str(path)], check=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duckdb", action="store_true")
    args = parser.parse_args()

    data = rows(args.events)
    big = sum(1 for r in data if r["campaign_id"] == BIG)
    print(f"{len(data):,} events, {big:,} in the largest campaign")
    pg_name = None
    if args.backend == "sqlite":
        db = await _support.sqlite_database()
    else:
        db, pg_name = await postgres_database()
    try:
        load_s, load_cpu_s = await load(db, data)
        print(
            f"{args.backend}: loaded in {load_s:.1f} s ({len(data) / load_s:,.0f} rows/s), "
            f"CPU of this process {load_cpu_s:.1f} s; load average "
            + " ".join(f"{x:.1f}" for x in os.getloadavg())
        )
        await measure(db, args.backend)
    finally:
        await db.dispose()
        if pg_name:
            await drop(pg_name)
    if args.duckdb:
        duckdb_side(data)
    _ = statistics  # (kept for ad-hoc percentiles when profiling)


if __name__ == "__main__":
    asyncio.run(main())

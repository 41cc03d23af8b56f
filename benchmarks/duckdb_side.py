"""The funnel and campaign stats of bench_analytics.py in DuckDB, on the same events.

Run by bench_analytics.py --duckdb with the Python named by MA_BENCH_DUCKDB_PYTHON (a virtual
environment that has duckdb; DuckDB is not a dependency of the project):
  python3 -m venv /tmp/duckvenv && /tmp/duckvenv/bin/pip install duckdb
  MA_BENCH_DUCKDB_PYTHON=/tmp/duckvenv/bin/python python benchmarks/bench_analytics.py --duckdb

Reads the events from a CSV file (type, campaign_id, variant_key, contact_id, occurred_at in
microseconds since the epoch) into an in-memory table, then times, warm, best of 3: the 4-step
funnel with the 7-day window from each person's entry into step 1 (each step at or after the
previous one, as analytics.funnel defines it) and distinct people per variant and type. Only the
standard library and duckdb are imported.
"""

from __future__ import annotations

import os
import sys
import time

import duckdb

FUNNEL = """
WITH s0 AS (SELECT contact_id p, min(occurred_at) reached, min(occurred_at) entered FROM events
            WHERE campaign_id = 1 AND type = 'sent' GROUP BY 1),
s1 AS (SELECT s0.p, min(e.occurred_at) reached, s0.entered FROM s0 JOIN events e
       ON e.contact_id = s0.p
       AND e.campaign_id = 1 AND e.type = 'delivered' AND e.occurred_at >= s0.reached
       AND e.occurred_at <= s0.entered + INTERVAL 7 DAY GROUP BY 1, 3),
s2 AS (SELECT s1.p, min(e.occurred_at) reached, s1.entered FROM s1 JOIN events e
       ON e.contact_id = s1.p
       AND e.campaign_id = 1 AND e.type = 'clicked' AND e.occurred_at >= s1.reached
       AND e.occurred_at <= s1.entered + INTERVAL 7 DAY GROUP BY 1, 3),
s3 AS (SELECT s2.p, min(e.occurred_at) reached, s2.entered FROM s2 JOIN events e
       ON e.contact_id = s2.p
       AND e.campaign_id = 1 AND e.type = 'converted' AND e.occurred_at >= s2.reached
       AND e.occurred_at <= s2.entered + INTERVAL 7 DAY GROUP BY 1, 3)
SELECT (SELECT count(*) FROM s0), (SELECT count(*) FROM s1), (SELECT count(*) FROM s2),
       (SELECT count(*) FROM s3)"""
STATS = """
SELECT coalesce(variant_key, '*'), type, count(DISTINCT contact_id) FROM events
WHERE campaign_id = 1 GROUP BY GROUPING SETS ((variant_key, type), (type))"""


def best_of(
    con: duckdb.DuckDBPyConnection, sql: str, n: int = 3
) -> tuple[float, float, list[tuple[object, ...]]]:
    """The best wall time, the best CPU time (DuckDB's threads included) and the rows."""
    walls, cpus, rows = [], [], []
    for _ in range(n):
        started, cpu_started = time.perf_counter(), time.process_time()
        rows = con.execute(sql).fetchall()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
    return min(walls), min(cpus), rows


def main() -> None:
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(
        "CREATE TABLE events AS SELECT type, campaign_id, variant_key, contact_id,"
        " make_timestamp(occurred_at) AS occurred_at FROM read_csv(?, header = true,"
        " columns = {'type': 'VARCHAR', 'campaign_id': 'BIGINT', 'variant_key': 'VARCHAR',"
        " 'contact_id': 'BIGINT', 'occurred_at': 'BIGINT'})",
        [sys.argv[1]],
    )
    load_s = time.perf_counter() - started
    funnel_s, funnel_cpu_s, funnel = best_of(con, FUNNEL)
    stats_s, stats_cpu_s, stats = best_of(con, STATS)
    threads = (con.execute("SELECT current_setting('threads')").fetchone() or ["?"])[0]
    print(
        f"duckdb {duckdb.__version__} ({threads} threads): loaded in {load_s:.2f} s; "
        f"funnel {funnel_s:.3f} s (CPU {funnel_cpu_s:.3f} s) "
        f"{list(funnel[0])}; campaign stats {stats_s:.3f} s (CPU {stats_cpu_s:.3f} s, "
        f"{len(stats)} counts); load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )


if __name__ == "__main__":
    main()

"""Conversions ingested over HTTP: POST /api/v1/analytics/conversions, batches of 1,000, embedded.

Run: .venv/bin/python benchmarks/bench_ingest_http.py [--events 20000]

A uvicorn server on loopback (the app as `make run` builds it, SQLite), an analyst's API token,
and conversions attributed by contact id to a `sent` event of theirs (each is schema-checked,
attributed within the window and recorded once by (source, id)), folded into the journeys and
counts the funnels and stats read, in the same transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import threading
import time
from datetime import timedelta

import _support
import httpx
import uvicorn
from sqlalchemy import Table, insert

from marketing_agent.analytics import service as analytics_service
from marketing_agent.analytics.models import Event
from marketing_agent.core import clock
from marketing_agent.core.auth import Role
from marketing_agent.gateway.app import UVICORN_OPTIONS, create_app
from marketing_agent.gateway.schemas import UserCreate
from marketing_agent.gateway.service import create_user
from marketing_agent.telegram import service as telegram

BATCH = 1000


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    db = await _support.sqlite_database()
    settings = _support.settings().model_copy(
        update={"database_url": db.url, "run_worker": False, "run_scheduler": False,
                "api_rate_per_min": 10**9}
    )  # fmt: skip
    now = clock.now()
    await _support.seed(
        db, transports=telegram.open_transports(), contacts=args.events, profile="bot"
    )  # contacts 1..N, consenting
    async with db.session() as session:
        await create_user(
            session=session,
            user_in=UserCreate(username="bench", password="bench-password-1234", role=Role.ANALYST),
            actor="bench",
        )
        table: Table = Event.__table__  # type: ignore[assignment]
        sends = [
            {"type": "sent", "campaign_id": 1, "variant_key": "A", "contact_id": i,
             "occurred_at": now - timedelta(hours=1), "properties": {}}
            for i in range(1, args.events + 1)
        ]  # fmt: skip
        await session.execute(insert(table), sends)
        if hasattr(analytics_service, "journeys"):  # (this benchmark also runs on older code)
            await analytics_service.journeys.maintain(session, sends)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="error", **UVICORN_OPTIONS
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # noqa: ASYNC110 (another thread's flag)
        await asyncio.sleep(0.05)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            token = (
                await client.post(
                    "/api/v1/auth/login",
                    json={"username": "bench", "password": "bench-password-1234"},
                )
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            # The bodies are encoded before the clock starts: a shop's encoding is its own CPU.
            bodies = [
                json.dumps(
                    {"source": "shop", "events": [
                        {"id": f"order-{i}", "occurred_at": now.isoformat(), "value": "19.90",
                         "currency": "USD", "contact_id": i}
                        for i in range(start, min(start + BATCH, args.events + 1))
                    ]}
                ).encode()
                for start in range(1, args.events + 1, BATCH)
            ]  # fmt: skip
            started, cpu_started = time.perf_counter(), time.process_time()
            client_started = time.thread_time()  # this thread is the client; the rest serve
            recorded = 0
            for body in bodies:
                response = await client.post(
                    "/api/v1/analytics/conversions", content=body, headers=headers
                )
                response.raise_for_status()
                recorded += response.json()["recorded"]
            elapsed = time.perf_counter() - started
            client_s = time.thread_time() - client_started
            server_s = time.process_time() - cpu_started - client_s
        print(
            f"{recorded:,} conversions in {elapsed:.1f} s: {recorded / elapsed:,.0f} events/s; "
            f"server CPU {server_s:.2f} s ({recorded / server_s:,.0f} events per CPU second; "
            f"its threads: uvicorn's and SQLite's), client CPU {client_s:.2f} s; "
            f"load average {_load()}"
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())

"""A large CSV import beside /healthz: how long the import takes, how slow /healthz gets while
it runs (both share the API process's event loop), and how many consent records a re-import of
the same file adds (0 wanted). `MA_BENCH_IMPORT_ROWS` sets the size (default 100,000)."""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import httpx
from _support import settings, sqlite_database  # type: ignore[import-not-found]
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from marketing_agent.core.auth import Role
from marketing_agent.gateway import service as gateway
from marketing_agent.gateway.app import create_app
from marketing_agent.gateway.schemas import UserCreate
from marketing_agent.telegram import service as telegram

ROWS = int(os.environ.get("MA_BENCH_IMPORT_ROWS", "100000"))
PASSWORD = "benchmark password"


def csv_file(rows: int) -> bytes:
    lines = ["telegram_id,first_name,language,tags,consent_at,consent_proof,city"]
    lines += [
        f"{10_000 + i},Name{i},en,vip;boots,2026-05-01T10:00:00Z,/start from the shop,Berlin"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


async def probe_healthz(client: httpx.AsyncClient, done: asyncio.Event) -> list[float]:
    latencies = []
    while not done.is_set():
        started = time.perf_counter()
        response = await client.get("/healthz")
        assert response.status_code == 200
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    return latencies


async def timed_import(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes, sender_id: int
) -> tuple[float, dict[str, int], list[float]]:
    done = asyncio.Event()
    probe = asyncio.create_task(probe_healthz(client, done))
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    response = await client.post(
        f"/api/v1/orchestrator/contacts/import?sender_id={sender_id}&lawful_basis=consent",
        headers=headers,
        files={"file": ("contacts.csv", data, "text/csv")},
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    done.set()
    latencies = await probe
    assert response.status_code == 200, response.text[:500]
    return elapsed, response.json(), latencies


async def main() -> None:
    db = await sqlite_database()
    config = settings().model_copy(
        update={"run_worker": False, "run_scheduler": False, "max_import_bytes": 100_000_000}
    )
    async with db.session() as session:
        await gateway.create_user(
            session=session,
            user_in=UserCreate(username="bench", password=PASSWORD, role=Role.ADMIN),
            actor="bench",
        )
        sender_id = (await telegram.ensure_demo_sender(session=session)).id
    app = create_app(config, database=db)
    data = csv_file(ROWS)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await client.post(
                "/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            for label in ("first import", "re-import"):
                elapsed, result, latencies = await timed_import(client, headers, data, sender_id)
                async with db.session() as session:
                    consents = await session.scalar(
                        text("SELECT count(*) FROM compliance_consent_records")
                    )
                print(
                    f"{label}: {ROWS} rows ({len(data) / 1e6:.1f} MB) in {elapsed:.1f} s; "
                    f"result {result}; consent records now {consents}; "
                    f"/healthz during it: {len(latencies)} probes, "
                    f"median {statistics.median(latencies) * 1000:.0f} ms, "
                    f"max {max(latencies) * 1000:.0f} ms"
                )
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())

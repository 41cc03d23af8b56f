"""Live counts over server-sent events, through real HTTP on loopback: counts arrive as events
are recorded (by any process), a reconnect resumes, and the stream ends with the sending."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from marketing_agent.analytics import live
from marketing_agent.analytics import service as analytics
from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.gateway.app import UVICORN_OPTIONS, create_app
from tests.analytics.factories import journey, make_campaign
from tests.factories import headers_for


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "POLL_S", 0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _api_process(settings: Settings, db: Database) -> Iterator[str]:
    """An API server of its own (own app, event loop and engine) on the shared database."""
    port = _free_port()
    app = create_app(settings.model_copy(update={"database_url": db.url}))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", **UVICORN_OPTIONS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, str | None, dict]]:
    """(event, id, data) of each server-sent event, as a browser's EventSource parses them."""
    name, event_id, data = "message", None, []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield name, event_id, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("id: "):
            event_id = line.removeprefix("id: ")
        elif line.startswith("data: "):
            data.append(line.removeprefix("data: "))


Sse = tuple[str, str | None, dict]


async def _next(events: AsyncIterator[Sse]) -> Sse:
    return await anext(events)


async def test_counts_arrive_as_a_worker_records_them_and_end_with_the_sending(
    db: Database, settings: Settings
) -> None:
    cid = await make_campaign(db, settings, sender_kind="bot")
    with _api_process(settings, db) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            viewer = await headers_for(client, db, Role.VIEWER)
            admin = await headers_for(client, db, Role.ADMIN)
            path = f"/api/v1/analytics/campaigns/{cid}/live"
            async with client.stream("GET", path, headers=viewer) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                events = _events(response)
                name, _, first = await _next(events)
                assert (name, first["totals"]["sent"]) == ("counts", 0)
                assert first["totals"]["read"] is None  # a bot: reads unknown, not zero

                # What a worker (another process) records shows without asking again.
                async with db.session() as session:
                    await analytics.record_events(
                        session=session,
                        events=[
                            *journey(1, ["sent", "delivered"], campaign_id=cid),
                            *journey(2, ["sent"], campaign_id=cid, variant_key="B"),
                        ],
                    )
                name, last_id, counts = await _next(events)
                assert name == "counts"
                assert counts["totals"]["sent"] == 2
                assert {v["variant_key"]: v["sent"] for v in counts["variants"]} == {
                    "A": 1,
                    "B": 1,
                }

                cancelled = await client.post(
                    f"/api/v1/orchestrator/campaigns/{cid}/cancel", headers=admin
                )
                assert cancelled.status_code == 200, cancelled.text
                name, _, end = await _next(events)
                assert name == "end" and end["reason"]
                with pytest.raises(StopAsyncIteration):  # the server closed the stream
                    await _next(events)
            assert last_id is not None


async def test_a_reconnect_gets_only_what_it_missed(db: Database, settings: Settings) -> None:
    cid = await make_campaign(db, settings, sender_kind="user")
    async with db.session() as session:
        await analytics.record_events(session=session, events=journey(1, ["sent"], campaign_id=cid))
    with _api_process(settings, db) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            viewer = await headers_for(client, db, Role.VIEWER)
            path = f"/api/v1/analytics/campaigns/{cid}/live"
            async with client.stream("GET", path, headers=viewer) as response:
                _, seen, counts = await _next(_events(response))
            assert counts["totals"]["sent"] == 1 and seen is not None

            # Missed while away: the reconnect's first message is the new count.
            async with db.session() as session:
                await analytics.record_events(
                    session=session, events=journey(2, ["sent", "read"], campaign_id=cid)
                )
            resumed = {**viewer, "Last-Event-ID": seen}
            async with client.stream("GET", path, headers=resumed) as response:
                _, newer, counts = await _next(_events(response))
            assert counts["totals"] | {"sent": 2, "read": 1} == counts["totals"]
            assert newer is not None and int(newer) > int(seen)

            # Nothing missed, sending over: no counts again, only the end.
            admin = await headers_for(client, db, Role.ADMIN)
            await client.post(f"/api/v1/orchestrator/campaigns/{cid}/cancel", headers=admin)
            async with client.stream(
                "GET", path, headers={**viewer, "Last-Event-ID": newer}
            ) as response:
                received = [name async for name, _, _ in _events(response)]
            assert received == ["end"]


async def test_two_api_processes_show_the_same_counts(db: Database, settings: Settings) -> None:
    cid = await make_campaign(db, settings, sender_kind="bot")
    with _api_process(settings, db) as first, _api_process(settings, db) as second:
        async with (
            httpx.AsyncClient(base_url=first, timeout=20) as one,
            httpx.AsyncClient(base_url=second, timeout=20) as two,
        ):
            analyst = await headers_for(one, db, Role.ANALYST)
            viewer = await headers_for(two, db, Role.VIEWER)
            path = f"/api/v1/analytics/campaigns/{cid}/live"
            async with two.stream("GET", path, headers=viewer) as response:
                events = _events(response)
                await _next(events)
                posted = await one.post(
                    "/api/v1/analytics/events",
                    json={"type": "sent", "campaign_id": cid, "variant_key": "A"},
                    headers=analyst,
                )
                assert posted.status_code == 201, posted.text
                _, _, counts = await _next(events)
            assert counts["totals"]["sent"] == 1


async def test_live_counts_of_a_missing_campaign_are_404(db: Database, settings: Settings) -> None:
    with _api_process(settings, db) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            viewer = await headers_for(client, db, Role.VIEWER)
            response = await client.get("/api/v1/analytics/campaigns/99999/live", headers=viewer)
    assert response.status_code == 404

"""The right to erasure, proven: a person seeded through every module is erased, then the whole
database (every table and column, and on SQLite the file's raw bytes) and the logs hold none of
their identifiers, the aggregates are unchanged and the audit chain still verifies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import inspect, text
from structlog.testing import capture_logs

from marketing_agent.core import clock
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows
from marketing_agent.telegram.transport import InboundEvent
from tests.factories import headers_for, make_contacts, make_sender, start_bot
from tests.orchestrator.test_flows import run_until_idle

TELEGRAM_ID = 5_550_001_234
USERNAME = "zephy_erasure"
FIRST_NAME = "Zephyrine"
NEEDLES = (str(TELEGRAM_ID), USERNAME.lower(), FIRST_NAME.lower())


@pytest.fixture
async def erasure_app(
    any_db: Database, tmp_path: Path, virtual_clock: VirtualClock
) -> AsyncIterator[FastAPI]:
    from marketing_agent.gateway.app import create_app

    settings = Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-" + "x" * 32,  # type: ignore[arg-type]
        run_worker=False,
        run_scheduler=False,
        log_json=True,
        log_level="DEBUG",  # every log line there is, searched for the person afterwards
        login_rate_per_min=1000,
        api_rate_per_min=100000,
        llm_provider="offline",
        quiet_hours="off",
    )
    application = create_app(settings, database=any_db)
    async with LifespanManager(application):
        yield application


async def _inbound(db: Database, sender_id: int, *events: InboundEvent) -> None:
    async with db.session() as session:
        await flows.handle_inbound(session=session, sender_id=sender_id, events=list(events))


def _event(kind: str, **fields: Any) -> InboundEvent:
    return InboundEvent(kind=kind, chat_id=TELEGRAM_ID, occurred_at=clock.now(), **fields)  # type: ignore[arg-type]


async def _seed_the_person(
    client: httpx.AsyncClient, db: Database, headers: dict[str, str]
) -> tuple[int, int, int]:
    """Subscribes the person through the bot, sends them a campaign with two others, and lets
    them reply and click; returns (contact id, campaign id, sender id)."""
    sender_id = await make_sender(db)
    start_bot(db, sender_id, [TELEGRAM_ID])  # they opened the bot in Telegram, so it may write
    profile = {"username": USERNAME, "first_name": FIRST_NAME, "source": "winter"}
    await _inbound(db, sender_id, _event("start", text="/start winter", payload=profile))
    await _inbound(db, sender_id, _event("consent_yes", payload=profile))
    await make_contacts(db, 2, sender_id=sender_id)
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    contact_id = next(c["id"] for c in contacts["items"] if c["telegram_id"] == TELEGRAM_ID)

    campaign = await client.post(
        "/api/v1/orchestrator/campaigns",
        json={
            "name": "Boots",
            "goal": "Boots sale",
            "variants": [{"text": "Hi {first_name}, boots are 20% off."}, {"text": "Boots, 20%!"}],
        },
        headers=headers,
    )
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["id"]
    await client.post(f"/api/v1/orchestrator/campaigns/{campaign_id}/submit", headers=headers)
    await run_until_idle(db)
    clock_ = clock.get_clock()
    assert isinstance(clock_, VirtualClock)
    clock_.advance(300)
    await _inbound(
        db,
        sender_id,
        _event("reply", text=f"I am {FIRST_NAME} (@{USERNAME}), tell me more"),
        _event("click", payload={"data": f"size-{USERNAME}"}),
    )
    # A campaign written by the strategist (agent usage) and one waiting for review.
    for goal in ("Announce our winter boots sale", "Guaranteed results: act now, double money"):
        created = await client.post(
            "/api/v1/orchestrator/campaigns",
            json={"name": goal[:20], "goal": goal, "variant_count": 1},
            headers=headers,
        )
        assert created.status_code == 201, created.text
    return contact_id, campaign_id, sender_id


async def _cells(db: Database) -> list[tuple[str, str, str]]:
    """Returns every cell of every table of the live schema, as text: (table, column, value)."""
    found: list[tuple[str, str, str]] = []
    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        for table in tables:
            result = await connection.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    shown = value if isinstance(value, str) else json.dumps(value, default=str)
                    found.append((table, column, shown.lower()))
    return found


async def _hits(db: Database) -> list[tuple[str, str, str]]:
    return [cell for cell in await _cells(db) if any(n in cell[2] for n in NEEDLES)]


async def test_erasure_leaves_no_trace_keeps_aggregates_and_the_chain(
    erasure_app: FastAPI, any_db: Database
) -> None:
    with capture_logs() as logs:
        await _seed_erase_and_search(erasure_app, any_db)
    logged = json.dumps(logs, default=str).lower()
    assert '"contact.erased"' in logged, "the logs must have been captured"
    assert [n for n in NEEDLES if n in logged] == []


async def _exports(
    client: httpx.AsyncClient, headers: dict[str, str], campaign_id: int
) -> dict[str, str]:
    """Every export an operator can download, lower-cased: contacts and deliveries as CSV, the
    audit log as JSON lines."""
    urls = {
        "contacts": "/api/v1/orchestrator/contacts/export",
        "deliveries": f"/api/v1/orchestrator/campaigns/{campaign_id}/deliveries/export",
        "audit": "/api/v1/compliance/audit/export",
    }
    bodies = {}
    for name, url in urls.items():
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, (name, response.text)
        bodies[name] = response.text.lower()
    return bodies


async def _seed_erase_and_search(erasure_app: FastAPI, db: Database) -> None:
    transport = httpx.ASGITransport(app=erasure_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        headers = await headers_for(client, db)
        contact_id, campaign_id, _ = await _seed_the_person(client, db, headers)
        assert await _hits(db), "the seed must have put the person in the database"
        stats_url = f"/api/v1/analytics/campaigns/{campaign_id}/stats"
        campaign_url = f"/api/v1/orchestrator/campaigns/{campaign_id}"
        stats_before = (await client.get(stats_url, headers=headers)).json()
        counts_before = (await client.get(campaign_url, headers=headers)).json()["delivery_counts"]
        assert stats_before["totals"]["sent"] == 3 and stats_before["totals"]["replied"] == 1
        exports = await _exports(client, headers, campaign_id)
        assert any(n in exports["contacts"] for n in NEEDLES), "the export must have held them"

        erased = await client.post(
            "/api/v1/compliance/erasures", json={"contact_id": contact_id}, headers=headers
        )
        assert erased.status_code == 200, erased.text
        assert erased.json()["events_anonymised"] >= 4  # sent, delivered, replied, clicked

        assert await _hits(db) == []
        assert (await client.get(stats_url, headers=headers)).json() == stats_before
        counts_after = (await client.get(campaign_url, headers=headers)).json()["delivery_counts"]
        assert counts_after == counts_before
        verify = (await client.get("/api/v1/compliance/audit/verify", headers=headers)).json()
        assert verify["ok"] is True, verify
        audit = (
            await client.get(
                "/api/v1/compliance/audit",
                params={"entity_type": "contact", "entity_id": str(contact_id)},
                headers=headers,
            )
        ).json()["items"]
        assert audit[0]["action"] == "contact.erased"
        again = await client.post(
            "/api/v1/compliance/erasures", json={"contact_id": contact_id}, headers=headers
        )
        assert again.status_code == 404
        exported = await _exports(client, headers, campaign_id)
        assert exported["deliveries"].count("\n") == exports["deliveries"].count("\n")
        for name, body in exported.items():
            assert [n for n in NEEDLES if n in body] == [], f"the {name} export names them"

    if db.is_sqlite:  # the file itself: no free page or write-ahead frame keeps the old rows
        path = Path(db.engine.url.database or "")
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")).lower()
        assert [n for n in NEEDLES if n.encode() in raw] == []

"""Data-subject requests: deadlines on the virtual clock, identity first, and each kind carried
out: access gives a JSON export, erasure erases, rectification corrects, objection stops sends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from marketing_agent.cli import app as cli
from marketing_agent.compliance.requests import due_date
from marketing_agent.compliance.schemas import Regime
from marketing_agent.core.clock import VirtualClock
from tests.factories import database_of, headers_for, make_contacts, make_sender

DAY_S = 86_400


@pytest.mark.parametrize(
    ("received", "regime", "due"),
    [
        (datetime(2026, 1, 31, 9, tzinfo=UTC), Regime.GDPR, datetime(2026, 2, 28, 9, tzinfo=UTC)),
        (datetime(2026, 3, 15, 9, tzinfo=UTC), Regime.GDPR, datetime(2026, 4, 15, 9, tzinfo=UTC)),
        (datetime(2026, 12, 31, 9, tzinfo=UTC), Regime.GDPR, datetime(2027, 1, 31, 9, tzinfo=UTC)),
        (datetime(2026, 1, 31, 9, tzinfo=UTC), Regime.CCPA, datetime(2026, 3, 17, 9, tzinfo=UTC)),
    ],
)
def test_deadline_is_one_calendar_month_or_45_days(
    received: datetime, regime: Regime, due: datetime
) -> None:
    assert due_date(regime, received) == due


async def _request(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> dict[str, object]:
    response = await client.post("/api/v1/compliance/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _verify(client: httpx.AsyncClient, headers: dict[str, str], request_id: object) -> None:
    verified = await client.post(
        f"/api/v1/compliance/requests/{request_id}/verify",
        json={"method": "message from their own Telegram account to our bot"},
        headers=headers,
    )
    assert verified.status_code == 200, verified.text


async def test_an_open_request_becomes_overdue_on_the_clock_and_a_closed_one_does_not(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender_id = await make_sender(db)
    [contact_id] = await make_contacts(db, 1, sender_id=sender_id)
    gdpr = await _request(client, headers, kind="objection", contact_id=contact_id)
    ccpa = await _request(
        client, headers, kind="ccpa_opt_out", regime="ccpa", contact_id=contact_id
    )

    def overdue(rows: list[dict[str, object]]) -> dict[object, object]:
        return {r["id"]: r["overdue"] for r in rows}

    listed = (await client.get("/api/v1/compliance/requests", headers=headers)).json()
    assert overdue(listed) == {gdpr["id"]: False, ccpa["id"]: False}
    virtual_clock.advance(31 * DAY_S + 1)  # 1 Jan + a month = 1 Feb: GDPR's deadline passed
    headers = await headers_for(client, db)  # the login of a month ago has expired
    listed = (await client.get("/api/v1/compliance/requests", headers=headers)).json()
    assert overdue(listed) == {gdpr["id"]: True, ccpa["id"]: False}
    await _verify(client, headers, ccpa["id"])
    done = await client.post(f"/api/v1/compliance/requests/{ccpa['id']}/complete", headers=headers)
    assert done.status_code == 200, done.text
    virtual_clock.advance(30 * DAY_S)
    headers = await headers_for(client, db)
    listed = (await client.get("/api/v1/compliance/requests", headers=headers)).json()
    assert overdue(listed) == {gdpr["id"]: True, ccpa["id"]: False}

    env = {"MA_DATABASE_URL": str(db.engine.url), "MA_SECRET_KEY": "k" * 40, "COLUMNS": "200"}
    shown = await asyncio.to_thread(CliRunner().invoke, cli, ["privacy", "requests"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "OVERDUE" in shown.output and "ccpa_opt_out" in shown.output


async def test_nothing_is_done_before_the_identity_is_verified(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    [contact_id] = await make_contacts(db, 1, sender_id=None)
    request = await _request(client, headers, kind="erasure", contact_id=contact_id)
    refused = await client.post(
        f"/api/v1/compliance/requests/{request['id']}/complete", headers=headers
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    assert contact_id in [c["id"] for c in contacts["items"]]


async def test_access_request_exports_everything_and_erasure_request_erases(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender_id = await make_sender(db)
    [contact_id] = await make_contacts(db, 1, sender_id=sender_id)
    access = await _request(client, headers, kind="access", contact_id=contact_id)
    await _verify(client, headers, access["id"])
    done = (
        await client.post(f"/api/v1/compliance/requests/{access['id']}/complete", headers=headers)
    ).json()
    assert done["status"] == "completed" and "consent decision" in done["outcome"]
    export = (
        await client.get(f"/api/v1/compliance/requests/{access['id']}/export", headers=headers)
    ).json()
    assert export["profile"]["first_name"].startswith("Person")
    assert [c["status"] for c in export["consents"]] == ["granted"]
    assert export["summary"] == done["outcome"]

    erasure = await _request(client, headers, kind="erasure", contact_id=contact_id)
    await _verify(client, headers, erasure["id"])
    erased = await client.post(
        f"/api/v1/compliance/requests/{erasure['id']}/complete", headers=headers
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["contact_id"] is None
    # The earlier access export went with the person; the requests' trail stays.
    gone = await client.get(f"/api/v1/compliance/requests/{access['id']}/export", headers=headers)
    assert gone.status_code == 404
    trail = (
        await client.get(
            "/api/v1/compliance/audit", params={"entity_type": "privacy_request"}, headers=headers
        )
    ).json()["items"]
    assert [e["action"] for e in trail][:3] == [
        "privacy_request.completed",
        "privacy_request.verified",
        "privacy_request.received",
    ]
    verify = (await client.get("/api/v1/compliance/audit/verify", headers=headers)).json()
    assert verify["ok"] is True


async def test_rectification_corrects_and_objection_stops_marketing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender_id = await make_sender(db)
    [contact_id] = await make_contacts(db, 1, sender_id=sender_id)
    bad = await _request(
        client, headers, kind="rectification", contact_id=contact_id, details={"changes": {"x": 1}}
    )
    await _verify(client, headers, bad["id"])
    refused = await client.post(
        f"/api/v1/compliance/requests/{bad['id']}/complete", headers=headers
    )
    assert refused.status_code == 422
    fix = await _request(
        client,
        headers,
        kind="rectification",
        contact_id=contact_id,
        details={"changes": {"first_name": "Ada"}},
    )
    await _verify(client, headers, fix["id"])
    fixed = await client.post(f"/api/v1/compliance/requests/{fix['id']}/complete", headers=headers)
    assert fixed.json()["details"] == {} and fixed.json()["result"] == {"fields": ["first_name"]}
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    assert [c["first_name"] for c in contacts["items"] if c["id"] == contact_id] == ["Ada"]

    objection = await _request(client, headers, kind="objection", contact_id=contact_id)
    await _verify(client, headers, objection["id"])
    await client.post(f"/api/v1/compliance/requests/{objection['id']}/complete", headers=headers)
    consents = (
        await client.get(f"/api/v1/compliance/contacts/{contact_id}/consents", headers=headers)
    ).json()
    assert consents[-1]["status"] == "withdrawn" and consents[-1]["source"] == "privacy_request"


async def test_records_of_processing_follow_the_live_configuration(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app))
    response = await client.get("/api/v1/compliance/processing-records", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    by_category = {r["category"]: r for r in body["records"]}
    assert "Telegram id" in by_category["contact profile"]["data"]
    assert by_category["contact profile"]["stored_in"] == "SQLite"
    assert "viewer" in by_category["contact profile"]["visible_to_roles"]
    assert "viewer" not in by_category["consent records"]["visible_to_roles"]
    assert "2 per 7 days" in by_category["deliveries and events"]["purpose"]
    # The test app runs the offline strategist: no LLM provider receives anything.
    assert [r["name"] for r in body["recipients"]] == ["Telegram"]

"""A data-subject request's deadline as the law runs it: a reminder before it while the request
is open (again after an extension), one extension within it for a stated reason (GDPR by two
months, CCPA by 45 days), and a rejection with the reason; each audited, on the virtual clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from click.testing import Result
from fastapi import FastAPI
from typer.testing import CliRunner

from marketing_agent.cli import app as cli
from marketing_agent.compliance.requests import extended_date
from marketing_agent.compliance.schemas import Regime
from marketing_agent.core.clock import VirtualClock
from marketing_agent.orchestrator import privacy_jobs
from tests.factories import database_of, headers_for, make_contacts, make_sender, runtime_of

DAY_S = 86_400
REASON = "Two hundred requests arrived in one week after the campaign; we need the time."


@pytest.mark.parametrize(
    ("due", "regime", "extended"),
    [
        (datetime(2026, 2, 28, 9, tzinfo=UTC), Regime.GDPR, datetime(2026, 4, 28, 9, tzinfo=UTC)),
        (datetime(2026, 12, 31, 9, tzinfo=UTC), Regime.GDPR, datetime(2027, 2, 28, 9, tzinfo=UTC)),
        (datetime(2026, 11, 15, 9, tzinfo=UTC), Regime.GDPR, datetime(2027, 1, 15, 9, tzinfo=UTC)),
        (datetime(2026, 3, 17, 9, tzinfo=UTC), Regime.CCPA, datetime(2026, 5, 1, 9, tzinfo=UTC)),
    ],
)
def test_an_extension_adds_two_months_or_45_days(
    due: datetime, regime: Regime, extended: datetime
) -> None:
    assert extended_date(regime, due) == extended


async def _open_request(
    client: httpx.AsyncClient, app: FastAPI, **body: object
) -> tuple[dict, dict]:
    db = database_of(app)
    headers = await headers_for(client, db)
    [contact_id] = await make_contacts(db, 1, sender_id=await make_sender(db))
    created = await client.post(
        "/api/v1/compliance/requests",
        json={"kind": "access", "contact_id": contact_id, **body},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return created.json(), headers


async def _audit(client: httpx.AsyncClient, headers: dict, request_id: int) -> list[dict]:
    page = await client.get(
        "/api/v1/compliance/audit",
        params={"entity_type": "privacy_request", "entity_id": str(request_id)},
        headers=headers,
    )
    return list(reversed(page.json()["items"]))  # oldest first


async def _get(client: httpx.AsyncClient, headers: dict, request_id: int) -> dict:
    rows = (await client.get("/api/v1/compliance/requests", headers=headers)).json()
    return next(r for r in rows if r["id"] == request_id)


async def test_an_open_request_is_reminded_once_a_week_before_its_deadline(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    request, headers = await _open_request(client, app)
    settings = runtime_of(db).settings
    assert settings.privacy_request_reminder_days == 7
    assert await privacy_jobs.remind_requests(db, settings) == []  # a month ahead: not yet

    virtual_clock.advance(23 * DAY_S)  # 1 Jan + 23 days: the deadline (1 Feb) is 8 days away
    assert await privacy_jobs.remind_requests(db, settings) == []
    virtual_clock.advance(DAY_S + 60)
    assert await privacy_jobs.remind_requests(db, settings) == [request["id"]]
    assert await privacy_jobs.remind_requests(db, settings) == []  # once

    headers = await headers_for(client, db)
    shown = await _get(client, headers, request["id"])
    assert shown["reminded_at"] is not None and shown["days_left"] == 6
    reminder = [
        e for e in await _audit(client, headers, request["id"]) if e["action"].endswith("reminder")
    ]
    assert [(e["actor"], e["data"]["days_left"]) for e in reminder] == [("system", 6)]


async def test_one_extension_with_a_reason_moves_the_deadline_and_reminds_again(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    request, headers = await _open_request(client, app)
    url = f"/api/v1/compliance/requests/{request['id']}"
    short = await client.post(f"{url}/extend", json={"reason": "busy"}, headers=headers)
    assert short.status_code == 422

    extended = await client.post(f"{url}/extend", json={"reason": REASON}, headers=headers)

    assert extended.status_code == 200, extended.text
    body = extended.json()
    assert body["original_due_at"] == request["due_at"]
    assert body["due_at"].startswith("2026-04-01")  # 1 Feb + two months
    assert body["extension_reason"] == REASON and body["extended_by"].startswith("user:")
    again = await client.post(f"{url}/extend", json={"reason": REASON}, headers=headers)
    assert again.status_code == 409 and "once" in again.json()["detail"]
    [entry] = [
        e for e in await _audit(client, headers, request["id"]) if e["action"].endswith("extended")
    ]
    assert entry["data"]["reason"] == REASON
    assert entry["data"]["original_due_at"].startswith("2026-02-01")

    settings = runtime_of(db).settings
    virtual_clock.advance(25 * DAY_S)  # the first deadline is near, but it no longer applies
    assert await privacy_jobs.remind_requests(db, settings) == []
    virtual_clock.advance(60 * DAY_S)  # 25 Mar: a week before the new deadline
    assert await privacy_jobs.remind_requests(db, settings) == [request["id"]]


async def test_no_extension_once_the_deadline_has_passed(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    request, _ = await _open_request(client, app, regime="ccpa")
    virtual_clock.advance(46 * DAY_S)
    headers = await headers_for(client, db)
    late = await client.post(
        f"/api/v1/compliance/requests/{request['id']}/extend",
        json={"reason": REASON},
        headers=headers,
    )
    assert late.status_code == 409 and "past its deadline" in late.json()["detail"]
    shown = await _get(client, headers, request["id"])
    assert shown["overdue"] is True and shown["original_due_at"] is None


async def test_a_rejected_request_is_closed_with_its_reason_and_cannot_be_completed(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    request, headers = await _open_request(client, app)
    url = f"/api/v1/compliance/requests/{request['id']}"
    reason = "The requester could not show they hold the Telegram account."

    rejected = await client.post(f"{url}/reject", json={"reason": reason}, headers=headers)

    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert (body["status"], body["outcome"], body["overdue"]) == ("rejected", reason, False)
    assert body["completed_by"].startswith("user:")
    assert (
        await client.post(f"{url}/verify", json={"method": "asked again"}, headers=headers)
    ).status_code == 409
    assert (
        await client.post(f"{url}/reject", json={"reason": reason}, headers=headers)
    ).status_code == 409
    assert (
        await client.post(f"{url}/extend", json={"reason": REASON}, headers=headers)
    ).status_code == 409
    actions = [e["action"] for e in await _audit(client, headers, request["id"])]
    assert actions == ["privacy_request.received", "privacy_request.rejected"]


async def test_the_cli_extends_and_rejects_requests(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    first, headers = await _open_request(client, app)
    second, _ = await _open_request(client, app)
    env = {"MA_DATABASE_URL": str(db.engine.url), "MA_SECRET_KEY": "k" * 40, "COLUMNS": "200"}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["privacy", *args], env=env)

    short = await asyncio.to_thread(run, "extend", str(first["id"]), "--reason", "busy")
    extended = await asyncio.to_thread(run, "extend", str(first["id"]), "--reason", REASON)
    rejected = await asyncio.to_thread(
        run, "reject", str(second["id"]), "--reason", "Identity could not be proven."
    )
    again = await asyncio.to_thread(run, "reject", str(second["id"]), "--reason", REASON)

    assert short.exit_code == 2 and "Invalid reason" in short.output
    assert extended.exit_code == 0, extended.output
    assert "due 2026-04-01 (was 2026-02-01)" in extended.output
    assert rejected.exit_code == 0 and "rejected" in rejected.output
    assert again.exit_code == 2 and "Conflict" in again.output
    shown = await _get(client, headers, second["id"])
    assert (shown["status"], shown["completed_by"]) == ("rejected", "cli:operator")

"""The workspace's review threshold (Safety settings): the risk score from which a campaign
goes to review and the send-time check says "review"; refused when out of range, audited; and
four eyes for the campaign's last editor, not only its creator."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from tests.factories import database_of, headers_for, login, make_contacts, make_sender, make_user
from tests.orchestrator.test_flows import create

ONE_WARNING = "Hi {first_name}, boots guaranteed to last all winter."  # risk 0.35
SETTINGS = "/api/v1/safety/settings"
REVIEWS = "/api/v1/orchestrator/reviews"


async def test_a_lower_threshold_sends_a_one_warning_campaign_to_review(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)
    before = await create(client, headers, name="A", goal="Boots", variants=[{"text": ONE_WARNING}])
    defaults = (await client.get(SETTINGS, headers=headers)).json()
    assert (defaults["review_threshold"], defaults["review_threshold_source"]) == (
        0.5,
        "deployment",
    )

    saved = await client.patch(SETTINGS, json={"review_threshold": 0.3}, headers=headers)

    assert saved.status_code == 200, saved.text
    assert (saved.json()["review_threshold"], saved.json()["review_threshold_source"]) == (
        0.3,
        "workspace",
    )
    after = await create(client, headers, name="B", goal="Boots", variants=[{"text": ONE_WARNING}])
    assert before["risk_score"] == after["risk_score"] == 0.35
    assert (before["status"], after["status"]) == ("draft", "pending_review")
    text = {"text": "Boots guaranteed to last all winter."}
    verdict = (await client.post("/api/v1/safety/check", json=text, headers=headers)).json()
    assert verdict["decision"] == "review"  # the send-time check uses it too
    audit = (
        await client.get("/api/v1/compliance/audit?action=safety.settings_changed", headers=headers)
    ).json()
    changed = audit["items"][0]["data"]["review_threshold"]
    assert changed == {"from": None, "to": 0.3}


async def test_a_higher_threshold_lets_a_riskier_campaign_through_without_review(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)
    two = "Hi {first_name}: guaranteed boots, risk-free returns."  # two warnings: 0.58
    assert (await create(client, headers, name="A", goal="Boots", variants=[{"text": two}]))[
        "status"
    ] == "pending_review"
    await client.patch(SETTINGS, json={"review_threshold": 0.7}, headers=headers)
    assert (await create(client, headers, name="B", goal="Boots", variants=[{"text": two}]))[
        "status"
    ] == "draft"


@pytest.mark.parametrize("bad", [0.0, 1.5, -0.2, "high", [0.5]])
async def test_a_threshold_out_of_range_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, app: FastAPI, bad: object
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    body = {"review_threshold": bad, "review_deadline_h": 12}
    answer = await client.patch(SETTINGS, json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert any(e["loc"][-1] == "review_threshold" for e in answer.json()["errors"])
    settings = (await client.get(SETTINGS, headers=headers)).json()
    assert (settings["review_threshold"], settings["review_deadline_h"]) == (0.5, 48)


async def test_a_marketer_cannot_loosen_the_review_threshold(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    marketer = await headers_for(client, db, Role.MARKETER)
    answer = await client.patch(SETTINGS, json={"review_threshold": 1.0}, headers=marketer)
    assert answer.status_code == 403


async def test_the_last_editor_of_a_campaign_cannot_approve_it_but_someone_else_can(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_contacts(db, 2, sender_id=await make_sender(db))
    author = await headers_for(client, db, Role.MARKETER)
    risky = {"text": "Guaranteed: act now, {first_name}!"}
    campaign = await create(client, author, name="Risky", goal="Boots", variants=[risky])
    assert campaign["status"] == "pending_review"
    editor = await login(client, await make_user(db, Role.ADMIN))  # may edit and approve
    edited = await client.patch(
        f"/api/v1/orchestrator/campaigns/{campaign['id']}",
        json={"name": "Risky (winter)"},
        headers=editor,
    )
    assert edited.status_code == 200, edited.text
    [item] = (await client.get(f"{REVIEWS}?status=open", headers=editor)).json()["items"]

    own = await client.post(f"{REVIEWS}/{item['id']}/approve", json={}, headers=editor)

    assert own.status_code == 403, own.text
    assert own.json()["reason"] == "self-approval"
    assert "last edited" in own.json()["detail"]
    reviewer = await login(client, await make_user(db, Role.REVIEWER))
    other = await client.post(f"{REVIEWS}/{item['id']}/approve", json={}, headers=reviewer)
    assert other.status_code == 200, other.text
    assert other.json()["status"] == "approved"

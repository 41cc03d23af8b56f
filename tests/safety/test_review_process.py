"""The review process: assignment with a deadline, four eyes (switchable by an admin, audited),
changes requested back to the author, the deadline's passing, and /privacy's policy text."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from marketing_agent.core.clock import VirtualClock
from marketing_agent.orchestrator import scheduled
from tests.factories import (
    database_of,
    headers_for,
    login,
    make_contacts,
    make_sender,
    make_user,
    runtime_of,
)

RISKY = {
    "name": "Risky",
    "goal": "Guaranteed results: act now to double your money with our boots",
    "variants": [{"text": "Guaranteed: act now, {first_name}!"}],
}
REVIEWS = "/api/v1/orchestrator/reviews"


async def _open_review(client: httpx.AsyncClient, headers: dict[str, str]) -> dict:
    created = await client.post("/api/v1/orchestrator/campaigns", json=RISKY, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending_review"
    return (await client.get(REVIEWS, headers=headers)).json()["items"][0]


async def _audit_actions(client: httpx.AsyncClient, headers: dict, campaign_id: int) -> list[str]:
    page = (
        await client.get(
            f"/api/v1/compliance/audit?entity_type=campaign&entity_id={campaign_id}",
            headers=headers,
        )
    ).json()
    return [e["action"] for e in page["items"]]


async def test_a_review_is_assigned_to_a_reviewer_with_the_workspace_deadline(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    await make_contacts(db, 2, sender_id=await make_sender(db))
    marketer = await headers_for(client, db, Role.MARKETER)
    item = await _open_review(client, marketer)
    admin = await headers_for(client, db, Role.ADMIN)
    reviewer = await make_user(db, Role.REVIEWER)

    assigned = await client.post(
        f"{REVIEWS}/{item['id']}/assign", json={"assignee": reviewer}, headers=admin
    )

    assert assigned.status_code == 200, assigned.text
    body = assigned.json()
    assert body["assignee"] == reviewer
    assert body["due_at"].startswith((virtual_clock.now() + timedelta(hours=48)).date().isoformat())
    assert "review.assigned" in await _audit_actions(client, admin, item["campaign_id"])


async def test_the_author_cannot_be_assigned_their_own_campaign_nor_a_past_deadline(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    await make_contacts(db, 2, sender_id=await make_sender(db))
    author_name = await make_user(db, Role.ADMIN)
    author = await login(client, author_name)
    item = await _open_review(client, author)

    own = await client.post(
        f"{REVIEWS}/{item['id']}/assign", json={"assignee": author_name}, headers=author
    )
    past = await client.post(
        f"{REVIEWS}/{item['id']}/assign",
        json={"assignee": "someone", "due_at": "2000-01-01T00:00:00Z"},
        headers=author,
    )

    assert own.status_code == 403 and own.json()["reason"] == "self-approval"
    assert past.status_code == 422


async def test_changes_requested_send_the_campaign_back_to_its_author_as_a_draft(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await _request_changes_back_to_draft(client, app)


@pytest.mark.postgres
async def test_changes_requested_on_postgresql(
    pg_client: httpx.AsyncClient, pg_app: FastAPI
) -> None:
    """PostgreSQL holds the status to its column's width (SQLite does not): it once refused
    "changes_requested" and the request was a 500."""
    await _request_changes_back_to_draft(pg_client, pg_app)


async def _request_changes_back_to_draft(client: httpx.AsyncClient, app: FastAPI) -> None:
    db = database_of(app)
    await make_contacts(db, 2, sender_id=await make_sender(db))
    marketer = await headers_for(client, db, Role.MARKETER)
    item = await _open_review(client, marketer)
    reviewer = await headers_for(client, db, Role.REVIEWER)

    blank = await client.post(
        f"{REVIEWS}/{item['id']}/request-changes", json={"note": "  "}, headers=reviewer
    )
    asked = await client.post(
        f"{REVIEWS}/{item['id']}/request-changes",
        json={"note": "Drop 'guaranteed' and add an opt-out line."},
        headers=reviewer,
    )

    assert blank.status_code == 422
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "changes_requested"
    campaign = (
        await client.get(f"/api/v1/orchestrator/campaigns/{item['campaign_id']}", headers=marketer)
    ).json()
    assert campaign["status"] == "draft"
    again = await client.post(f"{REVIEWS}/{item['id']}/approve", headers=reviewer)
    assert again.status_code == 409
    assert "review.changes_requested" in await _audit_actions(client, reviewer, item["campaign_id"])


async def test_an_admin_alone_can_turn_four_eyes_off_and_then_approve_their_own(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_contacts(db, 2, sender_id=await make_sender(db))
    admin = await headers_for(client, db, Role.ADMIN)
    item = await _open_review(client, admin)
    refused = await client.post(f"{REVIEWS}/{item['id']}/approve", headers=admin)
    assert refused.status_code == 403
    assert "only approver may turn four eyes off" in refused.json()["detail"]

    bad = await client.patch("/api/v1/safety/settings", json={"four_eyes": 0}, headers=admin)
    off = await client.patch("/api/v1/safety/settings", json={"four_eyes": False}, headers=admin)

    assert bad.status_code == 422  # a strict boolean
    assert off.status_code == 200 and off.json()["four_eyes"] is False
    approved = await client.post(f"{REVIEWS}/{item['id']}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    audit = (
        await client.get("/api/v1/compliance/audit?entity_type=safety_settings", headers=admin)
    ).json()
    assert audit["items"][0]["action"] == "safety.settings_changed"
    assert audit["items"][0]["data"]["four_eyes"] == {
        "from": True,
        "to": False,
        "why": "an admin alone in the workspace",
    }


async def test_four_eyes_stays_on_while_someone_else_can_approve(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db, Role.ADMIN)
    await make_user(db, Role.REVIEWER)

    refused = await client.patch(
        "/api/v1/safety/settings", json={"four_eyes": False}, headers=admin
    )

    assert refused.status_code == 403
    assert refused.json()["reason"] == "four-eyes-not-alone"
    assert (await client.get("/api/v1/safety/settings", headers=admin)).json()["four_eyes"]


async def test_a_second_approver_joining_turns_four_eyes_back_on_audited(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_contacts(db, 1, sender_id=await make_sender(db))
    admin = await headers_for(client, db, Role.ADMIN)
    off = await client.patch("/api/v1/safety/settings", json={"four_eyes": False}, headers=admin)
    assert off.status_code == 200, off.text
    marketer = await client.post(
        "/api/v1/auth/users",
        json={"username": "mia", "password": "a-long-password-1", "role": "marketer"},
        headers=admin,
    )
    assert marketer.status_code == 201, marketer.text
    assert not (await client.get("/api/v1/safety/settings", headers=admin)).json()["four_eyes"]

    reviewer = await client.post(
        "/api/v1/auth/users",
        json={"username": "rita", "password": "a-long-password-1", "role": "reviewer"},
        headers=admin,
    )
    assert reviewer.status_code == 201, reviewer.text

    settings = (await client.get("/api/v1/safety/settings", headers=admin)).json()
    assert settings["four_eyes"] is True
    audit = (
        await client.get("/api/v1/compliance/audit?entity_type=safety_settings", headers=admin)
    ).json()
    assert audit["items"][0]["data"]["four_eyes"] == {
        "from": False,
        "to": True,
        "why": "rita may now approve reviews",
    }
    item = await _open_review(client, admin)
    refused = await client.post(f"{REVIEWS}/{item['id']}/approve", headers=admin)
    assert refused.status_code == 403  # the admin's own campaign waits for rita


async def test_a_marketer_cannot_change_the_safety_settings(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    marketer = await headers_for(client, db, Role.MARKETER)
    refused = await client.patch(
        "/api/v1/safety/settings", json={"four_eyes": False}, headers=marketer
    )
    assert refused.status_code == 403


async def test_a_review_past_its_deadline_is_marked_once_and_the_creator_told(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    await make_contacts(db, 2, sender_id=await make_sender(db))
    marketer_name = await make_user(db, Role.MARKETER)
    marketer = await login(client, marketer_name)
    item = await _open_review(client, marketer)
    await scheduled.tick(runtime_of(db))
    assert (await client.get(REVIEWS, headers=marketer)).json()["items"][0]["overdue_at"] is None

    virtual_clock.advance(49 * 3600)
    await scheduled.tick(runtime_of(db))
    await scheduled.tick(runtime_of(db))
    marketer = await login(client, marketer_name)  # the old session expired meanwhile

    late = (await client.get(REVIEWS, headers=marketer)).json()["items"][0]
    assert late["overdue_at"] is not None and late["due_at"] is not None
    campaign = (
        await client.get(f"/api/v1/orchestrator/campaigns/{item['campaign_id']}", headers=marketer)
    ).json()
    assert campaign["status"] == "pending_review"  # still held, nothing sent
    admin = await headers_for(client, db, Role.ADMIN)
    actions = await _audit_actions(client, admin, item["campaign_id"])
    assert actions.count("review.overdue") == 1


async def test_the_privacy_policy_is_set_in_the_settings(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db, Role.ADMIN)
    default = (await client.get("/api/v1/safety/settings", headers=admin)).json()
    assert "STOP" in default["privacy_policy"]
    changed = await client.patch(
        "/api/v1/safety/settings",
        json={"privacy_policy": "We keep your id only. Policy: https://shop.example/privacy"},
        headers=admin,
    )
    assert changed.status_code == 200
    assert changed.json()["privacy_policy"].startswith("We keep your id only.")

"""The safety API: anyone signed in may check a text; only admins manage the blacklist (the
marketers whose campaigns it reviews may not loosen it), and every change is audited."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from tests.factories import database_of, headers_for


async def test_checking_a_text_returns_the_verdict_with_its_reasons(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    response = await client.post(
        "/api/v1/safety/check", json={"text": "Card 4111 1111 1111 1111, act now"}, headers=viewer
    )

    verdict = response.json()
    assert response.status_code == 200
    assert verdict["allowed"] is False
    assert {r["code"] for r in verdict["reasons"]} == {"pii_card", "blacklist_term"}
    assert "4111 1111 1111 1111" not in response.text  # the card number is masked


async def test_admin_manages_the_blacklist_and_it_applies_to_checks(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await headers_for(client, database_of(app), Role.ADMIN)
    created = await client.post(
        "/api/v1/safety/blacklist",
        json={"term": "Mega deal", "severity": "block"},
        headers=admin,
    )
    duplicate = await client.post(
        "/api/v1/safety/blacklist", json={"term": "mega  DEAL"}, headers=admin
    )
    checked = await client.post(
        "/api/v1/safety/check", json={"text": "A MEGA DEAL today"}, headers=admin
    )
    listed = await client.get("/api/v1/safety/blacklist", headers=admin)
    term_url = f"/api/v1/safety/blacklist/{created.json()['id']}"
    deleted = await client.delete(term_url, headers=admin)
    deleted_again = await client.delete(term_url, headers=admin)

    assert created.status_code == 201
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"].startswith("application/problem+json")
    assert checked.json()["allowed"] is False
    assert [t["term"] for t in listed.json()] == ["mega deal"]
    assert deleted.status_code == 204
    assert deleted_again.status_code == 404


@pytest.mark.parametrize("role", [Role.MARKETER, Role.REVIEWER, Role.ANALYST, Role.VIEWER])
async def test_only_an_admin_may_change_the_blacklist(
    client: httpx.AsyncClient, app: FastAPI, role: Role
) -> None:
    db = database_of(app)
    caller = await headers_for(client, db, role)
    admin = await headers_for(client, db, Role.ADMIN)
    term = await client.post("/api/v1/safety/blacklist", json={"term": "act now"}, headers=admin)

    added = await client.post("/api/v1/safety/blacklist", json={"term": "sale"}, headers=caller)
    removed = await client.delete(f"/api/v1/safety/blacklist/{term.json()['id']}", headers=caller)

    assert added.status_code == removed.status_code == 403
    assert "safety:manage" in added.json()["detail"]
    listed = await client.get("/api/v1/safety/blacklist", headers=caller)
    assert [t["term"] for t in listed.json()] == ["act now"]


async def test_blacklist_changes_are_audited_with_who_made_them(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await headers_for(client, database_of(app), Role.ADMIN)
    term = await client.post("/api/v1/safety/blacklist", json={"term": "act now"}, headers=admin)
    await client.delete(f"/api/v1/safety/blacklist/{term.json()['id']}", headers=admin)
    me = (await client.get("/api/v1/auth/me", headers=admin)).json()["username"]

    audit = await client.get(
        "/api/v1/compliance/audit", params={"entity_type": "blacklist_term"}, headers=admin
    )

    actions = [(e["action"], e["actor"]) for e in audit.json()["items"]]
    assert actions == [
        ("blacklist.term_removed", f"user:{me}"),
        ("blacklist.term_added", f"user:{me}"),
    ]


async def test_a_check_reads_the_markup_of_its_parse_mode_and_a_caption_s_limit(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)

    broken = await client.post(
        "/api/v1/safety/check",
        json={"text": "<b>Sale</i> today", "parse_mode": "HTML"},
        headers=viewer,
    )
    caption = await client.post(
        "/api/v1/safety/check", json={"text": "x" * 1100, "caption": True}, headers=viewer
    )
    unknown_mode = await client.post(
        "/api/v1/safety/check", json={"text": "x", "parse_mode": "BBCode"}, headers=viewer
    )

    assert broken.json()["decision"] == "block"
    assert [r["code"] for r in broken.json()["reasons"]] == ["bad_formatting", "bad_formatting"]
    assert [r["code"] for r in caption.json()["reasons"]] == ["too_long"]
    assert unknown_mode.status_code == 422

"""Phrase lists through the API: created with phrases, versioned on every change, audited, and
applied to checks at their severity and category, disguised spellings included."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from tests.factories import database_of, headers_for

BASE = "/api/v1/safety/phrase-lists"


async def test_a_list_is_created_changed_and_deleted_with_its_version_and_audit_trail(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await headers_for(client, database_of(app), Role.ADMIN)
    created = await client.post(
        BASE,
        json={"name": "Scams", "category": "scam", "phrases": ["crypto doubler", "wallet drain"]},
        headers=admin,
    )
    list_url = f"{BASE}/{created.json()['id']}"
    added = await client.post(
        f"{list_url}/phrases",
        json={"text": "seed phrase", "severity": "block"},
        headers=admin,
    )
    renamed = await client.patch(list_url, json={"name": "Scam phrases"}, headers=admin)
    phrases = await client.get(f"{list_url}/phrases", headers=admin)
    removed = await client.delete(f"{list_url}/phrases/{added.json()['id']}", headers=admin)
    after = await client.get(list_url, headers=admin)
    audit = await client.get(
        "/api/v1/compliance/audit", params={"entity_type": "phrase_list"}, headers=admin
    )
    deleted = await client.delete(list_url, headers=admin)
    gone = await client.get(list_url, headers=admin)

    assert created.status_code == 201
    assert created.json()["version"] == 1 and created.json()["phrase_count"] == 2
    assert added.status_code == 201 and added.json()["severity"] == "block"
    assert renamed.json()["name"] == "Scam phrases" and renamed.json()["version"] == 3
    assert [p["text"] for p in phrases.json()] == ["crypto doubler", "seed phrase", "wallet drain"]
    assert removed.status_code == 204
    assert after.json()["version"] == 4 and after.json()["phrase_count"] == 2
    assert audit.status_code == 200, audit.text
    actions = [e["action"] for e in _entries(audit.json())]
    assert sorted(actions) == sorted(
        [
            "phrase_list.created",
            "phrase_list.phrase_added",
            "phrase_list.updated",
            "phrase_list.phrase_removed",
        ]
    )
    assert deleted.status_code == 204 and gone.status_code == 404


async def test_list_phrases_apply_to_checks_at_their_severity_even_disguised(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await headers_for(client, database_of(app), Role.ADMIN)
    created = await client.post(
        BASE,
        json={"name": "Rivals", "category": "competitors", "default_severity": "block"},
        headers=admin,
    )
    list_url = f"{BASE}/{created.json()['id']}"
    await client.post(f"{list_url}/phrases", json={"text": "MegaShop"}, headers=admin)

    disguised = await client.post(
        "/api/v1/safety/check",
        json={"text": "Cheaper than M-e-g-a-S-h-0-p!"},
        headers=admin,
    )
    await client.patch(list_url, json={"enabled": False}, headers=admin)
    switched_off = await client.post(
        "/api/v1/safety/check", json={"text": "Cheaper than MegaShop!"}, headers=admin
    )

    verdict = disguised.json()
    assert verdict["decision"] == "block"
    assert [(r["category"], r["match"]) for r in verdict["reasons"]] == [
        ("competitors", "M-e-g-a-S-h-0-p")
    ]
    assert switched_off.json()["reasons"] == []


async def test_bad_input_is_a_clear_4xx_naming_every_bad_phrase(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await headers_for(client, database_of(app), Role.ADMIN)
    await client.post(BASE, json={"name": "Taken", "category": "spam"}, headers=admin)

    duplicates = await client.post(
        BASE,
        json={
            "name": "New",
            "category": "spam",
            "phrases": ["free money", "ok", "FREE-money", "!!"],
        },
        headers=admin,
    )
    taken = await client.post(BASE, json={"name": "Taken", "category": "spam"}, headers=admin)
    bad_category = await client.post(
        BASE, json={"name": "X", "category": "Not A Slug"}, headers=admin
    )
    missing = await client.post(f"{BASE}/999999/phrases", json={"text": "x"}, headers=admin)
    listed = await client.get(BASE, headers=admin)

    assert duplicates.status_code == 422
    assert duplicates.headers["content-type"].startswith("application/problem+json")
    locations = [e["loc"] for e in duplicates.json()["errors"]]
    assert locations == [["body", "phrases", 2], ["body", "phrases", 3]]
    assert taken.status_code == 409
    assert bad_category.status_code == 422
    assert missing.status_code == 404
    assert [item["name"] for item in listed.json()] == ["Taken"]  # nothing half-written


async def test_a_phrase_already_on_the_list_in_another_spelling_is_a_conflict(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await headers_for(client, database_of(app), Role.ADMIN)
    created = await client.post(
        BASE,
        json={"name": "Spam", "category": "spam", "phrases": ["free money"]},
        headers=admin,
    )

    again = await client.post(
        f"{BASE}/{created.json()['id']}/phrases", json={"text": "FREE-Money"}, headers=admin
    )

    assert again.status_code == 409
    assert "free money" in again.json()["detail"]


async def test_only_an_admin_may_change_phrase_lists(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    marketer = await headers_for(client, database_of(app), Role.MARKETER)

    created = await client.post(BASE, json={"name": "X", "category": "spam"}, headers=marketer)
    listed = await client.get(BASE, headers=marketer)

    assert created.status_code == 403
    assert listed.status_code == 200


async def test_anyone_signed_in_may_redact_a_text(client: httpx.AsyncClient, app: FastAPI) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)

    response = await client.post(
        "/api/v1/safety/redact", json={"text": "Mail anna@example.com"}, headers=viewer
    )

    assert response.json() == {"text": "Mail [EMAIL]"}


def _entries(body: object) -> list[dict[str, object]]:
    if isinstance(body, dict):
        items = body.get("items") or body.get("entries") or []
        return list(items)
    return list(body)  # type: ignore[call-overload]

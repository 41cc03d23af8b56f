"""The safety API: anyone signed in may check a text; marketers manage the blacklist."""

from __future__ import annotations

from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from marketing_agent.safety.api import router
from tests.telegram.factories import api_client


async def test_checking_a_text_returns_the_verdict_with_its_reasons(db: Database) -> None:
    async with api_client(db, router, role=Role.VIEWER) as client:
        response = await client.post(
            "/api/v1/safety/check", json={"text": "Card 4111 1111 1111 1111, act now"}
        )

    verdict = response.json()
    assert response.status_code == 200
    assert verdict["allowed"] is False
    assert {r["code"] for r in verdict["reasons"]} == {"pii_card", "blacklist_term"}
    assert "4111 1111 1111 1111" not in response.text  # the card number is masked


async def test_marketer_manages_the_blacklist_and_it_applies_to_checks(db: Database) -> None:
    async with api_client(db, router, role=Role.MARKETER) as client:
        created = await client.post(
            "/api/v1/safety/blacklist", json={"term": "Mega deal", "severity": "block"}
        )
        duplicate = await client.post("/api/v1/safety/blacklist", json={"term": "mega  DEAL"})
        checked = await client.post("/api/v1/safety/check", json={"text": "A MEGA DEAL today"})
        listed = await client.get("/api/v1/safety/blacklist")
        deleted = await client.delete(f"/api/v1/safety/blacklist/{created.json()['id']}")
        deleted_again = await client.delete(f"/api/v1/safety/blacklist/{created.json()['id']}")

    assert created.status_code == 201
    assert duplicate.status_code == 409
    assert checked.json()["allowed"] is False
    assert [t["term"] for t in listed.json()] == ["mega deal"]
    assert deleted.status_code == 204
    assert deleted_again.status_code == 404


async def test_viewer_may_not_change_the_blacklist(db: Database) -> None:
    async with api_client(db, router, role=Role.VIEWER) as client:
        response = await client.post("/api/v1/safety/blacklist", json={"term": "sale"})

    assert response.status_code == 403

"""The senders API: managed by admins, readable by anyone signed in, never showing a secret."""

from __future__ import annotations

from marketing_agent.core.auth import Role
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.db import Database
from marketing_agent.telegram.api import router
from tests.telegram.factories import api_client

TOKEN = "123456:AAE-secret-bot-token"


async def test_admin_creates_a_sender_and_its_token_never_comes_back(db: Database) -> None:
    box = SecretBox("api-test-key")
    async with api_client(db, router, secret_box=box) as client:
        created = await client.post(
            "/api/v1/telegram/senders",
            json={
                "name": "Shop bot",
                "kind": "bot",
                "transport": "simulator",
                "profile": "bot",
                "secret": TOKEN,
            },
        )
        listed = await client.get("/api/v1/telegram/senders")
        one = await client.get(f"/api/v1/telegram/senders/{created.json()['id']}")

    assert created.status_code == 201, created.text
    assert created.json()["has_secret"] is True
    for response in (created, listed, one):
        assert TOKEN not in response.text and "secret_encrypted" not in response.text
    assert [s["name"] for s in listed.json()] == ["Shop bot"]
    assert one.json()["profile"] == "bot"


async def test_unknown_profile_is_422_and_duplicate_name_is_409(db: Database) -> None:
    async with api_client(db, router) as client:
        bad = await client.post("/api/v1/telegram/senders", json={"name": "X", "profile": "turbo"})
        await client.post("/api/v1/telegram/senders", json={"name": "Twice"})
        again = await client.post("/api/v1/telegram/senders", json={"name": "Twice"})

    assert bad.status_code == 422
    assert again.status_code == 409


async def test_viewer_may_read_senders_but_not_create_them(db: Database) -> None:
    async with api_client(db, router, role=Role.VIEWER) as client:
        listed = await client.get("/api/v1/telegram/senders")
        created = await client.post("/api/v1/telegram/senders", json={"name": "Nope"})
        missing = await client.get("/api/v1/telegram/senders/999")
        profiles = await client.get("/api/v1/telegram/profiles")

    assert listed.status_code == 200
    assert created.status_code == 403
    assert missing.status_code == 404
    assert {p["name"] for p in profiles.json()} == {"bot", "paid_broadcast", "user"}

"""The admin pages' API: the effective settings with their origin and no secret in the answer,
the audit log filtered by who acted, a campaign's events over time, and its deliveries naming
each contact (masked for a role that may not see personal data)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import ContactCreate
from tests.factories import database_of, grant_consent, headers_for, make_sender, start_campaign

SECRET = "test-secret-key-" + "x" * 32  # the app fixture's


async def test_settings_show_each_value_and_origin_with_secrets_masked(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MA_PUBLIC_URL", "https://shop.example.com")  # read by no one: only shown
    headers = await headers_for(client, database_of(app), Role.ADMIN)
    response = await client.get("/api/v1/auth/settings", headers=headers)
    assert response.status_code == 200, response.text
    assert SECRET not in response.text
    rows = {row["name"]: row for row in response.json()}
    assert rows["secret_key"]["secret"] and rows["secret_key"]["value"] == "••••••"
    assert rows["secret_key"]["source"] == "startup"
    assert (
        rows["public_url"]["source"] == "env" and rows["public_url"]["env_var"] == "MA_PUBLIC_URL"
    )
    assert rows["review_all"]["source"] == "default"
    assert rows["quiet_hours"] == rows["quiet_hours"] | {"value": "off", "source": "startup"}

    marketer = await headers_for(client, database_of(app), Role.MARKETER)
    assert (await client.get("/api/v1/auth/settings", headers=marketer)).status_code == 403


async def test_audit_log_filters_by_actor_and_action(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    admin = await headers_for(client, db, Role.ADMIN)
    marketer = await headers_for(client, db, Role.MARKETER)
    me = (await client.get("/api/v1/auth/me", headers=marketer)).json()["username"]
    body = {"name": "Boots", "goal": "Winter boots", "variants": [{"text": "Boots are here."}]}
    created = await client.post("/api/v1/orchestrator/campaigns", headers=marketer, json=body)
    assert created.status_code == 201

    mine = await client.get(
        "/api/v1/compliance/audit", headers=admin, params={"actor": f"user:{me}"}
    )
    entries = mine.json()["items"]
    assert entries and {e["actor"] for e in entries} == {f"user:{me}"}
    created_only = await client.get(
        "/api/v1/compliance/audit",
        headers=admin,
        params={"actor": f"user:{me}", "action": "campaign.created"},
    )
    assert [e["action"] for e in created_only.json()["items"]] == ["campaign.created"]
    nobody = await client.get("/api/v1/compliance/audit", headers=admin, params={"actor": "x"})
    assert nobody.json()["total"] == 0


async def test_a_bot_campaigns_timeseries_leaves_reads_blank(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db, Role.MARKETER)
    body = {"name": "Boots", "goal": "Winter boots", "variants": [{"text": "Boots are here."}]}
    campaign = (
        await client.post("/api/v1/orchestrator/campaigns", headers=headers, json=body)
    ).json()
    response = await client.get(
        f"/api/v1/analytics/campaigns/{campaign['id']}/timeseries?bucket=day", headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["unobservable"] == ["read"]
    bad = await client.get(
        f"/api/v1/analytics/campaigns/{campaign['id']}/timeseries?bucket=week", headers=headers
    )
    assert bad.status_code == 422
    missing = await client.get("/api/v1/analytics/campaigns/999999/timeseries", headers=headers)
    assert missing.status_code == 404


async def test_a_campaigns_deliveries_name_each_contact_masked_for_a_viewer(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    async with db.session() as session:
        contact = await orchestrator.create_contact(
            session=session,
            contact_in=ContactCreate(
                telegram_id=81_000_001, first_name="Wilma", username="wilma_k"
            ),
        )
        await grant_consent(session, contact.id, sender_id, "marketing")
    campaign_id = await start_campaign(db, settings, sender_id=sender_id)
    path = f"/api/v1/orchestrator/campaigns/{campaign_id}/deliveries"

    marketer = await headers_for(client, db, Role.MARKETER)
    [shown] = (await client.get(path, headers=marketer)).json()["items"]
    assert (shown["contact_first_name"], shown["contact_username"]) == ("Wilma", "wilma_k")

    viewer = await headers_for(client, db, Role.VIEWER)
    [masked] = (await client.get(path, headers=viewer)).json()["items"]
    assert masked["contact_id"] == contact.id
    assert masked["contact_first_name"] == "W•••"
    assert masked["contact_username"].startswith("w") and "wilma" not in masked["contact_username"]


async def test_contacts_filter_by_consent_tag_and_language(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    async with db.session() as session:
        made = {}
        for n, (name, language) in enumerate((("Ada", "de"), ("Bo", "en"), ("Cy", "de"))):
            contact = await orchestrator.create_contact(
                session=session,
                contact_in=ContactCreate(
                    telegram_id=82_000_000 + n, first_name=name, language=language, tags=["vip"]
                ),
            )
            made[name] = contact.id
        await grant_consent(session, made["Ada"], sender_id, "marketing")
        await grant_consent(session, made["Bo"], sender_id, "marketing")
    headers = await headers_for(client, db, Role.MARKETER)
    unsubscribed = await client.post(
        f"/api/v1/orchestrator/contacts/{made['Bo']}/unsubscribe", headers=headers
    )
    assert unsubscribed.status_code == 200, unsubscribed.text

    async def names(**params: str) -> set[str]:
        response = await client.get(
            "/api/v1/orchestrator/contacts", headers=headers, params={"tag": "vip", **params}
        )
        assert response.status_code == 200, response.text
        return {c["first_name"] for c in response.json()["items"]}

    assert await names() == {"Ada", "Bo", "Cy"}
    assert await names(consent="granted") == {"Ada"}
    assert await names(consent="withdrawn") == {"Bo"}
    assert await names(consent="none") == {"Cy"}
    assert await names(language="de") == {"Ada", "Cy"}
    assert await names(language="de", consent="none") == {"Cy"}
    bad = await client.get(
        "/api/v1/orchestrator/contacts", headers=headers, params={"consent": "x"}
    )
    assert bad.status_code == 422

"""The admin pages' API: the effective settings with their origin and no secret in the answer,
the audit log filtered by who acted, and a campaign's events over time."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from tests.factories import database_of, headers_for, make_sender

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

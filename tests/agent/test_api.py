"""The agent's routes through the real app: real logins, roles and the real safety guard."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from tests.agent.factories import app_client
from tests.factories import database_of, headers_for

BODY = {
    "name": "Winter sale",
    "goal": "Announce our winter sale, 20% off boots",
    "variant_count": 3,
    "call_to_action_url": "https://shop.example/winter",
}


async def test_a_marketer_gets_a_plan_checked_by_the_safety_guard(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    marketer = await headers_for(client, database_of(app), Role.MARKETER)
    admin = await headers_for(client, database_of(app), Role.ADMIN)
    # Variant B of the offline plan opens with "Got a minute?"; the admin's blacklist refuses it.
    term = await client.post(
        "/api/v1/safety/blacklist",
        json={"term": "Got a minute", "severity": "block"},
        headers=admin,
    )

    response = await client.post("/api/v1/agent/plan", json=BODY, headers=marketer)
    usage = await client.get("/api/v1/agent/usage", headers=marketer)

    assert term.status_code == 201
    assert response.status_code == 200
    plan = response.json()
    assert [v["key"] for v in plan["variants"]] == ["A", "B", "C"]
    assert plan["offline"] is True and plan["provider"] == "offline"
    assert "no audience selected" in plan["strategy"]
    rewritten = [n for n in plan["notes"] if "Variant B was rewritten" in n]
    assert len(rewritten) == 1 and "blacklisted phrase 'got a minute'" in rewritten[0]
    assert "Got a minute" not in plan["variants"][1]["text"]
    checks = [c for c in plan["tool_calls"] if c["name"] == "check_content"]
    assert len(checks) == 4  # three drafts and one rewrite
    assert usage.status_code == 200
    assert usage.json()["calls"] == 1


async def test_without_a_blacklist_hit_no_variant_is_rewritten(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    marketer = await headers_for(client, database_of(app), Role.MARKETER)

    response = await client.post("/api/v1/agent/plan", json=BODY, headers=marketer)

    plan = response.json()
    assert response.status_code == 200
    assert "Got a minute?" in plan["variants"][1]["text"]
    assert not any("rewritten" in n for n in plan["notes"])
    assert len([c for c in plan["tool_calls"] if c["name"] == "check_content"]) == 3


async def test_the_provider_route_says_which_strategist_is_set_up(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    marketer = await headers_for(client, database_of(app), Role.MARKETER)

    response = await client.get("/api/v1/agent/provider", headers=marketer)

    assert response.status_code == 200
    assert response.json() == {
        "provider": "offline",
        "model": "templates-v2",
        "offline": True,
        "configured": True,
        "detail": "Plans come from templates, without an LLM.",
    }


async def test_a_viewer_may_neither_plan_nor_see_usage(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)

    plan = await client.post("/api/v1/agent/plan", json=BODY, headers=viewer)
    usage = await client.get("/api/v1/agent/usage", headers=viewer)

    assert (plan.status_code, usage.status_code) == (403, 403)
    assert plan.headers["content-type"].startswith("application/problem+json")
    assert "agent:use" in plan.json()["detail"]
    assert "analytics:read" in usage.json()["detail"]


async def test_an_analyst_sees_usage_but_may_not_plan(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    analyst = await headers_for(client, database_of(app), Role.ANALYST)

    plan = await client.post("/api/v1/agent/plan", json=BODY, headers=analyst)
    usage = await client.get("/api/v1/agent/usage", params={"campaign_id": 3}, headers=analyst)

    assert plan.status_code == 403
    assert usage.status_code == 200 and usage.json()["calls"] == 0


async def test_a_bad_brief_is_refused_with_every_field(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    marketer = await headers_for(client, database_of(app), Role.MARKETER)
    bad = {"name": "", "goal": "Sale", "variant_count": 9, "call_to_action_url": "ftp://x"}

    response = await client.post("/api/v1/agent/plan", json=bad, headers=marketer)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert fields == {("body", "name"), ("body", "variant_count"), ("body", "call_to_action_url")}


async def test_an_unconfigured_provider_is_a_503_with_what_to_do(
    settings: Settings, db: Database
) -> None:
    claude_without_key = settings.model_copy(
        update={"llm_provider": "anthropic", "anthropic_api_key": None}
    )
    async with app_client(claude_without_key, db) as client:
        marketer = await headers_for(client, db, Role.MARKETER)
        response = await client.post("/api/v1/agent/plan", json=BODY, headers=marketer)
        provider = await client.get("/api/v1/agent/provider", headers=marketer)

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "MA_ANTHROPIC_API_KEY" in response.json()["detail"]
    assert provider.json()["configured"] is False

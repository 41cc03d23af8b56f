"""The agent's routes, with a stand-in safety guard so these tests need no other module."""

from __future__ import annotations

import sys
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

import marketing_agent.safety as safety_package
from marketing_agent.agent.api import router
from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from tests.agent.factories import api_client, settings

BODY = {
    "name": "Winter sale",
    "goal": "Announce our winter sale, 20% off boots",
    "variant_count": 3,
    "call_to_action_url": "https://shop.example/winter",
}


class Verdict(SimpleNamespace):
    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        return dict(vars(self))


@pytest.fixture
def safety_guard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Installs a safety service that refuses "Got a minute"; returns the texts it checked."""
    checked: list[str] = []

    async def check_content(*, session: object, text: str, max_len: int = 4096) -> Verdict:
        assert session is not None
        checked.append(text)
        bad = "Got a minute" in text
        reasons = [{"code": "hook", "message": "question hook", "severity": "block"}] if bad else []
        return Verdict(allowed=not bad, risk_score=0.9 if bad else 0.0, reasons=reasons)

    module = ModuleType("marketing_agent.safety.service")
    module.check_content = check_content  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "marketing_agent.safety.service", module)
    monkeypatch.setattr(safety_package, "service", module, raising=False)
    return checked


async def test_a_marketer_gets_a_plan_checked_by_the_safety_guard(
    db: Database, safety_guard: list[str]
) -> None:
    app_settings = settings(llm_provider="offline")
    async with api_client(db, router, role=Role.MARKETER, app_settings=app_settings) as client:
        response = await client.post("/api/v1/agent/plan", json=BODY)
        usage = await client.get("/api/v1/agent/usage")

    assert response.status_code == 200
    plan = response.json()
    assert [v["key"] for v in plan["variants"]] == ["A", "B", "C"]
    assert plan["offline"] is True and plan["provider"] == "offline"
    assert "no audience selected" in plan["strategy"]
    assert any("Variant B was rewritten" in n for n in plan["notes"])
    assert "Got a minute" not in plan["variants"][1]["text"]
    assert len(safety_guard) == 4  # three drafts and one rewrite
    assert usage.status_code == 200
    assert usage.json()["calls"] == 1


async def test_the_provider_route_says_which_strategist_is_set_up(db: Database) -> None:
    app_settings = settings(llm_provider="offline")
    async with api_client(db, router, role=Role.MARKETER, app_settings=app_settings) as client:
        response = await client.get("/api/v1/agent/provider")

    assert response.json() == {
        "provider": "offline",
        "model": "templates-v1",
        "offline": True,
        "configured": True,
        "detail": "Plans come from templates, without an LLM.",
    }


async def test_a_viewer_may_neither_plan_nor_see_usage(db: Database) -> None:
    app_settings = settings(llm_provider="offline")
    async with api_client(db, router, role=Role.VIEWER, app_settings=app_settings) as client:
        plan = await client.post("/api/v1/agent/plan", json=BODY)
        usage = await client.get("/api/v1/agent/usage")

    assert (plan.status_code, usage.status_code) == (403, 403)


async def test_an_analyst_sees_usage_but_may_not_plan(db: Database) -> None:
    app_settings = settings(llm_provider="offline")
    async with api_client(db, router, role=Role.ANALYST, app_settings=app_settings) as client:
        plan = await client.post("/api/v1/agent/plan", json=BODY)
        usage = await client.get("/api/v1/agent/usage", params={"campaign_id": 3})

    assert plan.status_code == 403
    assert usage.status_code == 200 and usage.json()["calls"] == 0


async def test_a_bad_brief_is_refused_with_every_field(db: Database) -> None:
    app_settings = settings(llm_provider="offline")
    bad = {"name": "", "goal": "Sale", "variant_count": 9, "call_to_action_url": "ftp://x"}
    async with api_client(db, router, role=Role.MARKETER, app_settings=app_settings) as client:
        response = await client.post("/api/v1/agent/plan", json=bad)

    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert fields == {("body", "name"), ("body", "variant_count"), ("body", "call_to_action_url")}


async def test_an_unconfigured_provider_is_a_503_with_what_to_do(db: Database) -> None:
    app_settings = settings(llm_provider="anthropic")
    async with api_client(db, router, role=Role.MARKETER, app_settings=app_settings) as client:
        response = await client.post("/api/v1/agent/plan", json=BODY)

    assert response.status_code == 503
    assert "MA_ANTHROPIC_API_KEY" in response.json()["detail"]

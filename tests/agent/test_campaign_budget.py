"""Each campaign's own LLM budget on top of the workspace's: shown, set by a person (audited),
the cost of a chat about the campaign counted against it, and a hard stop when it is used up.
Real OpenAI SDK against a scripted server on 127.0.0.1."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.agent import service as agent
from marketing_agent.agent.schemas import Usage
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from tests.agent.factories import app_client
from tests.agent.fake_llm import chat_tool_calls, fake_llm
from tests.agent.test_chat import chat_text, openai_settings, sent_campaign
from tests.factories import database_of, headers_for


async def spend_on(db: Database, campaign_id: int, usd_micros: int) -> None:
    async with db.session() as session:
        await agent.record_usage(
            session=session,
            usage=Usage(provider="openai", model="gpt-4o-mini", cost_usd_micros=usd_micros),
            purpose="chat",
            campaign_id=campaign_id,
        )


async def test_a_marketer_sets_a_campaigns_budget_and_sees_its_spend(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    campaign_id = await sent_campaign(db, settings, 3)
    headers = await headers_for(client, db)
    url = f"/api/v1/agent/campaigns/{campaign_id}/budget"
    await spend_on(db, campaign_id, 450_000)

    default = (await client.get(url, headers=headers)).json()
    own = await client.put(url, json={"limit_usd": 0.5}, headers=headers)
    audit = (await client.get("/api/v1/compliance/audit", headers=headers)).json()
    back = (await client.put(url, json={"limit_usd": None}, headers=headers)).json()

    assert default["own_limit"] is False and default["line"]["limit_usd_micros"] == 2_000_000
    assert default["line"]["spent_usd_micros"] == 450_000 and default["line"]["warning"] is False
    assert own.status_code == 200, own.text
    assert own.json()["own_limit"] is True and own.json()["line"]["warning"] is True  # 90%
    assert own.json()["updated_by"].startswith("user:admin")
    assert any(e["action"] == "agent.campaign_budget_set" for e in audit["items"])
    assert back["own_limit"] is False


async def test_bad_campaign_budgets_are_clear_errors(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app))

    missing = await client.put(
        "/api/v1/agent/campaigns/999/budget", json={"limit_usd": 1}, headers=headers
    )
    negative = await client.put(
        "/api/v1/agent/campaigns/999/budget", json={"limit_usd": -1}, headers=headers
    )
    extra = await client.put(
        "/api/v1/agent/campaigns/999/budget", json={"limit_usd": 1, "x": 1}, headers=headers
    )

    assert missing.status_code == 404
    assert negative.status_code == 422 and extra.status_code == 422


async def test_a_chat_about_a_campaign_counts_against_its_budget_and_stops_at_100_percent(
    settings: Settings, db: Database
) -> None:
    campaign_id = await sent_campaign(db, settings, 3)
    script = [
        chat_tool_calls(
            ("c1", "campaign_results", {"campaign_id": campaign_id}),
            prompt_tokens=2000,
            completion_tokens=100,
        ),
        chat_text("It was sent to 3 people [S1]."),
    ]
    question = {
        "messages": [{"role": "user", "content": "How is it doing?"}],
        "campaign_id": campaign_id,
    }
    with fake_llm(script) as server:
        async with app_client(openai_settings(settings, server.url), db) as client:
            headers = await headers_for(client, db)
            url = f"/api/v1/agent/campaigns/{campaign_id}/budget"
            answered = await client.post("/api/v1/agent/chat", json=question, headers=headers)
            spent = (await client.get(url, headers=headers)).json()["line"]["spent_usd_micros"]
            await client.put(url, json={"limit_usd": spent / 1_000_000}, headers=headers)
            asked = len(server.requests)
            refused = await client.post("/api/v1/agent/chat", json=question, headers=headers)
            streamed = await client.post(
                "/api/v1/agent/chat/stream", json=question, headers=headers
            )
            usage = (
                await client.get(
                    "/api/v1/agent/usage", params={"campaign_id": campaign_id}, headers=headers
                )
            ).json()

    assert answered.status_code == 200, answered.text
    assert spent > 0 and usage["calls"] == 1 and usage["cost_usd_micros"] == spent
    assert refused.status_code == 402 and streamed.status_code == 402
    assert f"Campaign {campaign_id}'s LLM budget is used up" in refused.json()["detail"]
    assert len(server.requests) == asked, "nothing was sent to the model past the budget"

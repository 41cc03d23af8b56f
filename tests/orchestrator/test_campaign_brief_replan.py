"""A campaign keeps the brief it was planned from: the API returns it, and a clone can be
re-planned from it (the strategist writes new variants from the same brief)."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from marketing_agent.compliance import service as compliance
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from tests.agent.factories import app_client
from tests.agent.fake_llm import claude_message, fake_llm, tool_use
from tests.agent.test_budget_breaker_privacy import claude_settings
from tests.factories import database_of, headers_for, make_sender

BRIEF = {
    "product": "Winter boots",
    "offer": "20% off",
    "deadline": "2026-12-07",
    "call_to_action": "Shop the boots",
    "tone": "playful",
    "languages": ["en", "fr"],
    "translations": {"fr": {"product": "Bottes d'hiver", "offer": "20 % de remise"}},
}
CAMPAIGN = {
    "name": "Boots",
    "goal": "Clear the winter stock before the holidays",
    "brief": BRIEF,
    "cta_url": "https://shop.example/boots",
    "variant_count": 2,
}


def submission(*texts: str) -> dict[str, object]:
    return {
        "strategy": "Two angles.",
        "variants": [{"text": t, "rationale": "r"} for t in texts],
    }


FIRST = submission(
    "Hi {first_name}, winter boots are 20% off. Reply /stop to unsubscribe.",
    "Cold feet? Winter boots, 20% off. Reply /stop to unsubscribe.",
)
AGAIN = submission(
    "{first_name}, last days: winter boots 20% off. Reply /stop to unsubscribe.",
    "Warm feet this winter: boots 20% off. Reply /stop to unsubscribe.",
)


async def test_the_brief_is_kept_on_the_campaign_and_returned(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)

    created = await client.post("/api/v1/orchestrator/campaigns", json=CAMPAIGN, headers=headers)
    assert created.status_code == 201, created.text
    fetched = await client.get(
        f"/api/v1/orchestrator/campaigns/{created.json()['id']}", headers=headers
    )
    own = await client.post(
        "/api/v1/orchestrator/campaigns",
        json={"name": "Own", "variants": [{"text": "Hello. Reply /stop to unsubscribe."}]},
        headers=headers,
    )

    brief = fetched.json()["brief"]
    assert brief["goal"] == "Clear the winter stock before the holidays"
    assert brief["product"] == "Winter boots" and brief["offer"] == "20% off"
    assert brief["deadline"] == "2026-12-07" and brief["tone"] == "playful"
    assert brief["languages"] == ["en", "fr"] and brief["variant_count"] == 2
    assert brief["translations"]["fr"]["product"] == "Bottes d'hiver"
    assert own.status_code == 201 and own.json()["brief"] is None


async def test_a_clone_is_re_planned_from_the_brief_and_a_plain_clone_keeps_the_texts(
    settings: Settings, db: Database
) -> None:
    script = [
        claude_message(tool_use("t1", "submit_plan", FIRST), input_tokens=50, output_tokens=50),
        claude_message(tool_use("t2", "submit_plan", AGAIN), input_tokens=50, output_tokens=50),
    ]
    with fake_llm(script) as server:
        claude = claude_settings(server.url)
        app_settings = settings.model_copy(
            update={
                k: getattr(claude, k)
                for k in ("llm_provider", "anthropic_api_key", "anthropic_base_url", "llm_fallback")
            }
        )
        async with app_client(app_settings, db) as api:
            await make_sender(db)
            headers = await headers_for(api, db)
            source = (
                await api.post("/api/v1/orchestrator/campaigns", json=CAMPAIGN, headers=headers)
            ).json()
            copy = await api.post(
                f"/api/v1/orchestrator/campaigns/{source['id']}/clone", headers=headers
            )
            replanned = await api.post(
                f"/api/v1/orchestrator/campaigns/{source['id']}/clone",
                params={"replan": "true"},
                headers=headers,
            )

    texts = [v["text"] for v in source["variants"]]
    assert texts == [v["text"] for v in FIRST["variants"]]  # type: ignore[attr-defined]
    assert copy.status_code == 201 and [v["text"] for v in copy.json()["variants"]] == texts
    assert replanned.status_code == 201, replanned.text
    clone = replanned.json()
    assert [v["text"] for v in clone["variants"]] == [v["text"] for v in AGAIN["variants"]]  # type: ignore[attr-defined]
    assert clone["name"] == "Boots (copy)" and clone["ai_generated"] is True
    assert clone["brief"] == source["brief"], "the clone keeps the brief it was planned from"
    assert clone["cta_url"] == source["cta_url"] and clone["goal"] == source["goal"]
    # The strategist was asked again with the same brief: fields, free text and languages.
    assert len(server.requests) == 2
    asked = json.dumps(server.requests[1].body["messages"][0], ensure_ascii=False)
    for words in ("Winter boots", "20% off", "Clear the winter stock", "Bottes d'hiver"):
        assert words in asked
    async with db.session() as session:
        entries, _ = await compliance.list_audit(session=session, action="campaign.cloned")
    cloned = [e.data for e in entries if e.action == "campaign.cloned"]
    assert {"from": source["id"], "replanned": True} in cloned


async def test_a_campaign_without_a_brief_cannot_be_re_planned(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)
    own = (
        await client.post(
            "/api/v1/orchestrator/campaigns",
            json={"name": "Own", "variants": [{"text": "Hello. Reply /stop to unsubscribe."}]},
            headers=headers,
        )
    ).json()

    refused = await client.post(
        f"/api/v1/orchestrator/campaigns/{own['id']}/clone",
        params={"replan": "true"},
        headers=headers,
    )
    listed = await client.get("/api/v1/orchestrator/campaigns", headers=headers)

    assert refused.status_code == 409, refused.text
    assert "not planned from a brief" in refused.json()["detail"]
    assert listed.json()["total"] == 1, "nothing was created"

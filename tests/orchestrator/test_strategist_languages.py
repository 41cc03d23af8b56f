"""A campaign planned from a structured brief speaks each contact's language."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import ContactCreate
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.telegram.transport import OutgoingMessage, SendOutcome, SendStatus
from tests.agent.factories import app_client
from tests.agent.fake_llm import claude_message, fake_llm, tool_use
from tests.factories import (
    database_of,
    grant_consent,
    headers_for,
    make_sender,
    runtime_of,
    transports_of,
)

LANGUAGES = {"fr": 3, "de": 2, "en": 1, "ja": 1}
OPT_OUTS = {
    "fr": "Pour vous désabonner, répondez /stop.",
    "de": "Zum Abbestellen antworten Sie mit /stop.",
    "en": "Reply /stop to unsubscribe.",
    "ja": "Reply /stop to unsubscribe.",  # no Japanese templates: the main language's text
}


async def test_each_contact_receives_the_variant_in_their_own_language(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    language_of: dict[int, str] = {}
    async with db.session() as session:
        for language, count in LANGUAGES.items():
            for n in range(count):
                telegram_id = 20_000_000 + len(language_of)
                contact = await orchestrator.create_contact(
                    session=session,
                    contact_in=ContactCreate(
                        telegram_id=telegram_id, first_name=f"P{n}", language=language
                    ),
                )
                await grant_consent(session, contact.id, sender_id, "marketing")
                language_of[telegram_id] = language
    headers = await headers_for(client, db)

    created = await client.post(
        "/api/v1/orchestrator/campaigns",
        json={
            "name": "Boots",
            "brief": {"product": "Winter boots", "offer": "20% off", "deadline": "2026-12-07"},
            "cta_url": "https://shop.example/boots",
            "variant_count": 2,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    campaign = created.json()
    for variant in campaign["variants"]:
        assert set(variant["translations"]) == {"fr", "de"}
        assert "jusqu'au 7 décembre" in variant["translations"]["fr"]
    assert campaign["goal"] == "Winter boots: 20% off"
    submitted = await client.post(
        f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers
    )
    assert submitted.status_code == 200, submitted.text

    received: dict[int, str] = {}

    async def send(*, sender_id: int, profile_name: str, message: OutgoingMessage) -> SendOutcome:
        received[message.chat_id] = message.text
        return SendOutcome(status=SendStatus.SENT, message_id=len(received))

    worker = DeliveryWorker(db, transports=transports_of(db), send=send)
    for _ in range(20):
        await scheduled.tick(runtime_of(db))
        if not await worker.run_once() and len(received) == len(language_of):
            break

    assert set(received) == set(language_of)
    for chat_id, text in received.items():
        assert text.endswith(OPT_OUTS[language_of[chat_id]]), text


async def test_a_brief_that_says_nothing_is_a_422_naming_the_fields(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)

    response = await client.post(
        "/api/v1/orchestrator/campaigns",
        json={"name": "Empty", "brief": {"tone": "formal"}},
        headers=headers,
    )

    assert response.status_code == 422
    problem: dict[str, Any] = response.json()
    assert "product or offer" in str(problem)


async def test_texts_an_llm_wrote_are_marked_and_wait_for_a_person(
    db: Database, settings: Settings
) -> None:
    submission = {
        "strategy": "Plain offer against a question.",
        "variants": [
            {
                "text": "Hi {first_name}! Boots are 20% off. Reply /stop to unsubscribe.",
                "rationale": "Plain.",
            },
            {
                "text": "Cold feet, {first_name}? Boots 20% off. Reply /stop to unsubscribe.",
                "rationale": "Hook.",
            },
        ],
    }
    script = [
        claude_message(
            tool_use("toolu_sub", "submit_plan", submission), input_tokens=10, output_tokens=10
        )
    ]
    with fake_llm(script) as server:
        claude = settings.model_copy(
            update={
                "llm_provider": "anthropic",
                "anthropic_api_key": SecretStr("sk-ant-test"),
                "anthropic_base_url": server.url,
            }
        )
        async with app_client(claude, db) as client:
            await make_sender(db)
            headers = await headers_for(client, db)
            created = await client.post(
                "/api/v1/orchestrator/campaigns",
                json={"name": "Boots", "brief": {"product": "Boots", "offer": "20% off"}},
                headers=headers,
            )
            reviews = (await client.get("/api/v1/orchestrator/reviews", headers=headers)).json()
            audit = (await client.get("/api/v1/compliance/audit", headers=headers)).json()

    assert created.status_code == 201, created.text
    campaign = created.json()
    assert campaign["ai_generated"] is True and campaign["agent_provider"] == "anthropic"
    assert campaign["status"] == "pending_review"
    assert "An LLM wrote these texts" in reviews["items"][0]["reason"]
    entry = next(e for e in audit["items"] if e["action"] == "campaign.created")
    assert entry["data"]["ai_generated"] is True


async def test_a_brief_the_strategist_cannot_read_is_a_422_at_its_field(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)
    url = "/api/v1/orchestrator/campaigns"

    blank = await client.post(
        url, json={"name": "Blank", "brief": {"product": "   "}}, headers=headers
    )
    no_tag = await client.post(
        url,
        json={"name": "Tags", "brief": {"product": "Boots", "languages": ["x"]}},
        headers=headers,
    )

    assert blank.status_code == 422, blank.text
    assert blank.json()["errors"][0]["loc"] == ["body", "brief"]
    assert no_tag.status_code == 422, no_tag.text
    assert no_tag.json()["errors"][0]["loc"][:3] == ["body", "brief", "languages"]
    listed = await client.get(url, headers=headers)
    assert listed.json()["total"] == 0  # nothing half-written

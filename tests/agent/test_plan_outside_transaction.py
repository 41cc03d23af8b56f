"""The strategist thinks with no database lock held: on SQLite (one writer at a time) the worker
keeps sending another campaign while a slow model, over real HTTP, plans a new one."""

from __future__ import annotations

import asyncio
import threading
import time

from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator.worker import DeliveryWorker
from tests.agent.factories import app_client
from tests.agent.fake_llm import Recorded, Reply, chat_tool_calls, fake_llm
from tests.factories import (
    counts,
    headers_for,
    make_contacts,
    make_sender,
    start_campaign,
    transports_of,
)
from tests.waits import wait_until

SUBMISSION = {
    "strategy": "Two angles on the winter boots.",
    "variants": [
        {
            "text": "Hi {first_name}, winter boots are in. Reply /stop to unsubscribe.",
            "rationale": "a",
        },
        {
            "text": "Cold feet, {first_name}? Meet our boots. Reply /stop to unsubscribe.",
            "rationale": "b",
        },
    ],
}
SLOWEST_S = 10.0  # the model's longest think: several seconds, then it answers anyway


async def test_the_worker_keeps_sending_while_a_slow_model_plans(
    settings: Settings, db: Database
) -> None:
    release = threading.Event()

    def slow_model(request: Recorded) -> Reply:
        release.wait(timeout=SLOWEST_S)
        return chat_tool_calls(
            ("call_1", "submit_plan", SUBMISSION), prompt_tokens=900, completion_tokens=150
        )

    with fake_llm(slow_model) as server:
        app_settings = settings.model_copy(
            update={
                "llm_provider": "openai",
                "openai_base_url": f"{server.url}/v1",
                "llm_fallback": "none",
            }
        )
        async with app_client(app_settings, db) as client:
            sender_id = await make_sender(db)
            await make_contacts(db, 20, sender_id=sender_id)
            running = await start_campaign(db, app_settings, sender_id=sender_id)
            headers = await headers_for(client, db)

            creating = asyncio.create_task(
                client.post(
                    "/api/v1/orchestrator/campaigns",
                    json={"name": "Slow plan", "goal": "Winter boots are in", "variant_count": 2},
                    headers=headers,
                )
            )
            await wait_until(lambda: bool(server.requests), timeout_s=5, what="the model asked")

            worker = DeliveryWorker(db, transports=transports_of(db))
            started = time.monotonic()
            while (await counts(db, running)).sent < 20:
                assert time.monotonic() - started < SLOWEST_S - 2, "the worker was held up"
                await worker.run_once()
            sent_while_thinking = not creating.done() and not release.is_set()

            release.set()
            response = await creating

    assert sent_while_thinking, "every message went out while the model was still thinking"
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["agent_provider"] == "openai" and created["ai_generated"] is True
    assert len(server.requests) == 1

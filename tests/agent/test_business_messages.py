"""Replies Telegram delivered through a business connection never reach an LLM unless the
workspace allowed it (Telegram's Bot Developer Terms): the fake model server's record of what it
received holds the ordinary reply and not the business one."""

from __future__ import annotations

import json

import pytest

from marketing_agent.core import clock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows
from marketing_agent.telegram.transport import InboundEvent
from tests.agent.factories import app_client
from tests.agent.fake_llm import chat_tool_calls, fake_llm
from tests.agent.test_chat import ask, chat_text, openai_settings
from tests.agent.test_reply_inbox import reply, subscribed_contact
from tests.factories import headers_for, make_sender

PLAIN = "Do you ship the boots to Lyon?"
BUSINESS = "Is the blue pair back in size 38? I'm in Porto."


async def business_reply(db: Database, sender_id: int, telegram_id: int, text: str) -> None:
    event = InboundEvent(
        kind="reply",
        chat_id=telegram_id,
        occurred_at=clock.now(),
        text=text,
        payload={"business_connection_id": "bc-1"},
    )
    async with db.session() as session:
        await flows.handle_inbound(session=session, sender_id=sender_id, events=[event])


@pytest.mark.parametrize("allowed", [False, True])
async def test_a_business_reply_reaches_the_llm_only_when_the_workspace_allows_it(
    settings: Settings, db: Database, allowed: bool
) -> None:
    sender_id = await make_sender(db)
    await subscribed_contact(db, sender_id, 7_300_001, "en")
    await subscribed_contact(db, sender_id, 7_300_002, "en")
    await reply(db, sender_id, 7_300_001, PLAIN)
    await business_reply(db, sender_id, 7_300_002, BUSINESS)
    script = [
        chat_tool_calls(("c1", "recent_replies", {}), prompt_tokens=200, completion_tokens=20),
        chat_text("One customer asks about shipping to Lyon."),
    ]
    workspace = openai_settings(settings, "").model_copy(
        update={"agent_llm_business_messages": allowed}
    )

    with fake_llm(script) as server:
        app_settings = workspace.model_copy(update={"openai_base_url": f"{server.url}/v1"})
        async with app_client(app_settings, db) as client:
            headers = await headers_for(client, db)
            answer = await ask(client, headers, "Anything in the replies?")
            inbox = (await client.get("/api/v1/agent/inbox", headers=headers)).json()

    assert {s["tool"]: s["status"] for s in answer["steps"]} == {"recent_replies": "ok"}
    received = json.dumps([r.body for r in server.requests], ensure_ascii=False)
    assert PLAIN in received
    assert (BUSINESS in received) is allowed
    # The person still sees both in the inbox: only the LLM is kept from the business one.
    assert {r["text"] for r in inbox["items"]} >= {PLAIN, BUSINESS}

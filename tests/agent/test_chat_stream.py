"""Streamed answers: the strategist's text reaches the page sentence by sentence while the model
is still writing, each figure checked before it is shown, tool calls as they run, then the
checked answer. Real Anthropic and OpenAI SDKs streaming from scripted servers on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
from fastapi import FastAPI

from marketing_agent.agent import service as agent
from marketing_agent.agent.chat_tools import chat_tools
from marketing_agent.agent.schemas import ChatRequest
from marketing_agent.core.auth import Principal, Role
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from tests.agent.factories import app_client, claude_settings
from tests.agent.fake_llm import (
    Reply,
    chat_tool_calls,
    claude_message,
    fake_llm,
    text_block,
    tool_use,
)
from tests.agent.test_budget_breaker_privacy import spend
from tests.agent.test_chat import chat_text, openai_settings, sent_campaign
from tests.factories import database_of, headers_for

QUESTION = {"messages": [{"role": "user", "content": "How did Boots do?"}]}


async def stream(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any] = QUESTION
) -> list[dict[str, Any]]:
    """Posts a question to the streaming chat; returns its events in order."""
    events = []
    async with client.stream(
        "POST", "/api/v1/agent/chat/stream", json=body, headers=headers
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
    return events


def shown(events: list[dict[str, Any]]) -> str:
    """The text a reader of the stream has on screen before the final answer."""
    text = ""
    for event in events:
        if event["type"] == "reset":
            text = ""
        elif event["type"] == "delta":
            text += event["text"]
    return text


async def test_openai_answer_streams_its_steps_then_sentences_then_the_checked_answer(
    settings: Settings, db: Database
) -> None:
    await sent_campaign(db, settings, 12)
    script = [
        chat_tool_calls(("c1", "list_campaigns", {}), prompt_tokens=200, completion_tokens=20),
        chat_tool_calls(
            ("c2", "campaign_results", {"campaign_id": 1}), prompt_tokens=300, completion_tokens=20
        ),
        chat_text("Boots was sent to 12 people [S2]. All 12 were delivered [S2]."),
    ]
    with fake_llm(script) as server:
        async with app_client(openai_settings(settings, server.url), db) as client:
            headers = await headers_for(client, db)
            events = await stream(client, headers)

    kinds = [e["type"] for e in events]
    assert kinds == ["step", "step", "delta", "delta", "answer"]
    assert [e["step"]["tool"] for e in events[:2]] == ["list_campaigns", "campaign_results"]
    assert events[2]["text"] == "Boots was sent to 12 people [S2]."
    answer = events[-1]["answer"]
    assert shown(events) == answer["answer"]
    assert answer["ai_generated"] is True and answer["usage"]["input_tokens"] == 800
    assert server.streamed == 3 and all(r.body["stream"] is True for r in server.requests)
    assert all(r.body["stream_options"] == {"include_usage": True} for r in server.requests)


async def test_claude_answer_streams_and_an_invented_figure_is_never_shown(
    settings: Settings, db: Database
) -> None:
    await sent_campaign(db, settings, 12)
    script = [
        claude_message(
            text_block("Let me look."),
            tool_use("t1", "campaign_results", {"campaign_id": 1}),
            input_tokens=300,
            output_tokens=30,
        ),
        claude_message(
            text_block("Boots reached 1,500 people [S2]. It went well."),
            input_tokens=400,
            output_tokens=30,
            stop_reason="end_turn",
        ),
        claude_message(
            text_block("Boots was sent to 12 people [S2]."),
            input_tokens=450,
            output_tokens=20,
            stop_reason="end_turn",
        ),
    ]
    with fake_llm(script) as server:
        app_settings = settings.model_copy(
            update={
                k: getattr(claude_settings(server.url), k)
                for k in ("llm_provider", "anthropic_api_key", "anthropic_base_url", "llm_fallback")
            }
        )
        async with app_client(app_settings, db) as client:
            headers = await headers_for(client, db)
            events = await stream(client, headers)

    deltas = [e["text"] for e in events if e["type"] == "delta"]
    assert all("1,500" not in d for d in deltas), "an invented figure never reaches the screen"
    assert "Boots reached [unverified figure] people [S2]." in deltas
    assert [e["type"] for e in events] == ["step", "delta", "reset", "delta", "answer"]
    assert events[-1]["answer"]["answer"] == "Boots was sent to 12 people [S2]."
    assert shown(events) == "Boots was sent to 12 people [S2]."
    assert server.streamed == 3
    assert "1,500" in server.requests[2].body["messages"][-1]["content"]


async def test_the_first_sentence_arrives_while_the_model_is_still_writing(
    settings: Settings, db: Database
) -> None:
    hold = threading.Event()  # the fake server sends the end of its stream only once this is set
    reply = chat_text("Nothing was sent yet. Ask me again once a campaign has gone out.")
    admin = Principal(user_id=1, username="admin", role=Role.ADMIN)
    with fake_llm([Reply(reply.status, reply.body, hold=hold)]) as server:
        app_settings = openai_settings(settings, server.url)
        strategist = agent.Strategist(app_settings, db.sessionmaker)
        opened = await strategist.open_chat(
            request=ChatRequest.model_validate(QUESTION),
            tools=chat_tools(db.sessionmaker, app_settings),
            principal=admin,
        )
        events = []
        async for event in opened.events():
            events.append(event)
            if event.type == "delta" and not hold.is_set():
                assert events[-1].text == "Nothing was sent yet."  # the stream is still open
                hold.set()

    assert server.hold_timeouts == 0, "the first sentence was read before the stream ended"
    assert [e.type for e in events] == ["delta", "delta", "answer"]
    assert events[0].text == "Nothing was sent yet."


async def test_a_used_up_budget_is_a_402_before_the_stream_starts(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, db: Database
) -> None:
    with fake_llm([]) as server:
        app_settings = settings.model_copy(
            update={
                "llm_provider": "anthropic",
                "anthropic_api_key": claude_settings(server.url).anthropic_api_key,
                "anthropic_base_url": server.url,
                "llm_fallback": "none",
                "agent_budget_day_usd": 1.0,
            }
        )
        async with app_client(app_settings, db) as claude_client:
            headers = await headers_for(claude_client, db)
            await spend(db, 1_000_000)
            refused = await claude_client.post(
                "/api/v1/agent/chat/stream", json=QUESTION, headers=headers
            )

    assert refused.status_code == 402
    assert "today's spend is $1.0000 of $1.0000" in refused.json()["detail"]
    assert server.requests == []


async def test_offline_answers_stream_too(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    await sent_campaign(db, settings, 5)
    headers = await headers_for(client, db)

    events = await stream(client, headers)

    assert [e["type"] for e in events][:2] == ["step", "step"]
    answer = events[-1]["answer"]
    assert events[-1]["type"] == "answer" and answer["offline"] is True
    assert shown(events) == answer["answer"] and "sent to 5" in answer["answer"]

"""The strategist on an OpenAI-compatible server, scripted on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest

from marketing_agent.agent.providers.openai_compat import OpenAICompatProvider
from marketing_agent.core.errors import Unavailable
from tests.agent.factories import ToolSpy, brief
from tests.agent.fake_llm import Reply, chat_tool_calls, fake_llm

SUBMISSION: dict[str, Any] = {
    "strategy": "Plain news against a seasonal hook.",
    "variants": [
        {"text": "Winter sale: 20% off boots.", "rationale": "plain"},
        {"text": "Cold feet? Boots are 20% off.", "rationale": "hook"},
    ],
}


async def test_a_compatible_server_plans_through_function_tools() -> None:
    spy = ToolSpy()
    script = [
        chat_tool_calls(
            ("call_1", "describe_audience", {}),
            ("call_2", "check_content", {"text": "Winter sale: 20% off boots."}),
            prompt_tokens=600,
            completion_tokens=100,
        ),
        chat_tool_calls(
            ("call_3", "submit_plan", SUBMISSION), prompt_tokens=400, completion_tokens=400
        ),
    ]

    with fake_llm(script) as server:
        provider = OpenAICompatProvider(
            "sk-openai-test", "gpt-4o-mini", base_url=server.url + "/v1"
        )
        plan = await provider.plan_campaign(brief(), spy.tools())

    first, second = server.requests
    assert first.path == "/v1/chat/completions"
    assert first.headers["authorization"] == "Bearer sk-openai-test"
    assert [m["role"] for m in first.body["messages"]] == ["system", "user"]
    assert [t["function"]["name"] for t in first.body["tools"]] == [
        "describe_audience",
        "check_content",
        "submit_plan",
    ]
    tool_messages = [m for m in second.body["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["call_1", "call_2"]
    assert json.loads(tool_messages[0]["content"])["size"] == 1200
    assert second.body["messages"][2]["tool_calls"][0]["id"] == "call_1"

    assert [v.text for v in plan.variants] == [v["text"] for v in SUBMISSION["variants"]]
    assert (plan.provider, plan.model, plan.offline) == ("openai", "gpt-4o-mini-2024-07-18", False)
    assert (plan.usage.input_tokens, plan.usage.output_tokens) == (1000, 500)
    assert plan.usage.cost_usd_micros == 150 + 300  # $0.15 and $0.60 per million tokens
    assert spy.audience_calls == 1


async def test_bad_arguments_are_sent_back_and_server_errors_are_unavailable() -> None:
    broken = chat_tool_calls(("call_1", "submit_plan", {}), prompt_tokens=1, completion_tokens=1)
    broken.body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = "{oops"
    script = [broken, Reply(502, {"error": {"message": "upstream down"}})]

    with fake_llm(script) as server:
        provider = OpenAICompatProvider(
            None, "local-model", base_url=server.url + "/v1", max_retries=0
        )
        with pytest.raises(Unavailable, match=r"The model server failed \(502\)"):
            await provider.plan_campaign(brief(), ToolSpy().tools())

    # No key configured: local servers ignore it, the SDK needs one.
    assert server.requests[0].headers["authorization"] == "Bearer not-needed"
    [tool_message] = [m for m in server.requests[1].body["messages"] if m["role"] == "tool"]
    assert "not valid JSON" in tool_message["content"]


async def test_a_rate_limited_server_is_retried_by_the_sdk_then_plans() -> None:
    script = [
        Reply(429, {"error": {"message": "slow down"}}, {"retry-after-ms": "20"}),
        Reply(503, {"error": {"message": "overloaded"}}, {"retry-after-ms": "20"}),
        chat_tool_calls(
            ("call_1", "submit_plan", SUBMISSION), prompt_tokens=5, completion_tokens=5
        ),
    ]

    with fake_llm(script) as server:
        provider = OpenAICompatProvider(
            "sk-openai-test", "gpt-4o-mini", base_url=server.url + "/v1", max_retries=2
        )
        plan = await provider.plan_campaign(brief(), ToolSpy().tools())

    assert len(server.requests) == 3
    assert [v.text for v in plan.variants] == [v["text"] for v in SUBMISSION["variants"]]

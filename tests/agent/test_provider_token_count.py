"""Claude's requests are measured by Anthropic's own count (POST /v1/messages/count_tokens)
before they are sent: the spend check and the context budget use that count, and the local
estimate only where the endpoint fails. Real SDK against a scripted server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from marketing_agent.agent import service as agent
from marketing_agent.agent.errors import BudgetExhausted
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from tests.agent import factories
from tests.agent.factories import SUBMISSION, ToolSpy, app_client, brief
from tests.agent.fake_llm import (
    Recorded,
    Reply,
    claude_message,
    count_of,
    fake_llm,
    no_count_endpoint,
    rough_count,
    tool_use,
)
from tests.factories import headers_for


def claude_settings(url: str, **overrides: object) -> Settings:
    """Claude at the fake server, with a $0.15 cap per call (the budget these tests decide)."""
    return factories.claude_settings(url, **({"agent_budget_call_usd": 0.15} | overrides))


def submit_at_once() -> list[Reply]:
    return [
        claude_message(tool_use("t1", "submit_plan", SUBMISSION), input_tokens=50, output_tokens=50)
    ]


async def test_anthropics_count_stops_a_plan_the_local_estimate_would_have_sent(
    db: Database,
) -> None:
    # Worst case of the first round by Anthropic's count: 40,000 in x $2 + 8,192 out x $10 per
    # million = $0.16, over the $0.15 cap; by the local estimate (~630 in, tools left out) $0.08.
    with fake_llm(submit_at_once(), count_tokens=count_of(40_000)) as server:
        strategist = agent.Strategist(claude_settings(server.url), db.sessionmaker)
        with pytest.raises(BudgetExhausted) as caught:
            await strategist.plan_campaign(brief=brief(), tools=ToolSpy().tools())

    assert server.requests == [], "the request the count priced over the cap was never sent"
    assert "40,000 input tokens, as the provider counted them" in caught.value.detail
    counted = server.counted[0]
    assert counted.path == "/v1/messages/count_tokens"
    assert "sk-ant-test" in counted.headers.get("x-api-key", counted.headers["authorization"])
    # The count is of the request as it would be sent: the model, system prompt, tools, brief.
    assert counted.body["model"] == "claude-sonnet-5-5"
    assert {t["name"] for t in counted.body["tools"]} >= {"describe_audience", "submit_plan"}
    assert counted.body["system"][0]["type"] == "text"
    assert "Announce our winter sale" in json.dumps(counted.body["messages"])
    assert "max_tokens" not in counted.body


async def test_without_the_count_endpoint_the_estimate_decides_and_it_is_asked_once(
    db: Database,
) -> None:
    script = [
        claude_message(tool_use("t1", "describe_audience", {}), input_tokens=50, output_tokens=50),
        *submit_at_once(),
    ]
    with fake_llm(script, count_tokens=no_count_endpoint) as server:
        strategist = agent.Strategist(claude_settings(server.url), db.sessionmaker)
        plan = await strategist.plan_campaign(brief=brief(), tools=ToolSpy().tools())

    assert plan.provider == "anthropic" and len(plan.variants) == 2
    assert len(server.requests) == 2
    assert len(server.counted) == 1, "a server without counting is not asked every round"


async def test_a_small_count_lets_a_plan_through_that_the_estimate_would_have_stopped(
    db: Database,
) -> None:
    # A long brief: the local estimate (4 characters a token, ~1,090) prices its first round at
    # $0.0841, over the $0.083 cap; Anthropic counts 100 tokens: $0.0002 + $0.0819 fits.
    goal = "Announce our winter sale. " + "Warm, waterproof, light. " * 75
    cap = {"agent_budget_call_usd": 0.083}
    with fake_llm(submit_at_once(), count_tokens=count_of(100)) as server:
        strategist = agent.Strategist(claude_settings(server.url, **cap), db.sessionmaker)
        plan = await strategist.plan_campaign(brief=brief(goal=goal), tools=ToolSpy().tools())

        with fake_llm(submit_at_once(), count_tokens=no_count_endpoint) as estimating:
            estimated = agent.Strategist(claude_settings(estimating.url, **cap), db.sessionmaker)
            with pytest.raises(BudgetExhausted) as caught:
                await estimated.plan_campaign(brief=brief(goal=goal), tools=ToolSpy().tools())

    assert plan.provider == "anthropic" and len(server.requests) == 1
    assert estimating.requests == [] and "estimated" in caught.value.detail


def tripled(request: Recorded) -> Reply:
    """A tokenizer that sees three times the estimate's tokens in this text."""
    return Reply(200, {"input_tokens": rough_count(request).body["input_tokens"] * 3})


@pytest.mark.parametrize(("count", "shortened"), [(rough_count, False), (tripled, True)])
async def test_a_count_over_the_context_budget_shortens_older_tool_results(
    db: Database, count: object, shortened: bool
) -> None:
    spy = ToolSpy()
    spy.audience = spy.audience | {"note": "Bought boots in spring. " * 150}  # ~3,600 chars
    script = [
        claude_message(tool_use("t1", "describe_audience", {}), input_tokens=50, output_tokens=50),
        claude_message(tool_use("t2", "describe_audience", {}), input_tokens=50, output_tokens=50),
        *submit_at_once(),
    ]
    with fake_llm(script, count_tokens=count) as server:  # type: ignore[arg-type]
        strategist = agent.Strategist(
            claude_settings(server.url, agent_context_max_tokens=8_000, agent_budget_call_usd=5),
            db.sessionmaker,
        )
        await strategist.plan_campaign(brief=brief(), tools=spy.tools())

    results = [
        block["content"]
        for message in server.requests[2].body["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    # With a count near the estimate both results fit; tripled, the older one is summarised.
    assert results[0].startswith("[earlier, shortened to fit:") is shortened
    assert "Bought boots in spring" in results[-1], "the newest result stays whole"


async def test_the_chat_on_claude_is_priced_by_anthropics_count_too(
    settings: Settings, db: Database
) -> None:
    with fake_llm([], count_tokens=count_of(40_000)) as server:
        app_settings = settings.model_copy(
            update={
                "llm_provider": "anthropic",
                "anthropic_api_key": claude_settings(server.url).anthropic_api_key,
                "anthropic_base_url": server.url,
                "anthropic_model": "claude-sonnet-5-5",
                "llm_fallback": "none",
                "agent_budget_call_usd": 0.15,
            }
        )
        async with app_client(app_settings, db) as client:
            headers = await headers_for(client, db)
            refused = await client.post(
                "/api/v1/agent/chat",
                json={"messages": [{"role": "user", "content": "How did Boots do?"}]},
                headers=headers,
            )

    assert refused.status_code == 402, refused.text
    assert "40,000 input tokens, as the provider counted them" in refused.json()["detail"]
    assert server.requests == [] and server.counted
    assert "How did Boots do?" in json.dumps(server.counted[0].body["messages"])

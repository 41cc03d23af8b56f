"""Cost, outages and privacy at the provider's door: budgets that stop the loop before an
overrun, a breaker that stops calling a failing provider, nothing personal in what it receives.
Real SDKs against scripted servers on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from marketing_agent.agent import service as agent
from marketing_agent.agent.errors import BudgetExhausted, ProviderCircuitOpen
from marketing_agent.agent.schemas import Usage
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.errors import Unavailable
from marketing_agent.core.settings import Settings
from tests.agent.factories import SUBMISSION, ToolSpy, app_client, brief, claude_settings
from tests.agent.fake_llm import chat_tool_calls, claude_error, claude_message, fake_llm, tool_use
from tests.agent.test_chat import ask, chat_text, openai_settings
from tests.agent.test_reply_inbox import reply, subscribed_contact
from tests.factories import headers_for, make_sender


async def spend(db: Database, usd_micros: int) -> None:
    async with db.session() as session:
        await agent.record_usage(
            session=session,
            usage=Usage(
                provider="anthropic", model="claude-sonnet-5-5", cost_usd_micros=usd_micros
            ),
            purpose="plan_campaign",
        )


async def test_the_call_budget_stops_the_loop_before_a_round_that_could_pass_it(
    db: Database,
) -> None:
    script = [
        claude_message(
            tool_use("t1", "describe_audience", {}), input_tokens=20_000, output_tokens=3_000
        ),
        claude_message(tool_use("t2", "submit_plan", SUBMISSION), input_tokens=1, output_tokens=1),
    ]
    with fake_llm(script) as server:
        strategist = agent.Strategist(
            claude_settings(server.url, agent_budget_call_usd=0.10), db.sessionmaker
        )
        with pytest.raises(BudgetExhausted) as caught:
            await strategist.plan_campaign(brief=brief(), tools=ToolSpy().tools())

    assert len(server.requests) == 1, "the second round was never sent"
    assert caught.value.status == 402 and "MA_AGENT_BUDGET_CALL_USD" in caught.value.detail
    async with db.session() as session:
        usage = await agent.usage_summary(session=session)
    # What the one round cost is on the books: 20k in x $2 + 3k out x $10 per million.
    assert (usage.calls, usage.input_tokens, usage.cost_usd_micros) == (1, 20_000, 70_000)
    assert usage.cost_usd_micros <= 100_000


async def test_a_used_up_day_refuses_before_any_request_and_the_api_says_why(
    settings: Settings, db: Database
) -> None:
    with fake_llm([]) as server:
        claude = claude_settings(server.url)
        app_settings = settings.model_copy(
            update={
                "llm_provider": "anthropic",
                "anthropic_api_key": claude.anthropic_api_key,
                "anthropic_base_url": server.url,
                "llm_fallback": "none",
                "agent_budget_day_usd": 1.0,
            }
        )
        async with app_client(app_settings, db) as client:
            headers = await headers_for(client, db)
            await spend(db, 850_000)
            warned = (await client.get("/api/v1/agent/budget", headers=headers)).json()
            await spend(db, 150_000)
            refused = await client.post(
                "/api/v1/agent/plan",
                json={"name": "Boots", "product": "Winter boots", "variant_count": 2},
                headers=headers,
            )
            usage = (await client.get("/api/v1/agent/usage", headers=headers)).json()

    assert warned["warning"] is True and warned["exhausted"] is False
    assert warned["day"]["used_share"] == 0.85
    assert refused.status_code == 402, refused.text
    problem = refused.json()
    assert "today's spend is $1.0000 of $1.0000" in problem["detail"]
    assert "MA_AGENT_BUDGET_DAY_USD" in problem["detail"]
    assert server.requests == [], "nothing was spent past the budget"
    assert usage["budget"]["exhausted"] is True
    assert usage["budget"]["next_call_cap_usd_micros"] == 0


async def test_the_breaker_stops_calling_a_failing_provider_then_tries_again(
    db: Database, virtual_clock: VirtualClock
) -> None:
    overloaded = claude_error(529, "overloaded_error", "Overloaded", retry_after_ms="1")
    script = [overloaded] * 6 + [
        claude_message(tool_use("t1", "submit_plan", SUBMISSION), input_tokens=5, output_tokens=5)
    ]
    with fake_llm(script) as server:
        strategist = agent.Strategist(
            claude_settings(server.url, agent_breaker_failures=2, agent_breaker_reset_s=60),
            db.sessionmaker,
        )
        for _ in range(2):  # each call: the request and the SDK's two retries
            with pytest.raises(Unavailable):
                await strategist.plan_campaign(brief=brief(), tools=ToolSpy().tools())
        assert len(server.requests) == 6

        with pytest.raises(ProviderCircuitOpen) as caught:
            await strategist.plan_campaign(brief=brief(), tools=ToolSpy().tools())
        assert len(server.requests) == 6, "an open breaker sends nothing"
        assert "paused for 60 s" in caught.value.detail

        virtual_clock.advance(61)
        plan = await strategist.plan_campaign(brief=brief(), tools=ToolSpy().tools())

    assert plan.provider == "anthropic" and len(server.requests) == 7
    assert strategist.breaker("anthropic").state == "closed"


async def test_with_the_breaker_open_the_offline_templates_plan_and_say_so(db: Database) -> None:
    strategist = agent.Strategist(
        claude_settings("http://127.0.0.1:9", llm_fallback="offline"), db.sessionmaker
    )
    strategist.breaker("anthropic").opened_at = 0.0
    strategist.breaker("anthropic").failures = 3
    strategist.breaker("anthropic").reset_after_s = 10**9

    plan = await strategist.plan_campaign(brief=brief(), tools=ToolSpy().tools())

    assert plan.offline and "paused" in plan.notes[0]


async def test_the_provider_receives_no_phone_email_or_username_of_a_contact(
    db: Database,
) -> None:
    secrets = ["+44 20 7946 0958", "jane.doe@example.com", "@jane_doe_shop", "4111 1111 1111 1111"]
    spy = ToolSpy()
    spy.audience = spy.audience | {"note": "ask maria.rossi@example.org or +49 30 901820"}
    script = [
        claude_message(tool_use("t1", "describe_audience", {}), input_tokens=5, output_tokens=5),
        claude_message(tool_use("t2", "submit_plan", SUBMISSION), input_tokens=5, output_tokens=5),
    ]
    goal = (
        "Tell Jane (+44 20 7946 0958, jane.doe@example.com, @jane_doe_shop, card "
        "4111 1111 1111 1111) and everyone else about the boots"
    )
    with fake_llm(script) as server:
        strategist = agent.Strategist(claude_settings(server.url), db.sessionmaker)
        plan = await strategist.plan_campaign(brief=brief(goal=goal), tools=spy.tools())

    assert server.counted, "the token counts were asked for too"
    sent = json.dumps([r.body for r in server.requests + server.counted], ensure_ascii=False)
    for value in [*secrets, "maria.rossi@example.org", "+49 30 901820"]:
        assert value not in sent
    assert "[PHONE]" in sent and "[EMAIL]" in sent and "[USERNAME]" in sent
    assert "about the boots" in sent, "the rest of the brief still reaches the model"
    assert plan.provider == "anthropic"


async def test_an_openai_compatible_server_receives_no_phone_email_or_username_from_the_chat(
    settings: Settings, db: Database
) -> None:
    sender_id = await make_sender(db)
    await subscribed_contact(db, sender_id, 7_400_001, "en")
    text = "Call me on +44 20 7946 0958 or write to jane.doe@example.com, I'm @jane_doe_shop"
    await reply(db, sender_id, 7_400_001, text)
    script = [
        chat_tool_calls(("c1", "recent_replies", {}), prompt_tokens=200, completion_tokens=20),
        chat_text("One customer asks to be called back [S1]."),
    ]
    with fake_llm(script) as server:
        async with app_client(openai_settings(settings, server.url), db) as client:
            headers = await headers_for(client, db)
            answer = await ask(client, headers, "Anything from jane.doe@example.com?")

    assert [s["status"] for s in answer["steps"]] == ["ok"]
    sent = json.dumps([r.body for r in server.requests], ensure_ascii=False)
    for value in ["+44 20 7946 0958", "jane.doe@example.com", "@jane_doe_shop", "7400001"]:
        assert value not in sent
    assert "[PHONE]" in sent and "[EMAIL]" in sent and "[USERNAME]" in sent
    assert "Call me on" in sent, "the rest of the reply still reaches the model"

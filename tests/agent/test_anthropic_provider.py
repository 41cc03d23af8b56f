"""The Claude strategist against a scripted Messages API on 127.0.0.1, through the real SDK."""

from __future__ import annotations

import json

import pytest

from marketing_agent.agent.errors import BriefRefused, PlanNotProduced
from marketing_agent.agent.providers.anthropic import AnthropicProvider
from marketing_agent.core.errors import Unavailable
from tests.agent.factories import ToolSpy, brief
from tests.agent.fake_llm import (
    Recorded,
    Reply,
    claude_error,
    claude_message,
    closed_port_url,
    fake_llm,
    text_block,
    tool_use,
)

KEY = "sk-ant-test-key"
VARIANT_A = "Hi {first_name}! Our winter sale is on: 20% off boots. https://shop.example/winter"
VARIANT_B = "Cold feet? Boots are 20% off this week. https://shop.example/winter Reply /stop."
SUBMISSION = {
    "strategy": "Lead with the discount; test a playful hook against a plain announcement.",
    "variants": [
        {"text": VARIANT_A, "rationale": "Plain and clear."},
        {"text": VARIANT_B, "rationale": "A hook that fits the season."},
    ],
}


def provider(url: str, **options: object) -> AnthropicProvider:
    return AnthropicProvider(KEY, "claude-sonnet-5-5", base_url=url, **options)  # type: ignore[arg-type]


def tool_results(request: Recorded) -> list[dict[str, object]]:
    last = request.body["messages"][-1]
    assert last["role"] == "user"
    return list(last["content"])


async def test_claude_uses_the_tools_and_submits_a_plan_over_http() -> None:
    spy = ToolSpy()
    script = [
        claude_message(
            tool_use("toolu_aud", "describe_audience", {}), input_tokens=100, output_tokens=20
        ),
        claude_message(
            text_block("Checking variant A."),
            tool_use("toolu_chk", "check_content", {"text": VARIANT_A}),
            input_tokens=150,
            output_tokens=30,
        ),
        claude_message(
            tool_use("toolu_sub", "submit_plan", SUBMISSION), input_tokens=200, output_tokens=400
        ),
    ]

    with fake_llm(script) as server:
        plan = await provider(server.url).plan_campaign(brief(), spy.tools())

    first, second, third = server.requests
    assert all(r.path == "/v1/messages" for r in server.requests)
    # SDK 2.x sends the API key as a bearer token (1.x sent it as x-api-key).
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in server.requests)
    assert "anthropic-version" in first.headers
    assert first.body["model"] == "claude-sonnet-5-5"
    assert [t["name"] for t in first.body["tools"]] == [
        "describe_audience",
        "check_content",
        "submit_plan",
    ]
    assert "tool_choice" not in first.body  # the newest models reject forced tool use
    [system] = first.body["system"]
    assert "consent-first" in system["text"] and "4096" in system["text"]
    assert system["cache_control"] == {"type": "ephemeral"}, "the prompt prefix is cached"
    assert first.body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "<brief>" in first.body["messages"][0]["content"]
    assert "Announce our winter sale" in first.body["messages"][0]["content"]

    # Round 2 carries the assistant's tool_use back, then the audience as its tool_result.
    assert second.body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "toolu_aud", "name": "describe_audience", "input": {}}
        ],
    }
    [audience] = tool_results(second)
    assert audience["type"] == "tool_result" and audience["tool_use_id"] == "toolu_aud"
    assert json.loads(str(audience["content"]))["size"] == 1200
    [check] = tool_results(third)
    assert check["tool_use_id"] == "toolu_chk"
    assert json.loads(str(check["content"]))["allowed"] is True
    assert third.body["messages"][3]["content"][0] == {
        "type": "text",
        "text": "Checking variant A.",
    }

    assert spy.audience_calls == 1 and spy.checked == [VARIANT_A]
    assert [(v.key, v.text) for v in plan.variants] == [("A", VARIANT_A), ("B", VARIANT_B)]
    assert plan.strategy == SUBMISSION["strategy"]
    assert (plan.provider, plan.offline) == ("anthropic", False)
    assert plan.model == "claude-sonnet-5-5"
    assert [c.name for c in plan.tool_calls] == [
        "describe_audience",
        "check_content",
        "submit_plan",
    ]
    assert (plan.usage.input_tokens, plan.usage.output_tokens) == (450, 450)
    assert plan.usage.cost_usd_micros == 450 * 2 + 450 * 10  # $2 and $10 per million tokens
    assert plan.notes == [
        "Variant B was not checked by the safety guard before it was submitted; it is checked "
        "again before anything is sent."
    ]


async def test_an_invalid_submission_goes_back_to_claude_to_correct() -> None:
    short = {"strategy": "x", "variants": [SUBMISSION["variants"][0]]}  # type: ignore[index]
    script = [
        claude_message(
            tool_use("toolu_1", "submit_plan", short), input_tokens=10, output_tokens=10
        ),
        claude_message(
            tool_use("toolu_2", "submit_plan", SUBMISSION), input_tokens=10, output_tokens=10
        ),
    ]

    with fake_llm(script) as server:
        plan = await provider(server.url).plan_campaign(brief(), ToolSpy().tools())

    [rejection] = tool_results(server.requests[1])
    assert rejection["tool_use_id"] == "toolu_1" and rejection["is_error"] is True
    assert "Exactly 2 variant(s) are needed; 1 were given." in str(rejection["content"])
    assert len(plan.variants) == 2
    assert [c.output_summary.split(":")[0] for c in plan.tool_calls] == ["rejected", "accepted"]


async def test_a_flagged_variant_is_noted_for_the_reviewer() -> None:
    spy = ToolSpy(flag=("cold feet",))
    script = [
        claude_message(
            tool_use("t1", "check_content", {"text": VARIANT_A}),
            tool_use("t2", "check_content", {"text": VARIANT_B}),
            input_tokens=10,
            output_tokens=10,
        ),
        claude_message(
            tool_use("t3", "submit_plan", SUBMISSION), input_tokens=10, output_tokens=10
        ),
    ]

    with fake_llm(script) as server:
        plan = await provider(server.url).plan_campaign(brief(), spy.tools())

    assert [r["tool_use_id"] for r in tool_results(server.requests[1])] == ["t1", "t2"]
    assert plan.notes == [
        "Variant B is flagged by the safety guard (contains 'cold feet'); a reviewer should "
        "look at it."
    ]


async def test_an_overloaded_api_is_retried_then_reported_as_unavailable() -> None:
    overloaded = claude_error(529, "overloaded_error", "Overloaded", retry_after_ms="1")

    with fake_llm(lambda request: overloaded) as server:
        with pytest.raises(Unavailable) as caught:
            await provider(server.url).plan_campaign(brief(), ToolSpy().tools())

    assert len(server.requests) == 3  # the SDK's two retries
    assert not isinstance(caught.value, PlanNotProduced)
    assert caught.value.status == 503
    assert caught.value.detail == (
        "Anthropic is overloaded right now (529). Try again in a few minutes."
    )


async def test_a_rejected_key_is_a_clear_error_without_the_key() -> None:
    with fake_llm([claude_error(401, "authentication_error", "invalid x-api-key")]) as server:
        with pytest.raises(Unavailable) as caught:
            await provider(server.url).plan_campaign(brief(), ToolSpy().tools())

    assert len(server.requests) == 1  # a bad key is not retried
    assert caught.value.detail == (
        "Anthropic rejected the API key (401). Check MA_ANTHROPIC_API_KEY."
    )
    assert KEY not in str(caught.value)


async def test_a_rate_limit_and_a_bad_request_say_what_happened() -> None:
    rate_limited = claude_error(429, "rate_limit_error", "slow down", x_should_retry="false")
    bad_request = claude_error(400, "invalid_request_error", "model: unknown model")

    with fake_llm([rate_limited, bad_request]) as server:
        with pytest.raises(Unavailable, match=r"rate limit was reached \(429\)"):
            await provider(server.url).plan_campaign(brief(), ToolSpy().tools())
        with pytest.raises(Unavailable, match=r"HTTP 400: model: unknown model"):
            await provider(server.url).plan_campaign(brief(), ToolSpy().tools())


async def test_a_rate_limit_is_waited_out_then_the_plan_arrives() -> None:
    rate_limited = claude_error(429, "rate_limit_error", "slow down", retry_after_ms="1")
    accepted = claude_message(
        tool_use("t1", "submit_plan", SUBMISSION), input_tokens=100, output_tokens=50
    )

    with fake_llm([rate_limited, accepted]) as server:
        plan = await provider(server.url).plan_campaign(brief(), ToolSpy().tools())

    assert len(server.requests) == 2  # the SDK retried the 429 after its retry-after
    assert server.requests[0].body == server.requests[1].body
    assert [v.text for v in plan.variants] == [VARIANT_A, VARIANT_B]
    assert (plan.usage.input_tokens, plan.usage.output_tokens) == (100, 50)


async def test_an_unreachable_api_is_unavailable() -> None:
    url = closed_port_url()

    with pytest.raises(Unavailable) as caught:
        await provider(url, max_retries=0).plan_campaign(brief(), ToolSpy().tools())

    assert caught.value.detail.startswith(f"The connection to the Anthropic API at {url} failed")


async def test_a_model_that_never_submits_stops_at_max_rounds() -> None:
    def always_audience(request: Recorded) -> Reply:
        return claude_message(
            tool_use(f"toolu_{len(request.body['messages'])}", "describe_audience", {}),
            input_tokens=5,
            output_tokens=5,
        )

    with fake_llm(always_audience) as server:
        with pytest.raises(PlanNotProduced) as caught:
            await provider(server.url, max_rounds=3).plan_campaign(brief(), ToolSpy().tools())

    assert len(server.requests) == 3
    last_reply = server.requests[2].body["messages"][-1]["content"]
    assert last_reply[0]["type"] == "tool_result"
    assert last_reply[-1]["type"] == "text" and "last turn" in last_reply[-1]["text"]
    assert "last turn" not in json.dumps(server.requests[1].body)
    assert caught.value.status == 502
    assert caught.value.detail == (
        "Claude did not submit a valid plan within 3 rounds (the model never called "
        "submit_plan). Try again, or raise MA_AGENT_MAX_TOOL_ROUNDS."
    )


async def test_a_refusal_is_reported_as_a_declined_brief() -> None:
    refusal = claude_message(
        text_block("I can't help with that."),
        input_tokens=5,
        output_tokens=5,
        stop_reason="refusal",
    )

    with fake_llm([refusal]) as server:
        with pytest.raises(BriefRefused, match="declined"):
            await provider(server.url).plan_campaign(brief(), ToolSpy().tools())


async def test_a_reply_without_a_tool_call_is_nudged_towards_submit_plan() -> None:
    script = [
        claude_message(
            text_block("Here are some ideas..."),
            input_tokens=5,
            output_tokens=5,
            stop_reason="end_turn",
        ),
        claude_message(
            tool_use("toolu_1", "submit_plan", SUBMISSION), input_tokens=5, output_tokens=5
        ),
    ]

    with fake_llm(script) as server:
        plan = await provider(server.url).plan_campaign(brief(), ToolSpy().tools())

    nudge = server.requests[1].body["messages"][-1]
    assert nudge["role"] == "user" and "submit_plan" in nudge["content"][0]["text"]
    assert len(plan.variants) == 2


async def test_claude_is_asked_for_every_language_and_its_translations_are_kept() -> None:
    submission = {
        "strategy": SUBMISSION["strategy"],
        "variants": [
            {**SUBMISSION["variants"][0], "translations": {"fr": "Bottes -20 %. Répondez /stop."}},
            {**SUBMISSION["variants"][1], "translations": {"fr-FR": "Froid aux pieds ? /stop"}},
        ],
    }
    script = [
        claude_message(
            tool_use("toolu_sub", "submit_plan", submission), input_tokens=10, output_tokens=10
        )
    ]

    with fake_llm(script) as server:
        plan = await provider(server.url).plan_campaign(
            brief(product="Winter boots", offer="20% off", languages=["en", "fr"]),
            ToolSpy().tools(),
        )

    request = server.requests[0].body
    system = request["system"][0]["text"]
    assert "'fr'" in system and "translations" in system
    assert "Product: Winter boots" in request["messages"][0]["content"]
    assert "Offer: 20% off" in request["messages"][0]["content"]
    assert plan.variants[0].translations == {"fr": "Bottes -20 %. Répondez /stop."}
    assert plan.variants[1].translations == {"fr": "Froid aux pieds ? /stop"}


async def test_cached_prompt_tokens_count_at_their_price() -> None:
    reply = claude_message(
        tool_use("toolu_sub", "submit_plan", SUBMISSION), input_tokens=100, output_tokens=10
    )
    reply.body["usage"] |= {"cache_creation_input_tokens": 800, "cache_read_input_tokens": 2000}

    with fake_llm([reply]) as server:
        plan = await provider(server.url).plan_campaign(brief(), ToolSpy().tools())

    # 100 + 800 x 1.25 + 2000 x 0.1 input tokens at the base price.
    assert plan.usage.input_tokens == 100 + 1000 + 200

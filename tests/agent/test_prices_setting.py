"""MA_AGENT_PRICES: the workspace's own prices per model, so a local or new model's tokens count
against the budgets like any listed one (an unpriced model costs 0 and no budget could stop it)."""

from __future__ import annotations

import pytest

from marketing_agent.agent import service as agent
from marketing_agent.agent.errors import BudgetExhausted
from marketing_agent.agent.pricing import cost_usd_micros
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from tests.agent.factories import ToolSpy, brief
from tests.agent.fake_llm import chat_tool_calls, fake_llm

SUBMISSION = {
    "strategy": "s",
    "variants": [{"text": "One", "rationale": "a"}, {"text": "Two", "rationale": "b"}],
}


def local_settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "llm_provider": "openai",
        "openai_base_url": url + "/v1",
        "openai_model": "llama3.1",  # in no built-in price list
        "llm_fallback": "none",
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg, arg-type]


def test_the_workspaces_price_comes_before_the_built_in_one() -> None:
    own = {"claude-sonnet-5-5": (1.0, 1.0), "llama3": (0.5, 2.0)}

    assert cost_usd_micros("claude-sonnet-5-5", input_tokens=1000, output_tokens=100) == 3000
    assert (
        cost_usd_micros("claude-sonnet-5-5", input_tokens=1000, output_tokens=100, prices=own)
        == 1100
    )
    assert cost_usd_micros("llama3.1:8b", input_tokens=1000, output_tokens=100, prices=own) == 700
    assert cost_usd_micros("llama3.1:8b", input_tokens=1000, output_tokens=100) is None


def test_prices_are_read_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MA_AGENT_PRICES", '{"llama3.1": [0.2, 0.4]}')

    assert Settings(_env_file=None).agent_prices == {"llama3.1": (0.2, 0.4)}  # type: ignore[call-arg]


async def test_a_priced_local_model_is_counted_and_stopped_by_the_call_budget(
    db: Database,
) -> None:
    script = [
        chat_tool_calls(
            ("c1", "describe_audience", {}), prompt_tokens=20_000, completion_tokens=3_000,
            model="llama3.1",
        ),
        chat_tool_calls(("c2", "submit_plan", SUBMISSION), prompt_tokens=1, completion_tokens=1),
    ]  # fmt: skip
    with fake_llm(script) as server:
        strategist = agent.Strategist(
            local_settings(
                server.url, agent_prices={"llama3.1": (2.0, 10.0)}, agent_budget_call_usd=0.10
            ),
            db.sessionmaker,
        )
        with pytest.raises(BudgetExhausted):
            await strategist.plan_campaign(brief=brief(), tools=ToolSpy().tools())

    assert len(server.requests) == 1, "the second round was never sent"
    async with db.session() as session:
        usage = await agent.usage_summary(session=session)
    # 20k in x $2 + 3k out x $10 per million, from the workspace's price for llama3.1.
    assert (usage.calls, usage.cost_usd_micros) == (1, 70_000)


async def test_without_a_price_a_local_model_costs_nothing_and_the_plan_says_so(
    db: Database,
) -> None:
    script = [
        chat_tool_calls(
            ("c1", "submit_plan", SUBMISSION), prompt_tokens=500, completion_tokens=50,
            model="llama3.1",
        )
    ]  # fmt: skip
    with fake_llm(script) as server:
        strategist = agent.Strategist(local_settings(server.url), db.sessionmaker)
        plan = await strategist.plan_campaign(brief=brief(), tools=ToolSpy().tools())

    assert plan.usage.cost_usd_micros == 0
    assert any("MA_AGENT_PRICES" in note for note in plan.notes)

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent import service as agent
from marketing_agent.agent.errors import ProviderNotConfigured
from marketing_agent.agent.models import LlmUsage
from marketing_agent.agent.providers.anthropic import AnthropicProvider
from marketing_agent.agent.providers.offline import OfflineProvider
from marketing_agent.agent.providers.openai_compat import OpenAICompatProvider
from marketing_agent.core.db import Database
from marketing_agent.core.errors import Unavailable
from marketing_agent.core.settings import Settings
from tests.agent.factories import ToolSpy, brief, settings
from tests.agent.fake_llm import claude_message, fake_llm, tool_use

SUBMISSION = {
    "strategy": "s",
    "variants": [{"text": "One", "rationale": "a"}, {"text": "Two", "rationale": "b"}],
}


def test_auto_means_offline_without_a_key_and_claude_with_one() -> None:
    offline = agent.select_provider(settings(llm_provider="auto", review_risk_threshold=0.3))
    claude = agent.select_provider(
        settings(
            llm_provider="auto",
            anthropic_api_key="sk-ant-x",
            anthropic_model="claude-sonnet-5-5",
            anthropic_base_url="http://127.0.0.1:9",
            agent_max_tool_rounds=4,
        )
    )

    assert isinstance(offline, OfflineProvider) and offline.risk_threshold == 0.3
    assert isinstance(claude, AnthropicProvider)
    assert (claude.model, claude.base_url, claude.max_rounds) == (
        "claude-sonnet-5-5",
        "http://127.0.0.1:9",
        4,
    )


def test_auto_uses_a_configured_openai_compatible_server() -> None:
    provider = agent.select_provider(settings(openai_base_url="http://127.0.0.1:11434/v1"))

    assert isinstance(provider, OpenAICompatProvider)


def test_anthropic_without_a_key_is_a_clear_error() -> None:
    with pytest.raises(ProviderNotConfigured) as caught:
        agent.select_provider(settings(llm_provider="anthropic"))

    assert "MA_ANTHROPIC_API_KEY is not set" in caught.value.detail
    assert caught.value.status == 503


def test_the_provider_description_never_shows_the_key() -> None:
    info = agent.describe_provider(settings(anthropic_api_key="sk-ant-secret"))
    missing = agent.describe_provider(settings(llm_provider="openai"))

    assert (info.provider, info.offline, info.configured) == ("anthropic", False, True)
    assert "sk-ant-secret" not in info.model_dump_json()
    assert missing.configured is False and "MA_OPENAI_API_KEY" in missing.detail


def strategist(db: Database, app_settings: Settings) -> agent.Strategist:
    return agent.Strategist(app_settings, db.sessionmaker)


async def test_an_offline_plan_records_a_usage_row(db: Database) -> None:
    plan = await strategist(db, settings(llm_provider="offline")).plan_campaign(
        brief=brief(), tools=ToolSpy().tools(), campaign_id=42
    )

    async with db.session() as session:
        [row] = (await session.scalars(select(LlmUsage))).all()
    assert plan.offline and plan.usage_id == row.id
    assert (row.campaign_id, row.provider, row.model, row.purpose) == (
        42,
        "offline",
        "templates-v2",
        "plan_campaign",
    )
    assert (row.input_tokens, row.output_tokens, row.cost_usd_micros) == (0, 0, 0)
    assert row.created_at.tzinfo is not None


async def test_usage_is_summed_by_provider_and_model(db: Database) -> None:
    script = [
        claude_message(
            tool_use("t1", "submit_plan", SUBMISSION), input_tokens=1000, output_tokens=200
        )
    ]
    with fake_llm(script) as server:
        claude = settings(
            anthropic_api_key="sk-ant-x",
            anthropic_base_url=server.url,
            anthropic_model="claude-sonnet-5-5",
        )
        plan = await strategist(db, claude).plan_campaign(
            brief=brief(), tools=ToolSpy().tools(), campaign_id=7
        )
    offline = strategist(db, settings(llm_provider="offline"))
    for campaign_id in (7, None):
        await offline.plan_campaign(brief=brief(), tools=ToolSpy().tools(), campaign_id=campaign_id)

    async with db.session() as session:
        summary = await agent.usage_summary(session=session)
        of_campaign = await agent.usage_summary(session=session, campaign_id=7)

    assert plan.usage.cost_usd_micros == 1000 * 2 + 200 * 10
    assert plan.prompt_version.startswith("plan_system@1+plan_user@1 #")
    assert [(t.provider, t.model, t.calls) for t in summary.by_model] == [
        ("anthropic", "claude-sonnet-5-5", 1),
        ("offline", "templates-v2", 2),
    ]
    assert (summary.calls, summary.input_tokens, summary.output_tokens) == (3, 1000, 200)
    assert summary.cost_usd_micros == 4000
    assert (of_campaign.calls, of_campaign.cost_usd_micros) == (2, 4000)


async def test_an_empty_ledger_sums_to_zero(session: AsyncSession) -> None:
    summary = await agent.usage_summary(session=session)

    assert summary.by_model == [] and summary.calls == summary.cost_usd_micros == 0


async def test_an_unreachable_llm_falls_back_to_the_offline_templates_and_says_why(
    db: Database,
) -> None:
    from tests.agent.fake_llm import closed_port_url

    claude = settings(
        llm_provider="anthropic",
        anthropic_api_key="sk-ant-test",
        anthropic_base_url=closed_port_url(),
    )

    plan = await strategist(db, claude).plan_campaign(brief=brief(), tools=ToolSpy().tools())

    assert plan.offline is True and plan.provider == "offline"
    assert "could not be used" in plan.notes[0] and "MA_LLM_FALLBACK" in plan.notes[0]


async def test_without_a_fallback_an_unreachable_llm_is_unavailable(db: Database) -> None:
    from tests.agent.fake_llm import closed_port_url

    claude = settings(
        llm_provider="anthropic",
        anthropic_api_key="sk-ant-test",
        anthropic_base_url=closed_port_url(),
        llm_fallback="none",
    )

    with pytest.raises(Unavailable):
        await strategist(db, claude).plan_campaign(brief=brief(), tools=ToolSpy().tools())

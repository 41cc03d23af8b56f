"""The agent module's public API: choose the strategist, plan a campaign, account for its cost."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent.errors import ProviderNotConfigured
from marketing_agent.agent.models import LlmUsage
from marketing_agent.agent.providers.base import Provider
from marketing_agent.agent.providers.offline import OfflineProvider
from marketing_agent.agent.providers.openai_compat import OpenAICompatProvider
from marketing_agent.agent.schemas import (
    CampaignBrief,
    CampaignPlan,
    ProviderInfo,
    Usage,
    UsageSummary,
    UsageTotal,
)
from marketing_agent.agent.tools import AgentTools
from marketing_agent.core import clock
from marketing_agent.core.errors import Unavailable
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings

log = get_logger(__name__)

PURPOSE_PLAN = "plan_campaign"


def select_provider(settings: Settings) -> Provider:
    """Returns the configured strategist; "auto" means Claude when a key is set, else offline."""
    choice = _resolve_choice(settings)
    if choice == "anthropic":
        key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else ""
        if not key.strip():
            raise ProviderNotConfigured(
                "MA_LLM_PROVIDER is 'anthropic' but MA_ANTHROPIC_API_KEY is not set. Set the key, "
                "or use MA_LLM_PROVIDER=offline (templates, no LLM)."
            )
        # Imported here: the SDK takes ~2 s to import, and offline installs never need it.
        from marketing_agent.agent.providers.anthropic import AnthropicProvider

        return AnthropicProvider(
            key,
            settings.anthropic_model,
            base_url=settings.anthropic_base_url,
            max_rounds=settings.agent_max_tool_rounds,
            risk_threshold=settings.review_risk_threshold,
        )
    if choice == "openai":
        openai_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        if not openai_key and not settings.openai_base_url:
            raise ProviderNotConfigured(
                "MA_LLM_PROVIDER is 'openai' but neither MA_OPENAI_API_KEY nor MA_OPENAI_BASE_URL "
                "is set. Set them, or use MA_LLM_PROVIDER=offline (templates, no LLM)."
            )
        return OpenAICompatProvider(
            openai_key,
            settings.openai_model,
            base_url=settings.openai_base_url,
            max_rounds=settings.agent_max_tool_rounds,
            risk_threshold=settings.review_risk_threshold,
        )
    return OfflineProvider(risk_threshold=settings.review_risk_threshold)


def _resolve_choice(settings: Settings) -> str:
    if settings.llm_provider != "auto":
        return settings.llm_provider
    if settings.anthropic_api_key and settings.anthropic_api_key.get_secret_value().strip():
        return "anthropic"
    if settings.openai_base_url or settings.openai_api_key:
        return "openai"
    return "offline"


def describe_provider(settings: Settings) -> ProviderInfo:
    """Returns which strategist plans campaigns with these settings, without any secret."""
    try:
        provider = select_provider(settings)
    except ProviderNotConfigured as exc:
        return ProviderInfo(
            provider=settings.llm_provider,
            model="",
            offline=False,
            configured=False,
            detail=exc.detail,
        )
    offline = provider.name == OfflineProvider.name
    detail = (
        "Plans come from templates, without an LLM."
        if offline
        else f"Plans are written by {provider.model} through tool use."
    )
    return ProviderInfo(
        provider=provider.name,
        model=provider.model,
        offline=offline,
        configured=True,
        detail=detail,
    )


async def plan_campaign(
    *,
    session: AsyncSession,
    settings: Settings,
    brief: CampaignBrief,
    tools: AgentTools,
    campaign_id: int | None = None,
) -> CampaignPlan:
    """Asks the configured strategist for a plan and records what it cost; when it cannot be
    reached and MA_LLM_FALLBACK is "offline", the offline templates plan instead, saying why."""
    provider = select_provider(settings)
    try:
        plan = await provider.plan_campaign(brief, tools)
    except Unavailable as exc:
        if settings.llm_fallback != "offline" or provider.name == OfflineProvider.name:
            raise
        log.warning("agent.fallback", provider=provider.name, reason=type(exc).__name__)
        plan = await OfflineProvider(risk_threshold=settings.review_risk_threshold).plan_campaign(
            brief, tools
        )
        plan.notes.insert(
            0,
            f"The {provider.name} strategist could not be used ({exc.detail}); the offline "
            "templates planned this campaign instead (MA_LLM_FALLBACK=offline).",
        )
    await record_usage(
        session=session, usage=plan.usage, purpose=PURPOSE_PLAN, campaign_id=campaign_id
    )
    log.info(
        "agent.plan_ready",
        campaign_id=campaign_id,
        provider=plan.provider,
        model=plan.model,
        offline=plan.offline,
        variants=len(plan.variants),
        tool_calls=len(plan.tool_calls),
        input_tokens=plan.usage.input_tokens,
        output_tokens=plan.usage.output_tokens,
        cost_usd_micros=plan.usage.cost_usd_micros,
    )
    return plan


async def record_usage(
    *, session: AsyncSession, usage: Usage, purpose: str, campaign_id: int | None = None
) -> LlmUsage:
    """Records the tokens and cost of one piece of strategist work."""
    row = LlmUsage(
        campaign_id=campaign_id,
        provider=usage.provider,
        model=usage.model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd_micros=usage.cost_usd_micros,
        purpose=purpose,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row


async def usage_summary(*, session: AsyncSession, campaign_id: int | None = None) -> UsageSummary:
    """Returns calls, tokens and cost by provider and model (of one campaign when given)."""
    query = (
        select(
            LlmUsage.provider,
            LlmUsage.model,
            func.count(LlmUsage.id),
            func.coalesce(func.sum(LlmUsage.input_tokens), 0),
            func.coalesce(func.sum(LlmUsage.output_tokens), 0),
            func.coalesce(func.sum(LlmUsage.cost_usd_micros), 0),
        )
        .group_by(LlmUsage.provider, LlmUsage.model)
        .order_by(LlmUsage.provider, LlmUsage.model)
    )
    if campaign_id is not None:
        query = query.where(LlmUsage.campaign_id == campaign_id)
    totals = [
        UsageTotal(
            provider=provider,
            model=model,
            calls=calls,
            input_tokens=int(tokens_in),
            output_tokens=int(tokens_out),
            cost_usd_micros=int(cost),
        )
        for provider, model, calls, tokens_in, tokens_out, cost in await session.execute(query)
    ]
    return UsageSummary(
        by_model=totals,
        calls=sum(t.calls for t in totals),
        input_tokens=sum(t.input_tokens for t in totals),
        output_tokens=sum(t.output_tokens for t in totals),
        cost_usd_micros=sum(t.cost_usd_micros for t in totals),
    )

"""The agent module's public API: choose the strategist, plan a campaign, account for its cost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketing_agent.agent import inbox, prompt_edits
from marketing_agent.agent.breaker import CircuitBreaker
from marketing_agent.agent.budget import (
    MICROS,
    SpendLimits,
    budget_status,
    campaign_budget,
    ensure_campaign_not_exhausted,
    ensure_not_exhausted,
    set_campaign_limit,
    usd,
)
from marketing_agent.agent.chat import ChatConversation, ChatTool
from marketing_agent.agent.chat_loops import chat_anthropic, chat_offline, chat_openai
from marketing_agent.agent.chat_tools import chat_tools
from marketing_agent.agent.conversation import CallLimits
from marketing_agent.agent.errors import (
    BudgetExhausted,
    PlanNotProduced,
    ProviderCircuitOpen,
    ProviderNotConfigured,
)
from marketing_agent.agent.models import LlmUsage
from marketing_agent.agent.prompts import PromptSet
from marketing_agent.agent.providers.base import Provider
from marketing_agent.agent.providers.offline import OfflineProvider
from marketing_agent.agent.providers.openai_compat import OpenAICompatProvider
from marketing_agent.agent.schemas import (
    BudgetStatus,
    CampaignBudget,
    CampaignPlan,
    ChatAnswer,
    ChatRequest,
    ChatStreamEvent,
    PromptPreview,
    PromptRead,
    ProviderInfo,
    ResultsSummary,
    Usage,
    UsageSummary,
    UsageTotal,
)
from marketing_agent.agent.schemas import CampaignBrief as CampaignBrief
from marketing_agent.agent.summary import kept_summary, summarise_results, write_results_summary
from marketing_agent.agent.tools import AgentTools as AgentTools
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.auth import Principal
from marketing_agent.core.errors import Conflict, MarketingAgentError, Unavailable
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import AgentTask, Settings

log = get_logger(__name__)

PURPOSE_PLAN = "plan_campaign"
PURPOSE_CHAT = "chat"
PROBLEM_TYPE_BASE = "https://marketing-agent.dev/problems/"
T = TypeVar("T")

# The reply inbox, for the inbound flow (orchestrator) and the erasure of a person.
REPLY_OPT_OUT = inbox.REPLY_OPT_OUT
triage_reply = inbox.triage_reply


async def erase_contact(*, session: AsyncSession, contact_id: int) -> int:
    """Deletes what the agent holds of a person (their replies); returns how many rows."""
    return await inbox.erase_contact(session=session, contact_id=contact_id)


async def delete_replies_before(*, session: AsyncSession, cutoff: datetime) -> int:
    """Deletes people's replies received before the cutoff (retention); returns how many."""
    return await inbox.delete_replies_before(session=session, cutoff=cutoff)


def select_provider(settings: Settings, task: AgentTask = "plan") -> Provider:
    """Returns the configured strategist for a task (its model from MA_AGENT_MODELS, else the
    provider's); "auto" means Claude when a key is set, else offline."""
    choice = _resolve_choice(settings)
    own_model = settings.agent_models.get(task)
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
            own_model or settings.anthropic_model,
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
            own_model or settings.openai_model,
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


class Strategist:
    """The strategist of one process: the settings, a circuit breaker per provider, and where
    usage is recorded. Built once per process (the API keeps it on `app.state`); plans are made
    without holding any database transaction open while a model thinks."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        breakers: dict[str, CircuitBreaker] | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.limits = SpendLimits.from_settings(settings)
        self.breakers = breakers if breakers is not None else {}

    def breaker(self, provider: str) -> CircuitBreaker:
        """Returns the provider's breaker (one per provider name, for this process's life)."""
        if provider not in self.breakers:
            self.breakers[provider] = CircuitBreaker(
                failure_threshold=self.settings.agent_breaker_failures,
                reset_after_s=self.settings.agent_breaker_reset_s,
            )
        return self.breakers[provider]

    async def budget(self) -> BudgetStatus:
        """Returns today's and this month's spend against the budgets (a short read)."""
        async with self.sessions() as session:
            return await budget_status(session=session, limits=self.limits)

    async def campaign_budget(self, campaign_id: int) -> CampaignBudget:
        """Returns the campaign's LLM spend against its cap (a short read)."""
        async with self.sessions() as session:
            return await campaign_budget(
                session=session, limits=self.limits, campaign_id=campaign_id
            )

    async def set_campaign_budget(
        self, *, campaign_id: int, limit_usd: float | None, actor: str
    ) -> CampaignBudget:
        """Gives a campaign its own LLM cap (None: back to the setting's), audited."""
        micros = None if limit_usd is None else round(limit_usd * MICROS)
        async with self.sessions() as session, session.begin():
            await set_campaign_limit(
                session=session, campaign_id=campaign_id, limit_usd_micros=micros, actor=actor
            )
            await compliance.audit(
                session=session,
                actor=actor,
                action="agent.campaign_budget_set",
                entity_type="campaign",
                entity_id=campaign_id,
                data={"limit_usd_micros": micros},
            )
        return await self.campaign_budget(campaign_id)

    async def prompts(self) -> PromptSet:
        """Returns the prompts to run now: people's saved edits, else the shipped files."""
        async with self.sessions() as session:
            return await prompt_edits.current_prompts(session=session)

    async def list_prompts(self) -> list[PromptRead]:
        async with self.sessions() as session:
            return await prompt_edits.list_prompts(session=session)

    async def read_prompt(self, name: str) -> PromptRead:
        async with self.sessions() as session:
            return await prompt_edits.read_prompt(session=session, name=name)

    async def preview_prompt(
        self, *, name: str, text: str | None, brief: CampaignBrief | None
    ) -> PromptPreview:
        """Returns a prompt (a draft text, or the one that runs) filled in for a brief."""
        async with self.sessions() as session:
            return await prompt_edits.preview(session=session, name=name, text=text, brief=brief)

    async def save_prompt(
        self, *, name: str, text: str | None, note: str, actor: str
    ) -> PromptRead:
        """Saves a person's version of a prompt (`text` None: back to the shipped file),
        audited; the next plan or answer runs it."""
        async with self.sessions() as session, session.begin():
            try:
                row = await prompt_edits.save_edit(
                    session=session, name=name, text=text, note=note, actor=actor
                )
            except IntegrityError as exc:  # another person saved the same prompt at once
                raise Conflict(
                    f"Someone else saved {name} at the same moment; reload it and save again."
                ) from exc
            await compliance.audit(
                session=session,
                actor=actor,
                action="agent.prompt_reset" if text is None else "agent.prompt_edited",
                entity_type="agent_prompt",
                entity_id=name,
                data={"edit": row.edit, "shipped_version": row.shipped_version, "note": row.note},
            )
        log.info("agent.prompt_saved", prompt=name, edit=row.edit, reset=text is None)
        return await self.read_prompt(name)

    async def write_results_summary(
        self, *, campaign_id: int, principal: Principal
    ) -> ResultsSummary:
        """Writes and keeps a finished campaign's results summary (the scheduler calls it when
        the campaign completes); see summary.py."""
        return await write_results_summary(
            self,
            campaign_id=campaign_id,
            tools=chat_tools(self.sessions, self.settings),
            principal=principal,
        )

    async def results_summary(self, *, campaign_id: int, principal: Principal) -> ResultsSummary:
        """Returns the summary kept when the campaign finished, else fixed sentences built now
        from the latest figures (not kept, no LLM)."""
        async with self.sessions() as session:
            kept = await kept_summary(session=session, campaign_id=campaign_id)
        if kept is not None:
            return kept
        return await summarise_results(
            campaign_id=campaign_id,
            tools=chat_tools(self.sessions, self.settings),
            principal=principal,
        )

    async def plan_campaign(
        self, *, brief: CampaignBrief, tools: AgentTools, campaign_id: int | None = None
    ) -> CampaignPlan:
        """Asks the configured strategist for a plan within the budget and records its cost in
        a short transaction of its own; when the provider cannot be reached (or its breaker is
        open) and MA_LLM_FALLBACK is "offline", the offline templates plan instead, saying why."""
        provider = select_provider(self.settings)
        if provider.name == OfflineProvider.name:
            plan = await provider.plan_campaign(brief, tools)
        else:
            plan = await self._plan_with_llm(provider, brief, tools, campaign_id=campaign_id)
        plan.usage.prompt_version = plan.prompt_version
        plan.usage_id = await self._record(plan.usage, campaign_id=campaign_id)
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
            prompt_version=plan.prompt_version,
        )
        return plan

    async def _plan_with_llm(
        self,
        provider: Provider,
        brief: CampaignBrief,
        tools: AgentTools,
        *,
        campaign_id: int | None,
    ) -> CampaignPlan:
        status = await self.budget()
        cap = ensure_not_exhausted(status)
        breaker = self.breaker(provider.name)
        limits = CallLimits(
            cap_usd_micros=cap,
            context_max_tokens=self.settings.agent_context_max_tokens,
            prices=self.settings.agent_prices,
        )
        prompts = await self.prompts()
        try:
            plan = await self._call(provider, breaker, brief, tools, limits, campaign_id, prompts)
        except Unavailable as exc:
            if self.settings.llm_fallback != "offline":
                raise
            log.warning("agent.fallback", provider=provider.name, reason=type(exc).__name__)
            plan = await OfflineProvider(
                risk_threshold=self.settings.review_risk_threshold
            ).plan_campaign(brief, tools)
            plan.notes.insert(
                0,
                f"The {provider.name} strategist could not be used ({exc.detail}); the offline "
                "templates planned this campaign instead (MA_LLM_FALLBACK=offline).",
            )
            return plan
        if status.warning:
            plan.notes.append(
                f"Over 80% of the LLM budget is used (today {status.day.used_share:.0%}, this "
                f"month {status.month.used_share:.0%}); at 100% the strategist stops."
            )
        return plan

    async def _call(
        self,
        provider: Provider,
        breaker: CircuitBreaker,
        brief: CampaignBrief,
        tools: AgentTools,
        limits: CallLimits,
        campaign_id: int | None,
        prompts: PromptSet,
    ) -> CampaignPlan:
        """Calls the provider through its breaker: failures to reach it open the breaker."""
        plan = await self._guarded(
            provider,
            breaker,
            lambda: provider.plan_campaign(brief, tools, limits=limits, prompts=prompts),
            campaign_id=campaign_id,
            purpose=PURPOSE_PLAN,
        )
        plan.prompt_version = prompts.plan_version
        return plan

    async def _guarded(
        self,
        provider: Provider,
        breaker: CircuitBreaker,
        work: Callable[[], Awaitable[T]],
        *,
        campaign_id: int | None,
        purpose: str,
    ) -> T:
        if not breaker.allow():
            raise ProviderCircuitOpen(
                f"The {provider.name} provider failed {breaker.failures} times in a row; calls "
                f"to it are paused for {breaker.retry_in_s():.0f} s more."
            )
        try:
            result = await work()
        except BudgetExhausted as exc:
            breaker.record_success()  # the provider answered; the budget stopped the work
            await self._record_spent(exc, provider, campaign_id=campaign_id, purpose=purpose)
            raise
        except PlanNotProduced:
            breaker.record_success()  # it answered, just not with a usable result
            raise
        except Unavailable:
            breaker.record_failure()
            raise
        breaker.record_success()
        return result

    async def chat(
        self, *, request: ChatRequest, tools: Mapping[str, ChatTool], principal: Principal
    ) -> ChatAnswer:
        """Answers a question about campaigns with the read-only tools, as `principal`, within
        the budget; every figure is checked against the tools' results. When the LLM cannot be
        reached and MA_LLM_FALLBACK is "offline", fixed rules answer instead, saying why."""
        opened = await self.open_chat(request=request, tools=tools, principal=principal)
        return await opened.answer()

    async def open_chat(
        self,
        *,
        request: ChatRequest,
        tools: Mapping[str, ChatTool],
        principal: Principal,
        task: AgentTask = "chat",
    ) -> OpenChat:
        """Chooses the provider and checks the budget (raising before anything streams)."""
        provider = select_provider(self.settings, task)
        limits = None
        if provider.name != OfflineProvider.name:
            cap = ensure_not_exhausted(await self.budget())
            if request.campaign_id is not None:
                own = await self.campaign_budget(request.campaign_id)
                cap = min(cap, ensure_campaign_not_exhausted(own))
            limits = CallLimits(
                cap_usd_micros=cap,
                context_max_tokens=self.settings.agent_context_max_tokens,
                prices=self.settings.agent_prices,
            )
        prompts = await self.prompts()
        return OpenChat(self, provider, limits, request, tools, principal, prompts)

    async def _record_spent(
        self, exc: BudgetExhausted, provider: Provider, *, campaign_id: int | None, purpose: str
    ) -> None:
        raw = exc.extra.get("usage")
        usage = Usage.model_validate(raw) if raw else Usage(provider=provider.name, model="")
        if usage.input_tokens or usage.output_tokens:
            await self._record(usage, campaign_id=campaign_id, purpose=purpose)

    async def _record(
        self, usage: Usage, *, campaign_id: int | None, purpose: str = "plan_campaign"
    ) -> int:
        async with self.sessions() as session, session.begin():
            row = await record_usage(
                session=session, usage=usage, purpose=purpose, campaign_id=campaign_id
            )
            return row.id


class OpenChat:
    """One question whose provider is chosen and budget checked: answered at once, or streamed."""

    def __init__(
        self,
        strategist: Strategist,
        provider: Provider,
        limits: CallLimits | None,
        request: ChatRequest,
        tools: Mapping[str, ChatTool],
        principal: Principal,
        prompts: PromptSet,
    ) -> None:
        self.strategist = strategist
        self.prompts = prompts
        self.provider = provider
        self.limits = limits
        self.request = request
        self.tools = tools
        self.principal = principal

    def _conversation(self, on_event: Callable[[ChatStreamEvent], None] | None) -> ChatConversation:
        return ChatConversation(
            request=self.request,
            tools=self.tools,
            principal=self.principal,
            on_event=on_event,
            prompts=self.prompts,
        )

    async def answer(self, on_event: Callable[[ChatStreamEvent], None] | None = None) -> ChatAnswer:
        """Runs the tool loop (streaming its text and steps to `on_event` when given); the tool
        calls it made are recorded in the audit log as the person who asked, also when it
        stopped on the way (the budget ran out, the provider went down)."""
        made: list[ChatConversation] = []
        try:
            answer = await self._answer(on_event, made)
        except MarketingAgentError as exc:
            await self._record_steps(made, outcome=exc.type_slug or "error")
            raise
        await self._record_steps(made, outcome="answered", answer=answer)
        return answer

    async def _record_steps(
        self,
        made: list[ChatConversation],
        *,
        outcome: str,
        answer: ChatAnswer | None = None,
    ) -> None:
        """Appends `agent.chat_tools_called`: each tool call (name, status, source and the ids it
        was given, never free text), who asked, about which campaign, and how it ended."""
        steps = [step for conversation in made for step in conversation.steps]
        if not steps:
            return
        campaign_id = self.request.campaign_id
        async with self.strategist.sessions() as session, session.begin():
            await compliance.audit(
                session=session,
                actor=self.principal.actor,
                action="agent.chat_tools_called",
                entity_type="campaign" if campaign_id is not None else "agent_chat",
                entity_id=campaign_id if campaign_id is not None else "-",
                data={
                    "outcome": outcome,
                    "provider": answer.provider if answer else self.provider.name,
                    "model": answer.model if answer else None,
                    "steps": [
                        {
                            "tool": step.tool,
                            "status": step.status,
                            "source_id": step.source_id,
                            "ids": {
                                key: value
                                for key, value in step.input.items()
                                if key.endswith("_id") and isinstance(value, int)
                            },
                        }
                        for step in steps
                    ],
                },
            )

    async def _answer(
        self,
        on_event: Callable[[ChatStreamEvent], None] | None,
        made: list[ChatConversation],
    ) -> ChatAnswer:
        provider, strategist = self.provider, self.strategist

        def conversation_of() -> ChatConversation:
            made.append(self._conversation(on_event))
            return made[-1]

        if self.limits is None:
            return await chat_offline(conversation_of())
        loop = chat_anthropic if provider.name == "anthropic" else chat_openai
        conversation = conversation_of()
        limits = self.limits
        try:
            answer = await strategist._guarded(
                provider,
                strategist.breaker(provider.name),
                lambda: loop(provider, conversation, limits),
                campaign_id=self.request.campaign_id,
                purpose=PURPOSE_CHAT,
            )
        except Unavailable as exc:
            if strategist.settings.llm_fallback != "offline":
                raise
            if on_event is not None:
                on_event(ChatStreamEvent(type="reset"))
            answer = await chat_offline(conversation_of())
            answer.notes.insert(
                0,
                f"The {provider.name} strategist could not be used ({exc.detail}); fixed rules "
                "answered instead (MA_LLM_FALLBACK=offline).",
            )
            return answer
        answer.usage.prompt_version = answer.prompt_version
        campaign_id = self.request.campaign_id
        await strategist._record(answer.usage, campaign_id=campaign_id, purpose=PURPOSE_CHAT)
        if campaign_id is not None:
            line = (await strategist.campaign_budget(campaign_id)).line
            if line.warning:
                answer.notes.append(
                    f"Campaign {campaign_id} has used {line.used_share:.0%} of its LLM budget "
                    f"({usd(line.spent_usd_micros)} of {usd(line.limit_usd_micros)}); at 100% "
                    "the strategist stops working on it."
                )
        log.info(
            "agent.chat_answered",
            provider=answer.provider,
            model=answer.model,
            steps=len(answer.steps),
            refused=sum(1 for s in answer.steps if s.status == "refused"),
            unverified=len(answer.unverified_figures),
            cost_usd_micros=answer.usage.cost_usd_micros,
            streamed=on_event is not None,
            prompt_version=answer.prompt_version,
        )
        return answer

    async def events(self) -> AsyncIterator[ChatStreamEvent]:
        """Yields the answer as it is made: sentences, steps, then the checked answer; a failure
        on the way (the budget ran out, the provider is down) is the last event, as a problem."""
        queue: asyncio.Queue[ChatStreamEvent | None] = asyncio.Queue()

        async def work() -> None:
            try:
                answer = await self.answer(on_event=queue.put_nowait)
                queue.put_nowait(ChatStreamEvent(type="answer", answer=answer))
            except MarketingAgentError as exc:
                queue.put_nowait(ChatStreamEvent(type="error", problem=problem_of(exc)))
            except Exception as exc:
                log.error("agent.chat_stream_failed", error=type(exc).__name__)
                queue.put_nowait(ChatStreamEvent(type="error", problem=problem_of(exc)))
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(work())
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            if not task.done():  # the reader left: stop the model's work too
                task.cancel()
            with suppress(asyncio.CancelledError):
                await task


def problem_of(exc: Exception) -> dict[str, Any]:
    """Returns an error as the RFC 9457 body the API would have answered with."""
    known = exc if isinstance(exc, MarketingAgentError) else MarketingAgentError()
    return {
        "type": PROBLEM_TYPE_BASE + known.type_slug,
        "title": known.title,
        "status": known.status,
        "detail": known.detail,
    }


def strategist_for(settings: Settings, session: AsyncSession) -> Strategist:
    """Returns a strategist on the engine of `session`, for one-shot callers (the CLI, the demo)
    that have no process-wide one; its breaker lives as long as it does."""
    return Strategist(settings, async_sessionmaker(session.bind, expire_on_commit=False))


def strategist_of(request: Request) -> Strategist:
    """FastAPI dependency: the process's strategist (its runtime's; this module may not import
    the runtime)."""
    strategist: Strategist | None = getattr(
        getattr(request.app.state, "runtime", None), "strategist", None
    )
    if strategist is None:
        raise Unavailable("This process has no strategist")
    return strategist


async def attach_usage(*, session: AsyncSession, usage_id: int, campaign_id: int) -> None:
    """Files a recorded plan's cost under the campaign written from it."""
    row = await session.get(LlmUsage, usage_id)
    if row is not None:
        row.campaign_id = campaign_id
        await session.flush()


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
        prompt_version=usage.prompt_version,
    )
    session.add(row)
    await session.flush()
    await compliance.audit(
        session=session,
        actor="agent",
        action="llm_usage.recorded",
        entity_type="llm_usage",
        entity_id=row.id,
        data={
            "campaign_id": campaign_id,
            "model": usage.model,
            "purpose": purpose,
            "cost_usd_micros": usage.cost_usd_micros,
        },
    )
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

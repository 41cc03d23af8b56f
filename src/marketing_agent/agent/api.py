"""HTTP API of the agent module: ask the strategist for a plan, see which one is set up, usage."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.sse import EventSourceResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketing_agent.agent import inbox, service, usage
from marketing_agent.agent.chat_tools import chat_tools
from marketing_agent.agent.schemas import (
    BudgetStatus,
    CampaignBrief,
    CampaignBudget,
    CampaignBudgetUpdate,
    CampaignPlan,
    ChatAnswer,
    ChatRequest,
    ChatStreamEvent,
    InboxAnswer,
    InboxReplyRead,
    InboxStatus,
    PromptPreview,
    PromptPreviewRequest,
    PromptRead,
    PromptUpdate,
    ProviderInfo,
    ResultsSummary,
    UsageCall,
    UsageReport,
    UsageSummary,
)
from marketing_agent.agent.tools import AgentTools
from marketing_agent.core import clock
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.deps import CurrentSettings, DbSession
from marketing_agent.core.pagination import Limit, Offset, Page
from marketing_agent.core.validation import DbId
from marketing_agent.orchestrator import service as orchestrator

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])

CanUseAgent = Annotated[Principal, Depends(authorize(Permission.AGENT_USE))]
CanReadUsage = Annotated[Principal, Depends(authorize(Permission.ANALYTICS_READ))]


StrategistDep = Annotated[service.Strategist, Depends(service.strategist_of)]


@router.post("/plan")
async def plan_campaign(
    brief: CampaignBrief, strategist: StrategistDep, principal: CanUseAgent
) -> CampaignPlan:
    """Drafts a plan without creating a campaign; no transaction is held while the model works."""
    return await strategist.plan_campaign(brief=brief, tools=_request_tools(strategist.sessions))


@router.post("/chat")
async def chat(
    request: ChatRequest,
    strategist: StrategistDep,
    settings: CurrentSettings,
    principal: CanUseAgent,
) -> ChatAnswer:
    """Answers a question about campaigns with read-only tools run as the caller; each figure
    cites a tool result (`sources`), figures no tool returned are marked, steps show each call."""
    await _campaign_exists(strategist, request.campaign_id)
    return await strategist.chat(
        request=request,
        tools=chat_tools(strategist.sessions, settings),
        principal=principal,
    )


async def open_chat(
    request: ChatRequest,
    strategist: StrategistDep,
    settings: CurrentSettings,
    principal: CanUseAgent,
) -> service.OpenChat:
    """Chooses the provider and checks the budget before the stream starts (a clear 402)."""
    await _campaign_exists(strategist, request.campaign_id)
    return await strategist.open_chat(
        request=request, tools=chat_tools(strategist.sessions, settings), principal=principal
    )


@router.post("/chat/stream", response_class=EventSourceResponse)
async def chat_stream(
    opened: Annotated[service.OpenChat, Depends(open_chat)],
) -> AsyncIterable[ChatStreamEvent]:
    """The same answer as `/chat`, streamed as Server-Sent Events: each checked sentence as it
    is written (`delta`), each tool call as it runs (`step`), then the final `answer`; a budget
    used up before the start is a 402, one that runs out on the way the last event (`error`)."""
    async for event in opened.events():
        yield event


@router.get("/provider")
async def describe_provider(settings: CurrentSettings, principal: CanUseAgent) -> ProviderInfo:
    return service.describe_provider(settings)


@router.get("/usage")
async def usage_summary(
    session: DbSession,
    strategist: StrategistDep,
    principal: CanReadUsage,
    campaign_id: Annotated[DbId | None, Query()] = None,
) -> UsageSummary:
    """Calls, tokens and cost by model (of one campaign when given), and the budgets' state."""
    summary = await service.usage_summary(session=session, campaign_id=campaign_id)
    summary.budget = await strategist.budget()
    return summary


@router.get("/usage/calls")
async def usage_calls(
    session: DbSession,
    principal: CanReadUsage,
    campaign_id: Annotated[DbId | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[UsageCall]:
    """Every piece of LLM work, newest first: when, what for, which model, tokens and cost."""
    items, total = await usage.list_calls(
        session=session, campaign_id=campaign_id, limit=limit, offset=offset
    )
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/usage/report")
async def usage_report(
    session: DbSession,
    principal: CanReadUsage,
    months: Annotated[int, Query(ge=1, le=36, description="Calendar months back.")] = 12,
) -> UsageReport:
    """LLM spend per calendar month (UTC) and per campaign over the last `months` months."""
    return await usage.report(session=session, now=clock.now(), months=months)


@router.get("/budget")
async def budget(strategist: StrategistDep, principal: CanUseAgent) -> BudgetStatus:
    """Today's and this month's LLM spend against the budgets; warning at 80%, stop at 100%."""
    return await strategist.budget()


async def _campaign_exists(strategist: service.Strategist, campaign_id: int | None) -> None:
    """Raises 404 for a campaign that does not exist, on a short session of its own (none is
    held while the model thinks)."""
    if campaign_id is None:
        return
    async with strategist.sessions() as session:
        await orchestrator.get_campaign_or_raise(session=session, campaign_id=campaign_id)


CampaignID = Annotated[DbId, Path(description="The campaign's id.")]


@router.get("/campaigns/{campaign_id}/budget")
async def campaign_budget(
    campaign_id: CampaignID, session: DbSession, strategist: StrategistDep, principal: CanUseAgent
) -> CampaignBudget:
    """The campaign's LLM spend against its cap; warning at 80%, stop at 100%."""
    await orchestrator.get_campaign_or_raise(session=session, campaign_id=campaign_id)
    return await strategist.campaign_budget(campaign_id)


@router.put("/campaigns/{campaign_id}/budget")
async def set_campaign_budget(
    campaign_id: CampaignID,
    update: CampaignBudgetUpdate,
    session: DbSession,
    strategist: StrategistDep,
    principal: Annotated[Principal, Depends(authorize(Permission.CAMPAIGNS_WRITE))],
) -> CampaignBudget:
    """Gives the campaign its own LLM cap in USD (null: back to MA_AGENT_BUDGET_CAMPAIGN_USD)."""
    await orchestrator.get_campaign_or_raise(session=session, campaign_id=campaign_id)
    return await strategist.set_campaign_budget(
        campaign_id=campaign_id, limit_usd=update.limit_usd, actor=principal.actor
    )


PromptName = Annotated[str, Path(max_length=64, description="The prompt's name, e.g. plan_system.")]
CanEditPrompts = Annotated[Principal, Depends(authorize(Permission.SAFETY_MANAGE))]


@router.get("/prompts")
async def list_prompts(strategist: StrategistDep, principal: CanUseAgent) -> list[PromptRead]:
    """The strategist's prompts: each one's shipped text and version, and what runs now."""
    return await strategist.list_prompts()


@router.get("/prompts/{name}")
async def read_prompt(
    name: PromptName, strategist: StrategistDep, principal: CanUseAgent
) -> PromptRead:
    """One prompt, with its saved versions (newest first)."""
    return await strategist.read_prompt(name)


@router.post("/prompts/{name}/preview")
async def preview_prompt(
    name: PromptName,
    request: PromptPreviewRequest,
    strategist: StrategistDep,
    principal: CanUseAgent,
) -> PromptPreview:
    """The prompt as the model would read it, every placeholder filled in for the brief (a
    sample brief when none is given): the draft `text` when given, else the one that runs.
    Nothing is saved and no model is called."""
    return await strategist.preview_prompt(name=name, text=request.text, brief=request.brief)


@router.put("/prompts/{name}")
async def edit_prompt(
    name: PromptName, update: PromptUpdate, strategist: StrategistDep, principal: CanEditPrompts
) -> PromptRead:
    """Saves a new version of the prompt (audited); the next plan or answer runs it and says
    so in its `prompt_version`. The prompts hold the strategist's rules, so only roles that
    manage the safety rules may change them."""
    return await strategist.save_prompt(
        name=name, text=update.text, note=update.note, actor=principal.actor
    )


@router.delete("/prompts/{name}")
async def reset_prompt(
    name: PromptName, strategist: StrategistDep, principal: CanEditPrompts
) -> PromptRead:
    """Goes back to the shipped text (kept as a version in the history, audited)."""
    return await strategist.save_prompt(
        name=name, text=None, note="Reset to the shipped version", actor=principal.actor
    )


@router.get("/campaigns/{campaign_id}/summary")
async def results_summary(
    campaign_id: CampaignID, strategist: StrategistDep, principal: CanReadUsage
) -> ResultsSummary:
    """The campaign's results in sentences (reach, then the experiment's verdict and its chance
    to be best), each figure from the analytics and experiments modules: the summary written
    when it finished (`written_at`), else fixed sentences over the latest figures (no LLM)."""
    await _campaign_exists(strategist, campaign_id)
    return await strategist.results_summary(campaign_id=campaign_id, principal=principal)


def _request_tools(sessions: async_sessionmaker[AsyncSession]) -> AgentTools:
    """Tools for a plan drafted outside a campaign: no audience, the real safety guard, each
    call on a short session of its own."""

    async def describe_audience() -> dict[str, Any]:
        return {"note": "no audience selected"}

    async def check_content(text: str) -> dict[str, Any]:
        from marketing_agent.safety import service as safety

        async with sessions() as session:
            verdict = await safety.check_content(session=session, text=text)
        result: dict[str, Any] = verdict.model_dump(mode="json")
        return result

    return AgentTools(describe_audience=describe_audience, check_content=check_content)


ReplyID = Annotated[DbId, Path(description="The reply's id in the inbox.")]


@router.get("/inbox")
async def list_inbox(
    session: DbSession,
    principal: CanUseAgent,
    status: Annotated[InboxStatus | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[InboxReplyRead]:
    """Recipients' replies, newest first: opt-outs (already unsubscribed) and the rest, each
    with a suggested answer for a person to send."""
    rows, total = await inbox.list_replies(
        session=session, status=status, limit=limit, offset=offset
    )
    return Page(items=[inbox.read(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post("/inbox/{reply_id}/answer")
async def answer_reply(
    reply_id: ReplyID,
    answer: InboxAnswer,
    session: DbSession,
    principal: CanUseAgent,
    request: Request,
) -> InboxReplyRead:
    """Sends a person's answer (the suggestion, edited or not) to the one who replied."""
    row = await inbox.answer_reply(
        session=session,
        reply_id=reply_id,
        text=answer.text,
        actor=principal.actor,
        transports=request.app.state.runtime.transports,
        limits=request.app.state.runtime.limits,
    )
    return inbox.read(row)


@router.post("/inbox/{reply_id}/dismiss")
async def dismiss_reply(
    reply_id: ReplyID, session: DbSession, principal: CanUseAgent
) -> InboxReplyRead:
    """Closes a reply without an answer."""
    return inbox.read(
        await inbox.dismiss(session=session, reply_id=reply_id, actor=principal.actor)
    )

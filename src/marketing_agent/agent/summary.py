"""A campaign's results summary: what it reached and the A/B experiment's verdict with how sure
it is, every figure from the campaign_results tool (the analytics and experiments modules).

Written once when the campaign finishes (the scheduler calls `write_results_summary`) and kept:
by the LLM when one is set up and the budgets allow it, its figures checked against the tool's
result; else — offline, budget used up, provider down, a figure no tool returned — by fixed
sentences that cost nothing and cannot invent a figure. Each sentence cites its source ("[S1]").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent.chat import ChatConversation, ChatTool
from marketing_agent.agent.models import ResultsSummaryRecord
from marketing_agent.agent.schemas import ChatRequest, ChatSource, ResultsSummary, Usage
from marketing_agent.core import clock
from marketing_agent.core.auth import Principal
from marketing_agent.core.errors import MarketingAgentError
from marketing_agent.core.logging import get_logger

if TYPE_CHECKING:
    from marketing_agent.agent.service import Strategist

log = get_logger(__name__)

FINISHED = {"completed", "cancelled"}
RESULTS_TOOL = "campaign_results"


async def summarise_results(
    *, campaign_id: int, tools: Mapping[str, ChatTool], principal: Principal
) -> ResultsSummary:
    """Returns the campaign's results in fixed sentences whose every figure a tool returned."""
    conv = ChatConversation(
        request=_request(f"Results of campaign {campaign_id}", None),
        tools=tools,
        principal=principal,
    )
    content, error = await conv.call(RESULTS_TOOL, {"campaign_id": campaign_id})
    if error:
        raise MarketingAgentError(content)
    source = conv.sources[-1]
    data: dict[str, Any] = source.data
    campaign = data["campaign"]
    sentences = [_reach(campaign, data["stats"].get("totals", {}))]
    confidence = "No A/B experiment ran on this campaign."
    experiment = data.get("experiment")
    if isinstance(experiment, dict):
        confidence = _confidence(experiment)
        sentences.append(confidence)
    text = " ".join(f"{s} [{source.id}]" for s in sentences)
    answer = conv.finish(text, usage=Usage(provider="offline", model="rules-v1"), offline=True)
    return ResultsSummary(
        campaign_id=campaign_id,
        status=campaign["status"],
        finished=campaign["status"] in FINISHED,
        summary=answer.answer,
        confidence=confidence,
        sources=answer.sources,
        unverified_figures=answer.unverified_figures,
    )


async def write_results_summary(
    strategist: Strategist,
    *,
    campaign_id: int,
    tools: Mapping[str, ChatTool],
    principal: Principal,
) -> ResultsSummary:
    """Writes and keeps the summary of a finished campaign (replacing an older one): the
    LLM's when it can, within the campaign's and the workspace's budgets, else fixed
    sentences, saying why."""
    only_results = {RESULTS_TOOL: tools[RESULTS_TOOL]}  # least privilege: it reads, nothing else
    summary = await summarise_results(
        campaign_id=campaign_id, tools=only_results, principal=principal
    )
    try:
        summary = await _written_by_llm(strategist, summary, only_results, principal)
    except MarketingAgentError as exc:  # budget used up, provider down or not set up
        summary.notes.append(
            f"The strategist's LLM did not write this summary ({exc.detail}); these are the "
            "fixed sentences."
        )
    summary.written_at = clock.now()
    async with strategist.sessions() as session, session.begin():
        await _keep(session, summary)
    log.info(
        "agent.results_summary_written",
        campaign_id=campaign_id,
        provider=summary.provider,
        ai_generated=summary.ai_generated,
    )
    return summary


async def _written_by_llm(
    strategist: Strategist,
    rules: ResultsSummary,
    tools: Mapping[str, ChatTool],
    principal: Principal,
) -> ResultsSummary:
    """Returns the LLM's summary, or `rules` (with a note) when it is offline or its answer
    holds a figure no tool returned even after it was asked to fix it."""
    question = (
        f"Write the results summary of campaign {rules.campaign_id} for the marketing team, in "
        "two to four sentences: whom it reached (sent, delivered, clicked, converted), then the "
        "A/B experiment's verdict and how sure it is. Call campaign_results first and quote "
        "only its figures, each with its citation."
    )
    opened = await strategist.open_chat(
        request=_request(question, rules.campaign_id),
        tools=tools,
        principal=principal,
        task="summary",
    )
    if opened.limits is None:  # the offline strategist: the fixed sentences are its summary
        return rules
    answer = await opened.answer()
    if answer.offline:  # the provider failed and the offline rules answered (the fallback)
        return rules.model_copy(update={"notes": [*rules.notes, *answer.notes]})
    if answer.unverified_figures or not answer.sources:
        return rules.model_copy(
            update={
                "notes": [
                    *rules.notes,
                    f"The LLM's summary was set aside: it quoted figures no tool returned "
                    f"({', '.join(answer.unverified_figures) or 'no tool called'}); these are "
                    "the fixed sentences.",
                ]
            }
        )
    return rules.model_copy(
        update={
            "summary": answer.answer,
            "sources": answer.sources,
            "ai_generated": True,
            "provider": answer.provider,
            "model": answer.model,
            "notes": [*rules.notes, *answer.notes],
        }
    )


async def kept_summary(*, session: AsyncSession, campaign_id: int) -> ResultsSummary | None:
    """Returns the summary written when the campaign finished, if one was."""
    row = await session.get(ResultsSummaryRecord, campaign_id)
    if row is None:
        return None
    return ResultsSummary(
        campaign_id=row.campaign_id,
        status=row.status,
        finished=row.status in FINISHED,
        summary=row.summary,
        confidence=row.confidence,
        sources=[ChatSource.model_validate(s) for s in row.sources],
        ai_generated=row.ai_generated,
        provider=row.provider,
        model=row.model,
        written_at=row.written_at,
        notes=list(row.notes),
    )


async def _keep(session: AsyncSession, summary: ResultsSummary) -> None:
    assert summary.written_at is not None
    row = await session.get(ResultsSummaryRecord, summary.campaign_id)
    if row is None:
        row = ResultsSummaryRecord(campaign_id=summary.campaign_id)
        session.add(row)
    row.status = summary.status
    row.summary = summary.summary
    row.confidence = summary.confidence
    row.sources = [s.model_dump(mode="json") for s in summary.sources]
    row.notes = list(summary.notes)
    row.provider = summary.provider
    row.model = summary.model
    row.ai_generated = summary.ai_generated
    row.written_at = summary.written_at
    await session.flush()


def _request(question: str, campaign_id: int | None) -> ChatRequest:
    return ChatRequest.model_validate(
        {"messages": [{"role": "user", "content": question}], "campaign_id": campaign_id}
    )


def _reach(campaign: dict[str, Any], totals: dict[str, Any]) -> str:
    return (
        f"“{campaign['name']}” is {campaign['status']}: sent to {totals.get('sent', 0)}, "
        f"delivered to {totals.get('delivered', 0)}, {totals.get('clicked') or 0} clicked and "
        f"{totals.get('converted', 0)} converted."
    )


def _confidence(experiment: dict[str, Any]) -> str:
    """The experiment's verdict and how sure it is: the leader's chance to be best."""
    arms = {a["key"]: a for a in experiment.get("arms", [])}
    leader = arms.get(experiment.get("leader") or "")
    reason = str(experiment.get("summary") or "").rstrip(".")
    if leader is None or leader.get("chance_to_be_best") is None:
        return f"Experiment ({experiment.get('metric')}): {reason}."
    return (
        f"Experiment ({experiment.get('metric')}): variant {leader['key']} leads with a "
        f"{leader['chance_to_be_best']:.0%} chance to be best; {reason}."
    )

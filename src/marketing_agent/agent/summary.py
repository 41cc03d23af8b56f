"""A campaign's results summary: fixed sentences over the campaign_results tool's answer (the
analytics and experiments modules' figures, nothing else), saying how sure the experiment is.

No LLM writes it, so it costs nothing and cannot invent a figure; it is still run through the
chat's figure check, and each sentence cites the one source ("[S1]").
"""

from __future__ import annotations

from typing import Any

from marketing_agent.agent.chat import ChatConversation, ChatTool
from marketing_agent.agent.schemas import ChatRequest, ResultsSummary, Usage
from marketing_agent.core.auth import Principal
from marketing_agent.core.errors import MarketingAgentError

FINISHED = {"completed", "cancelled"}


async def summarise_results(
    *, campaign_id: int, tools: dict[str, ChatTool], principal: Principal
) -> ResultsSummary:
    """Returns the campaign's results in sentences whose every figure a tool returned."""
    conv = ChatConversation(
        request=ChatRequest.model_validate(
            {"messages": [{"role": "user", "content": f"Results of campaign {campaign_id}"}]}
        ),
        tools=tools,
        principal=principal,
    )
    content, error = await conv.call("campaign_results", {"campaign_id": campaign_id})
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

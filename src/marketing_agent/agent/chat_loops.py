"""The chat's tool loop on each provider: offline rules, OpenAI-compatible servers, Claude.

Each loop lets the model call the read-only tools, checks its text answer's figures, asks it
once to fix unsupported ones, and hands the final text to `ChatConversation.finish`, which
marks what is still unsupported. Requests are scrubbed and capped like a plan's.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from marketing_agent.agent.chat import (
    FIX_FIGURES_PROMPT,
    ChatConversation,
    plan_state,
)
from marketing_agent.agent.context import scrub
from marketing_agent.agent.conversation import CallLimits, PlanConversation
from marketing_agent.agent.errors import PlanNotProduced
from marketing_agent.agent.schemas import ChatAnswer, Usage

OFFLINE_MODEL = "rules-v1"


# A request to plan or write a campaign, which fixed rules cannot turn into a draft.
_PLANNING = re.compile(
    r"\b(?:plan|draft|create|write|prepare|set up|make|launch)\b.*\bcampaign"
    r"|\b(?:спланируй|создай|напиши|подготовь)\b|\b(?:plane|erstelle|schreibe)\b"
    r"|\b(?:planifie|crée|rédige|prépare)\b|\b(?:planea|crea|escribe|prepara)\b"
    r"|\b(?:planeje|crie|escreva|prepare)\b",
    re.IGNORECASE,
)
PLAN_OFFLINE = (
    "Planning a campaign from a request needs an LLM, and none is configured (set "
    "MA_ANTHROPIC_API_KEY or an OpenAI-compatible server). Without one, open Campaigns → New "
    "campaign and give the product, the offer and the languages: the offline templates write "
    "the variants in each language, and the safety guard checks them."
)


async def chat_offline(conv: ChatConversation) -> ChatAnswer:
    """Answers from the tools with fixed sentences (no LLM): a campaign's results when the
    question names one, else the list of campaigns; replies and audience when asked."""
    question = conv.question.casefold()
    parts: list[str] = []
    await conv.call("list_campaigns", {})
    listing: dict[str, Any] = conv.sources[-1].data if conv.sources else {"campaigns": []}
    target = _named_campaign(question, listing.get("campaigns", []))
    if target is not None:
        await conv.call("campaign_results", {"campaign_id": target["id"]})
        parts.append(_results_sentence(target, conv.sources[-1].data, conv.sources[-1].id))
    else:
        parts.append(_listing_sentence(listing, conv.sources[0].id if conv.sources else "S1"))
    if re.search(r"repl|answer|inbox|ответ|antwort|réponse|respuesta|resposta", question):
        await conv.call("recent_replies", {})
        if conv.sources and conv.sources[-1].tool == "recent_replies":
            source = conv.sources[-1]
            by_intent: dict[str, int] = {}
            for item in source.data.get("replies", []):
                by_intent[item["intent"]] = by_intent.get(item["intent"], 0) + 1
            summary = ", ".join(
                f"{n} {intent.replace('_', ' ')}" for intent, n in by_intent.items()
            )
            parts.append(f"Open replies: {summary or 'none'} [{source.id}].")
    if _PLANNING.search(question):
        parts.append(PLAN_OFFLINE)
    usage = Usage(provider="offline", model=OFFLINE_MODEL)
    note = "Answered by fixed rules from the tools' results, without an LLM (offline)."
    text = " ".join(parts)
    conv.stream_text(text)
    conv.end_round(keep=True)
    return conv.finish(text, usage=usage, offline=True, notes=[note])


def _named_campaign(question: str, campaigns: list[dict[str, Any]]) -> dict[str, Any] | None:
    by_id = re.search(
        r"(?:campaign|кампани\w*|kampagne|campagne|campaña|campanha)\s*#?(\d+)", question
    )
    for campaign in campaigns:
        if by_id and int(by_id.group(1)) == campaign["id"]:
            return campaign
    for campaign in campaigns:
        if campaign["name"].casefold() in question:
            return campaign
    return None


def _results_sentence(campaign: dict[str, Any], data: dict[str, Any], source_id: str) -> str:
    totals = data.get("stats", {}).get("totals", {})
    text = (
        f"“{campaign['name']}” is {campaign['status']}: sent to {totals.get('sent', 0)}, "
        f"delivered to {totals.get('delivered', 0)}, {totals.get('clicked') or 0} clicked and "
        f"{totals.get('converted', 0)} converted [{source_id}]."
    )
    verdict = data.get("experiment")
    if isinstance(verdict, dict) and verdict.get("summary"):
        text += f" {verdict['summary']} [{source_id}]"
    return text


def _listing_sentence(listing: dict[str, Any], source_id: str) -> str:
    campaigns = listing.get("campaigns", [])
    if not campaigns:
        return f"There are no campaigns yet [{source_id}]."
    shown = "; ".join(f"“{c['name']}” ({c['status']})" for c in campaigns[:5])
    return (
        f"There are {listing.get('total', len(campaigns))} campaigns [{source_id}], the newest: "
        f"{shown}. Ask about one by name for its results."
    )


def _system_text(conversation: ChatConversation) -> str:
    return scrub(conversation.prompts.chat_system.template.safe_substitute())


def _finish_usage(state: PlanConversation) -> Usage:
    state.usage.cost_usd_micros = state.spent_usd_micros()
    return state.usage


async def chat_openai(
    provider: Any, conv: ChatConversation, limits: CallLimits | None
) -> ChatAnswer:
    """The chat on an OpenAI-compatible server through the official `openai` SDK."""
    import openai

    from marketing_agent.agent.providers.openai_compat import NO_KEY, _raise_unavailable

    state = plan_state(provider.name, provider.model, limits)
    functions = [
        {
            "type": "function",
            "function": {
                "name": s["name"],
                "description": s["description"],
                "parameters": s["input_schema"],
            },
        }
        for s in conv.specs()
    ]
    messages: list[dict[str, Any]] = [{"role": "system", "content": _system_text(conv)}]
    messages += [{"role": t.role, "content": t.content} for t in conv.request.messages]
    corrected = False
    client = openai.AsyncOpenAI(
        api_key=provider._api_key or NO_KEY,
        base_url=provider.base_url,
        timeout=provider._timeout_s,
        max_retries=provider._max_retries,
    )
    try:
        for _round in range(provider.max_rounds):
            prepared = state.prepare(messages, system="", max_output_tokens=provider.max_tokens)
            request: dict[str, Any] = {
                "model": provider.model,
                "messages": prepared,
                "max_tokens": provider.max_tokens,
                "tools": functions,
            }
            try:
                if conv.on_event is None:
                    completion = await client.chat.completions.create(**request)
                    data = completion.model_dump(mode="json", exclude_none=True)
                else:
                    data = await _openai_streamed(client, request, conv)
            except openai.APIError as exc:
                _raise_unavailable(exc, base_url=provider.base_url)
            usage = data.get("usage") or {}
            state.add_usage(
                model=data.get("model"),
                input_tokens=int(usage.get("prompt_tokens") or 0),
                output_tokens=int(usage.get("completion_tokens") or 0),
            )
            message = (data.get("choices") or [{}])[0].get("message") or {}
            calls = message.get("tool_calls") or []
            messages.append(
                {
                    "role": "assistant",
                    "content": message.get("content"),
                    **({"tool_calls": calls} if calls else {}),
                }
            )
            said = str(message.get("content") or "").strip()
            conv.end_round(keep=not calls and (corrected or not conv.unsupported(said)))
            if calls:
                for call in calls:
                    function = call.get("function") or {}
                    content, _error = await conv.call(
                        str(function.get("name") or ""), _json_object(function.get("arguments"))
                    )
                    messages.append(
                        {"role": "tool", "tool_call_id": call.get("id"), "content": content}
                    )
                continue
            text = str(message.get("content") or "").strip()
            missing = conv.unsupported(text)
            if missing and not corrected:
                corrected = True
                messages.append(
                    {
                        "role": "user",
                        "content": FIX_FIGURES_PROMPT.format(figures=", ".join(missing)),
                    }
                )
                continue
            return conv.finish(text, usage=_finish_usage(state), offline=False)
    finally:
        await client.close()
    raise PlanNotProduced(
        f"The model '{provider.model}' gave no answer within {provider.max_rounds} rounds."
    )


async def chat_anthropic(
    provider: Any, conv: ChatConversation, limits: CallLimits | None
) -> ChatAnswer:
    """The chat on Claude through Anthropic's official SDK."""
    import anthropic

    from marketing_agent.agent.providers.anthropic import (
        TokenCounter,
        _raise_unavailable,
        billed_input_tokens,
        cached_system,
        cached_tools,
    )

    state = plan_state(provider.name, provider.model, limits)
    system = _system_text(conv)
    request: dict[str, Any]
    messages: list[dict[str, Any]] = [
        {"role": t.role, "content": t.content} for t in conv.request.messages
    ]
    corrected = False
    async with anthropic.AsyncAnthropic(
        api_key=provider._api_key,
        base_url=provider.base_url,
        max_retries=provider._max_retries,
        timeout=provider._timeout_s,
    ) as client:
        count = TokenCounter(client, model=provider.model, system=system, tools=conv.specs())
        for _round in range(provider.max_rounds):
            prepared = await state.prepare_counted(
                messages, system=system, max_output_tokens=provider.max_tokens, count=count
            )
            request = {
                "model": provider.model,
                "max_tokens": provider.max_tokens,
                "system": cached_system(system),
                "messages": prepared,
                "tools": cached_tools(conv.specs()),
            }
            try:
                if conv.on_event is None:
                    response = await client.messages.create(**request)
                else:
                    async with client.messages.stream(**request) as stream:
                        async for text in stream.text_stream:
                            conv.stream_text(text)
                        response = await stream.get_final_message()
            except anthropic.APIError as exc:
                _raise_unavailable(exc, base_url=provider.base_url)
            state.add_usage(
                model=response.model,
                input_tokens=billed_input_tokens(response.usage),
                output_tokens=response.usage.output_tokens,
            )
            messages.append({"role": "assistant", "content": response.content})
            uses = [b for b in response.content if b.type == "tool_use"]
            said = " ".join(b.text for b in response.content if b.type == "text").strip()
            conv.end_round(keep=not uses and (corrected or not conv.unsupported(said)))
            if uses:
                results = []
                for block in uses:
                    content, error = await conv.call(block.name, cast(Any, block.input))
                    result: dict[str, Any] = {
                        "type": "tool_result",
                        "tool_use_id": block.id,
                        "content": content,
                    }
                    if error:
                        result["is_error"] = True
                    results.append(result)
                messages.append({"role": "user", "content": results})
                continue
            text = " ".join(b.text for b in response.content if b.type == "text").strip()
            missing = conv.unsupported(text)
            if missing and not corrected:
                corrected = True
                messages.append(
                    {
                        "role": "user",
                        "content": FIX_FIGURES_PROMPT.format(figures=", ".join(missing)),
                    }
                )
                continue
            return conv.finish(text, usage=_finish_usage(state), offline=False)
    raise PlanNotProduced(f"Claude gave no answer within {provider.max_rounds} rounds.")


def _json_object(raw: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}") if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def _openai_streamed(
    client: Any, request: dict[str, Any], conv: ChatConversation
) -> dict[str, Any]:
    """Streams one chat completion, showing its text as it comes; returns it in the shape of a
    non-streamed completion (model, usage, the message with its tool calls put together)."""
    stream = await client.chat.completions.create(
        **request, stream=True, stream_options={"include_usage": True}
    )
    model: str | None = None
    usage: dict[str, Any] = {}
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    async for chunk in stream:
        model = chunk.model or model
        if chunk.usage is not None:
            usage = chunk.usage.model_dump(mode="json", exclude_none=True)
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                text.append(delta.content)
                conv.stream_text(delta.content)
            for part in delta.tool_calls or []:
                blank = {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
                call = calls.setdefault(part.index, blank)
                call["id"] = part.id or call["id"]
                if part.function is not None:
                    call["function"]["name"] += part.function.name or ""
                    call["function"]["arguments"] += part.function.arguments or ""
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return {"model": model, "usage": usage, "choices": [{"message": message}]}

"""The strategist on any OpenAI-compatible server (`/v1/chat/completions` with tools), via httpx.

The same loop as the Anthropic provider in OpenAI's wire format: function tools, `tool_calls`
with JSON-encoded arguments, and `role: tool` messages carrying the results.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from marketing_agent.agent.conversation import PlanConversation
from marketing_agent.agent.prompts import (
    LAST_ROUND_PROMPT,
    NUDGE_PROMPT,
    render_system_prompt,
    render_user_prompt,
)
from marketing_agent.agent.schemas import CampaignBrief, CampaignPlan
from marketing_agent.agent.tools import SUBMIT_PLAN, AgentTools, InvalidSubmission, tool_specs
from marketing_agent.core.errors import Unavailable
from marketing_agent.core.logging import get_logger

log = get_logger(__name__)

OPENAI_PROVIDER = "openai"
DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAICompatProvider:
    """Plans a campaign with a chat-completions model in a tool-use loop of `max_rounds`."""

    name = OPENAI_PROVIDER

    def __init__(
        self,
        api_key: str | None,
        model: str,
        *,
        base_url: str | None = None,
        max_rounds: int = 6,
        max_tokens: int = 4096,
        timeout_s: float = 60.0,
        risk_threshold: float = 0.5,
    ) -> None:
        if max_rounds < 1:
            raise ValueError("max_rounds must be at least 1")
        self.model = model
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.max_rounds = max_rounds
        self.max_tokens = max_tokens
        self.risk_threshold = risk_threshold
        self._api_key = api_key
        self._timeout_s = timeout_s

    async def plan_campaign(self, brief: CampaignBrief, tools: AgentTools) -> CampaignPlan:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=self._timeout_s
        ) as client:
            state = PlanConversation(
                provider=self.name,
                model=self.model,
                brief=brief,
                tools=tools,
                risk_threshold=self.risk_threshold,
            )
            messages: list[dict[str, Any]] = [
                {"role": "system", "content": render_system_prompt(brief)},
                {"role": "user", "content": render_user_prompt(brief)},
            ]
            for round_no in range(1, self.max_rounds + 1):
                reply = await self._complete(client, brief, messages)
                usage = reply.get("usage") or {}
                state.add_usage(
                    model=reply.get("model"),
                    input_tokens=int(usage.get("prompt_tokens") or 0),
                    output_tokens=int(usage.get("completion_tokens") or 0),
                )
                plan = await _handle(state, messages, reply)
                if round_no + 1 == self.max_rounds:
                    messages.append({"role": "user", "content": LAST_ROUND_PROMPT})
                if plan is not None:
                    log.info(
                        "agent.plan_submitted",
                        provider=self.name,
                        model=plan.model,
                        rounds=round_no,
                    )
                    return plan
            raise state.out_of_rounds(who=f"The model '{self.model}'", max_rounds=self.max_rounds)

    async def _complete(
        self, client: httpx.AsyncClient, brief: CampaignBrief, messages: list[dict[str, Any]]
    ) -> dict[str, Any]:
        # tool_choice stays "auto": not every compatible server accepts forced tool use.
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": t["name"],
                        "description": t["description"],
                        "parameters": t["input_schema"],
                    },
                }
                for t in tool_specs(variant_count=brief.variant_count)
            ],
        }
        try:
            response = await client.post("/chat/completions", json=body)
        except httpx.HTTPError as exc:
            log.warning("agent.provider_unreachable", provider=self.name, error=type(exc).__name__)
            raise Unavailable(
                f"The connection to the model server at {self.base_url} failed "
                f"({type(exc).__name__}). Check MA_OPENAI_BASE_URL, or use MA_LLM_PROVIDER=offline."
            ) from exc
        if response.status_code >= 400:
            _raise_for_status(response)
        try:
            data = response.json()
        except ValueError as exc:
            raise Unavailable("The model server answered with something that is not JSON.") from exc
        if not isinstance(data, dict) or not data.get("choices"):
            raise Unavailable("The model server's answer has no choices.")
        return data


async def _handle(
    state: PlanConversation, messages: list[dict[str, Any]], reply: dict[str, Any]
) -> CampaignPlan | None:
    """Returns the plan when the model submitted a valid one; else answers its tool calls."""
    choice = reply["choices"][0]
    message = choice.get("message") or {}
    calls = message.get("tool_calls") or []
    messages.append(
        {
            "role": "assistant",
            "content": message.get("content"),
            **({"tool_calls": calls} if calls else {}),
        }
    )
    if not calls:
        reason = choice.get("finish_reason")
        state.last_problem = f"the model stopped without a tool call ({reason})"
        messages.append({"role": "user", "content": NUDGE_PROMPT})
        return None
    for call in calls:
        function = call.get("function") or {}
        name = str(function.get("name") or "")
        try:
            arguments = _arguments(function.get("arguments"))
            if name == SUBMIT_PLAN:
                return state.accept(arguments)
            content = (await state.execute(name, arguments)).content
        except InvalidSubmission as exc:
            content = str(exc)
        messages.append({"role": "tool", "tool_call_id": call.get("id"), "content": content})
    return None


def _arguments(raw: Any) -> dict[str, Any]:
    """Returns a tool call's arguments, which OpenAI's format sends as a JSON string."""
    try:
        arguments = json.loads(raw or "{}") if isinstance(raw, str) else raw
    except ValueError as exc:
        raise InvalidSubmission(f"The arguments are not valid JSON ({exc}).") from exc
    if not isinstance(arguments, dict):
        raise InvalidSubmission("The arguments must be a JSON object.")
    return arguments


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    log.warning("agent.provider_failed", provider=OPENAI_PROVIDER, status=status)
    if status == 401:
        detail = "The model server rejected the API key (401). Check MA_OPENAI_API_KEY."
    elif status == 429:
        detail = "The model server's rate limit was reached (429). Try again in a minute."
    elif status >= 500:
        detail = f"The model server failed ({status}). Try again in a few minutes."
    else:
        detail = f"The model server answered HTTP {status}: {_error_message(response)}"
    raise Unavailable(detail)


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return "no details given."
    message = error.get("message") if isinstance(error, dict) else error
    return str(message)[:200] if message else "no details given."

"""The strategist on any OpenAI-compatible server (`/v1/chat/completions` with tools), through
the official `openai` SDK with `base_url`: OpenAI itself, Ollama, vLLM, llama.cpp's server.

The same loop as the Anthropic provider in OpenAI's wire format: function tools, `tool_calls`
with JSON-encoded arguments, and `role: tool` messages carrying the results. The SDK retries
429s, 5xx and connection errors with exponential backoff (`max_retries`).
"""

from __future__ import annotations

import json
from typing import Any, NoReturn, cast

import openai

from marketing_agent.agent.conversation import CallLimits, PlanConversation
from marketing_agent.agent.prompts import (
    LAST_ROUND_PROMPT,
    NUDGE_PROMPT,
    SHIPPED,
    PromptSet,
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
# Local servers (Ollama, vLLM, llama.cpp) ignore the key, but the SDK insists on one.
NO_KEY = "not-needed"


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
        max_retries: int = 2,
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
        self._max_retries = max_retries

    async def plan_campaign(
        self,
        brief: CampaignBrief,
        tools: AgentTools,
        *,
        limits: CallLimits | None = None,
        prompts: PromptSet = SHIPPED,
    ) -> CampaignPlan:
        client = openai.AsyncOpenAI(
            api_key=self._api_key or NO_KEY,
            base_url=self.base_url,
            timeout=self._timeout_s,
            max_retries=self._max_retries,
        )
        try:
            return await self._plan(client, brief, tools, limits, prompts)
        finally:
            await client.close()

    async def _plan(
        self,
        client: openai.AsyncOpenAI,
        brief: CampaignBrief,
        tools: AgentTools,
        limits: CallLimits | None,
        prompts: PromptSet,
    ) -> CampaignPlan:
        state = PlanConversation(
            provider=self.name,
            model=self.model,
            brief=brief,
            tools=tools,
            risk_threshold=self.risk_threshold,
            limits=limits,
        )
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": render_system_prompt(brief, prompts)},
            {"role": "user", "content": render_user_prompt(brief, prompts)},
        ]
        for round_no in range(1, self.max_rounds + 1):
            prepared = state.prepare(messages, system="", max_output_tokens=self.max_tokens)
            reply = await self._complete(client, brief, prepared)
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
                    "agent.plan_submitted", provider=self.name, model=plan.model, rounds=round_no
                )
                return plan
        raise state.out_of_rounds(who=f"The model '{self.model}'", max_rounds=self.max_rounds)

    async def _complete(
        self, client: openai.AsyncOpenAI, brief: CampaignBrief, messages: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Returns one chat completion as plain JSON (the loop works on the wire format)."""
        functions = [
            {
                "type": "function",
                "function": {
                    "name": t["name"],
                    "description": t["description"],
                    "parameters": t["input_schema"],
                },
            }
            for t in tool_specs(variant_count=brief.variant_count)
        ]
        # tool_choice stays "auto": not every compatible server accepts forced tool use.
        try:
            completion = await client.chat.completions.create(
                model=self.model,
                messages=cast(Any, messages),
                max_tokens=self.max_tokens,
                tools=cast(Any, functions),
            )
        except openai.APIError as exc:
            _raise_unavailable(exc, base_url=self.base_url)
        data = completion.model_dump(mode="json", exclude_none=True)
        if not data.get("choices"):
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


def _raise_unavailable(exc: openai.APIError, *, base_url: str) -> NoReturn:
    """Raises `Unavailable` saying what went wrong and what to do, without the SDK's traceback."""
    if isinstance(exc, openai.APIConnectionError):
        kind = "timed out" if isinstance(exc, openai.APITimeoutError) else "failed"
        log.warning("agent.provider_unreachable", provider=OPENAI_PROVIDER, error=kind)
        raise Unavailable(
            f"The connection to the model server at {base_url} {kind}. Check "
            "MA_OPENAI_BASE_URL, or use MA_LLM_PROVIDER=offline."
        ) from exc
    status = getattr(exc, "status_code", None)
    log.warning("agent.provider_failed", provider=OPENAI_PROVIDER, status=status)
    if isinstance(exc, openai.AuthenticationError):
        detail = "The model server rejected the API key (401). Check MA_OPENAI_API_KEY."
    elif isinstance(exc, openai.RateLimitError):
        detail = "The model server's rate limit was reached (429). Try again in a minute."
    elif isinstance(status, int) and status >= 500:
        detail = f"The model server failed ({status}). Try again in a few minutes."
    elif isinstance(exc, openai.APIStatusError):
        detail = f"The model server answered HTTP {status}: {_error_message(exc)}"
    else:
        detail = f"The model server gave an unusable answer: {type(exc).__name__}."
    raise Unavailable(detail) from exc


def _error_message(exc: openai.APIError) -> str:
    body = exc.body
    error = body.get("error") if isinstance(body, dict) else body
    message = error.get("message") if isinstance(error, dict) else error
    return str(message)[:200] if message else "no details given."

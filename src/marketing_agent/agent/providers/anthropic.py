"""The strategist on Anthropic's Claude, through the official SDK and its tool use.

One conversation per plan: the model calls describe_audience and check_content as it likes and
ends with submit_plan; before the last allowed round it is told to submit. Each request's
tokens are counted by Anthropic's count_tokens endpoint for the context and spend checks (the
local estimate where that fails). SDK failures become `Unavailable` with a message a marketer
can act on.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn, cast

import anthropic
from anthropic.types import Message

from marketing_agent.agent.context import scrub
from marketing_agent.agent.conversation import CallLimits, PlanConversation
from marketing_agent.agent.errors import BriefRefused
from marketing_agent.agent.prompts import (
    LAST_ROUND_PROMPT,
    NUDGE_PROMPT,
    SHIPPED,
    PromptSet,
    render_system_prompt,
    render_user_prompt,
)
from marketing_agent.agent.schemas import CampaignBrief, CampaignPlan
from marketing_agent.agent.tools import (
    SUBMIT_PLAN,
    AgentTools,
    InvalidSubmission,
    tool_specs,
    truncate,
)
from marketing_agent.core.errors import Unavailable
from marketing_agent.core.logging import get_logger

log = get_logger(__name__)

ANTHROPIC_PROVIDER = "anthropic"
DEFAULT_MAX_TOKENS = 8192  # room for adaptive thinking before five variants
COUNT_TIMEOUT_S = 10.0


class AnthropicProvider:
    """Plans a campaign with Claude in a tool-use loop of at most `max_rounds` requests."""

    name = ANTHROPIC_PROVIDER

    def __init__(
        self,
        api_key: str,
        model: str,
        *,
        base_url: str | None = None,
        max_rounds: int = 6,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        max_retries: int = 2,
        timeout_s: float = 60.0,
        risk_threshold: float = 0.5,
    ) -> None:
        if max_rounds < 1:
            raise ValueError("max_rounds must be at least 1")
        self.model = model
        self.base_url = base_url
        self.max_rounds = max_rounds
        self.max_tokens = max_tokens
        self.risk_threshold = risk_threshold
        self._api_key = api_key
        self._max_retries = max_retries
        self._timeout_s = timeout_s

    async def plan_campaign(
        self,
        brief: CampaignBrief,
        tools: AgentTools,
        *,
        limits: CallLimits | None = None,
        prompts: PromptSet = SHIPPED,
    ) -> CampaignPlan:
        async with anthropic.AsyncAnthropic(
            api_key=self._api_key,
            base_url=self.base_url,
            max_retries=self._max_retries,
            timeout=self._timeout_s,
        ) as client:
            return await _Conversation(self, client, brief, tools, limits, prompts).run()


class _Conversation:
    """One plan's exchange with Claude: the messages so far, and the shared bookkeeping."""

    def __init__(
        self,
        provider: AnthropicProvider,
        client: anthropic.AsyncAnthropic,
        brief: CampaignBrief,
        tools: AgentTools,
        limits: CallLimits | None,
        prompts: PromptSet,
    ) -> None:
        self.provider = provider
        self.prompts = prompts
        self.client = client
        self.brief = brief
        self.state = PlanConversation(
            provider=provider.name,
            model=provider.model,
            brief=brief,
            tools=tools,
            risk_threshold=provider.risk_threshold,
            limits=limits,
        )
        self.messages: list[dict[str, Any]] = [
            {"role": "user", "content": render_user_prompt(brief, prompts)}
        ]
        self.counter: TokenCounter | None = None

    async def run(self) -> CampaignPlan:
        for round_no in range(1, self.provider.max_rounds + 1):
            response = await self._send()
            self.state.add_usage(
                model=response.model,
                input_tokens=billed_input_tokens(response.usage),
                output_tokens=response.usage.output_tokens,
            )
            if response.stop_reason == "refusal":
                raise BriefRefused(
                    "Claude declined to plan this campaign. Rephrase the brief without claims "
                    "or requests that break the messaging rules."
                )
            last_next = round_no + 1 == self.provider.max_rounds
            plan = await self._handle(response, next_is_last=last_next)
            if plan is not None:
                log.info(
                    "agent.plan_submitted",
                    provider=self.provider.name,
                    model=plan.model,
                    rounds=round_no,
                )
                return plan
        raise self.state.out_of_rounds(who="Claude", max_rounds=self.provider.max_rounds)

    async def _send(self) -> Message:
        # tool_choice stays "auto": the newest models reject forced tool use with a 400.
        system = scrub(render_system_prompt(self.brief, self.prompts))
        tools = tool_specs(variant_count=self.brief.variant_count)
        if self.counter is None:
            self.counter = TokenCounter(
                self.client, model=self.provider.model, system=system, tools=tools
            )
        messages = await self.state.prepare_counted(
            self.messages,
            system=system,
            max_output_tokens=self.provider.max_tokens,
            count=self.counter,
        )
        try:
            return await self.client.messages.create(
                model=self.provider.model,
                max_tokens=self.provider.max_tokens,
                system=cast(Any, cached_system(system)),
                messages=cast(Any, messages),
                tools=cast(Any, cached_tools(tools)),
            )
        except anthropic.APIError as exc:
            _raise_unavailable(exc, base_url=self.provider.base_url)

    async def _handle(self, response: Message, *, next_is_last: bool) -> CampaignPlan | None:
        """Returns the plan when the model submitted a valid one; else answers its tool calls."""
        tool_uses = [b for b in response.content if b.type == "tool_use"]
        if response.content:
            # Sent back unchanged: thinking blocks must reach the model exactly as it wrote them.
            self.messages.append({"role": "assistant", "content": response.content})
        reply: list[dict[str, Any]] = []
        if not tool_uses:
            self.state.last_problem = (
                f"the model stopped without a tool call ({response.stop_reason})"
            )
            reply.append({"type": "text", "text": NUDGE_PROMPT})
        for block in tool_uses:
            if block.name == SUBMIT_PLAN:
                try:
                    return self.state.accept(block.input)
                except InvalidSubmission as exc:
                    reply.append(_tool_result(block.id, str(exc), is_error=True))
                    continue
            outcome = await self.state.execute(block.name, block.input)
            reply.append(_tool_result(block.id, outcome.content, is_error=outcome.is_error))
        if next_is_last:
            reply.append({"type": "text", "text": LAST_ROUND_PROMPT})
        self.messages.append({"role": "user", "content": reply})
        return None


class TokenCounter:
    """Counts a request's input tokens with Anthropic's count_tokens endpoint (free of charge):
    the same system prompt, tools and messages the request will carry. Returns None when the
    endpoint fails (a gateway without it, a rate limit); after one failure it stops asking."""

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        *,
        model: str,
        system: str,
        tools: list[dict[str, Any]],
    ) -> None:
        # No retries and a short timeout: a count that fails falls back to the estimate, it
        # never delays the request itself.
        self.client = client.with_options(max_retries=0, timeout=COUNT_TIMEOUT_S)
        self.model = model
        self.system = system
        self.tools = tools
        self.failed = False

    async def __call__(self, messages: list[dict[str, Any]]) -> int | None:
        if self.failed:
            return None
        try:
            counted = await self.client.messages.count_tokens(
                model=self.model,
                system=cast(Any, cached_system(self.system)),
                messages=cast(Any, messages),
                tools=cast(Any, cached_tools(self.tools)),
            )
        except anthropic.APIError as exc:
            self.failed = True
            log.warning(
                "agent.count_tokens_failed",
                provider=ANTHROPIC_PROVIDER,
                status=getattr(exc, "status_code", None),
                error=type(exc).__name__,
            )
            return None
        return int(counted.input_tokens)


def billed_input_tokens(usage: Any) -> int:
    """Input tokens as billed at the base price: Anthropic's `input_tokens` leaves out the cache,
    whose writes cost 1.25x and reads 0.1x; rounded up, so a budget is never underestimated."""
    written = getattr(usage, "cache_creation_input_tokens", None) or 0
    read = getattr(usage, "cache_read_input_tokens", None) or 0
    return int(usage.input_tokens) + math.ceil(written * 1.25 + read * 0.1)


def cached_system(system: str) -> list[dict[str, Any]]:
    """The system prompt as a block marked for prompt caching: with the tools before it, the
    same prefix on every round of every plan, read from the cache at a tenth of the price."""
    return [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]


def cached_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tools with a cache breakpoint after the last one (tools come first in the prefix)."""
    if not tools:
        return tools
    return [*tools[:-1], {**tools[-1], "cache_control": {"type": "ephemeral"}}]


def _tool_result(tool_use_id: str, content: str, *, is_error: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_use_id, "content": content}
    if is_error:
        result["is_error"] = True
    return result


def _raise_unavailable(exc: anthropic.APIError, *, base_url: str | None) -> NoReturn:
    """Raises `Unavailable` saying what went wrong and what to do, without the SDK's traceback."""
    where = base_url or "https://api.anthropic.com"
    if isinstance(exc, anthropic.APIConnectionError):
        kind = "timed out" if isinstance(exc, anthropic.APITimeoutError) else "failed"
        log.warning("agent.provider_unreachable", provider=ANTHROPIC_PROVIDER, error=kind)
        raise Unavailable(
            f"The connection to the Anthropic API at {where} {kind}. Check the network and "
            "MA_ANTHROPIC_BASE_URL, or use MA_LLM_PROVIDER=offline."
        ) from exc
    status = getattr(exc, "status_code", None)
    log.warning(
        "agent.provider_failed",
        provider=ANTHROPIC_PROVIDER,
        status=status,
        error=type(exc).__name__,
    )
    if isinstance(exc, anthropic.AuthenticationError):
        detail = "Anthropic rejected the API key (401). Check MA_ANTHROPIC_API_KEY."
    elif isinstance(exc, anthropic.PermissionDeniedError):
        detail = "The Anthropic API key may not use this model (403). Check MA_ANTHROPIC_MODEL."
    elif isinstance(exc, anthropic.RateLimitError):
        detail = "Anthropic's rate limit was reached (429). Try again in a minute."
    elif status == 529:
        detail = "Anthropic is overloaded right now (529). Try again in a few minutes."
    elif isinstance(exc, anthropic.APIStatusError):
        detail = f"The Anthropic API answered HTTP {status}: {_api_message(exc)}"
    else:
        detail = f"The Anthropic API gave an unusable answer: {type(exc).__name__}."
    raise Unavailable(detail) from exc


def _api_message(exc: anthropic.APIError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = body["error"].get("message")
        if isinstance(message, str) and message:
            return truncate(message, 200)
    return "no details given."

"""What every LLM provider's tool-use loop shares: executing tools, accepting the plan, usage.

A provider only speaks its wire format; this keeps the tool records, the safety verdicts the
model obtained, the summed tokens, and turns a valid `submit_plan` call into a `CampaignPlan`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from marketing_agent.agent.budget import usd
from marketing_agent.agent.context import ContextWindow, estimate_tokens
from marketing_agent.agent.errors import BudgetExhausted, PlanNotProduced
from marketing_agent.agent.pricing import PriceTable, cost_usd_micros, price_of
from marketing_agent.agent.prompts import PLAN_PROMPT_VERSION
from marketing_agent.agent.schemas import CampaignBrief, CampaignPlan, ToolCallRecord, Usage
from marketing_agent.agent.tools import (
    CHECK_CONTENT,
    SUBMIT_PLAN,
    AgentTools,
    InvalidSubmission,
    SafetyLedger,
    ToolOutcome,
    parse_submission,
    run_tool,
    safety_notes,
    truncate,
)

# Counts one request's input tokens as the provider does (system, tools and `messages`);
# None where it cannot (no such endpoint, an error): the local estimate is used instead.
TokenCount = Callable[[list[dict[str, Any]]], Awaitable[int | None]]


@dataclass(frozen=True)
class CallLimits:
    """What one piece of work may use: a spend cap (None: no cap) and a context budget."""

    cap_usd_micros: int | None = None
    context_max_tokens: int = 16_000
    prices: PriceTable = field(default_factory=dict)  # MA_AGENT_PRICES, over the built-in table


class PlanConversation:
    """The state of one plan's exchange with a model, whatever the provider."""

    def __init__(
        self,
        *,
        provider: str,
        model: str,
        brief: CampaignBrief,
        tools: AgentTools,
        risk_threshold: float,
        limits: CallLimits | None = None,
    ) -> None:
        self.limits = limits or CallLimits()
        self.context = ContextWindow(self.limits.context_max_tokens)
        self.provider = provider
        self.brief = brief
        self.tools = tools
        self.risk_threshold = risk_threshold
        self.usage = Usage(provider=provider, model=model)
        self.records: list[ToolCallRecord] = []
        self.ledger = SafetyLedger()
        self.last_problem = "the model never called submit_plan"

    def add_usage(self, *, model: str | None, input_tokens: int, output_tokens: int) -> None:
        """Adds one round's tokens; the model is the one that answered (a dated snapshot)."""
        self.usage.model = model or self.usage.model
        self.usage.input_tokens += input_tokens
        self.usage.output_tokens += output_tokens

    def spent_usd_micros(self) -> int:
        """Returns what the rounds so far cost (0 when the model's price is unknown)."""
        return (
            cost_usd_micros(
                self.usage.model,
                input_tokens=self.usage.input_tokens,
                output_tokens=self.usage.output_tokens,
                prices=self.limits.prices,
            )
            or 0
        )

    def prepare(
        self, messages: Sequence[dict[str, Any]], *, system: str, max_output_tokens: int
    ) -> list[dict[str, Any]]:
        """Returns the next request's messages, scrubbed and trimmed; raises `BudgetExhausted`
        when that round could take the work past its spend cap (the budget is never overrun)."""
        prepared = self.context.fit(messages, system=system)
        self.ensure_room(
            request_tokens=estimate_tokens(system) + estimate_tokens(prepared),
            max_output_tokens=max_output_tokens,
        )
        return prepared

    async def prepare_counted(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        system: str,
        max_output_tokens: int,
        count: TokenCount,
    ) -> list[dict[str, Any]]:
        """Like `prepare`, with the request's tokens as the provider counts them: trimmed again
        when that count is over the context budget, and the spend check made with it (the
        local estimate when the provider cannot count)."""
        prepared = self.context.fit(messages, system=system)
        counted = await count(prepared)
        budget = self.limits.context_max_tokens
        if counted is not None and counted > budget:
            # The estimate was low for this text (or the tools take room): fit again against a
            # budget scaled by how far off it was, and count what that leaves.
            estimated = estimate_tokens(system) + estimate_tokens(prepared)
            tighter = max(budget * estimated // counted, 1)
            prepared = self.context.fit(messages, system=system, max_tokens=tighter)
            counted = await count(prepared)
        if counted is None:
            self.ensure_room(
                request_tokens=estimate_tokens(system) + estimate_tokens(prepared),
                max_output_tokens=max_output_tokens,
            )
        else:
            self.ensure_room(
                request_tokens=counted,
                max_output_tokens=max_output_tokens,
                counted_by="as the provider counted them",
            )
        return prepared

    def ensure_room(
        self, *, request_tokens: int, max_output_tokens: int, counted_by: str = "estimated"
    ) -> None:
        """Raises `BudgetExhausted` unless the worst case of one more round fits the cap."""
        cap = self.limits.cap_usd_micros
        price = price_of(self.usage.model, self.limits.prices)
        if cap is None or price is None:
            return
        spent = self.spent_usd_micros()
        worst = int(request_tokens * price[0] + max_output_tokens * price[1])
        if spent + worst <= cap:
            return
        self.usage.cost_usd_micros = spent
        raise BudgetExhausted(
            f"The strategist stopped: the next round ({request_tokens:,} input tokens, "
            f"{counted_by}, and up to {max_output_tokens:,} out) could cost up to {usd(worst)} "
            "and only "
            f"{usd(max(cap - spent, 0))} of this work's {usd(cap)} budget is left (spent "
            f"{usd(spent)}). Raise MA_AGENT_BUDGET_CALL_USD (or the day's and month's budgets), "
            "or write the variants yourself.",
            usage=self.usage.model_dump(),
        )

    async def execute(self, name: str, tool_input: Mapping[str, Any]) -> ToolOutcome:
        """Runs one data tool, keeping its record and any safety verdict."""
        outcome = await run_tool(self.tools, name, tool_input)
        self.records.append(outcome.record)
        text = tool_input.get("text")
        if name == CHECK_CONTENT and outcome.data is not None and isinstance(text, str):
            self.ledger.verdicts[text.strip()] = outcome.data
        return outcome

    def accept(self, tool_input: Mapping[str, Any]) -> CampaignPlan:
        """Returns the plan of a valid `submit_plan` call; raises `InvalidSubmission` otherwise."""
        try:
            strategy, variants = parse_submission(
                tool_input, variant_count=self.brief.variant_count
            )
        except InvalidSubmission as exc:
            self.last_problem = str(exc)
            raw = tool_input.get("variants")
            self.records.append(
                ToolCallRecord(
                    name=SUBMIT_PLAN,
                    input={"variants": len(raw) if isinstance(raw, list) else 0},
                    output_summary=truncate(f"rejected: {exc}", 200),
                )
            )
            raise
        self.records.append(
            ToolCallRecord(
                name=SUBMIT_PLAN,
                input={"variants": len(variants)},
                output_summary="accepted",
            )
        )
        notes = safety_notes(variants, self.ledger, risk_threshold=self.risk_threshold)
        cost = cost_usd_micros(
            self.usage.model,
            input_tokens=self.usage.input_tokens,
            output_tokens=self.usage.output_tokens,
            prices=self.limits.prices,
        )
        if cost is None:
            notes.append(
                f"No price is known for model '{self.usage.model}'; cost recorded as 0 (set its "
                "price in MA_AGENT_PRICES to have the budgets count it)."
            )
        self.usage.cost_usd_micros = cost or 0
        return CampaignPlan(
            strategy=strategy,
            variants=variants,
            provider=self.provider,
            model=self.usage.model,
            offline=False,
            notes=notes,
            usage=self.usage,
            tool_calls=self.records,
            prompt_version=PLAN_PROMPT_VERSION,
        )

    def out_of_rounds(self, *, who: str, max_rounds: int) -> PlanNotProduced:
        """Returns the error for a conversation that used every round without a valid plan."""
        return PlanNotProduced(
            f"{who} did not submit a valid plan within {max_rounds} rounds ({self.last_problem}). "
            "Try again, or raise MA_AGENT_MAX_TOOL_ROUNDS."
        )

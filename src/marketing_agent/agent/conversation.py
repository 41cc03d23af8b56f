"""What every LLM provider's tool-use loop shares: executing tools, accepting the plan, usage.

A provider only speaks its wire format; this keeps the tool records, the safety verdicts the
model obtained, the summed tokens, and turns a valid `submit_plan` call into a `CampaignPlan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketing_agent.agent.errors import PlanNotProduced
from marketing_agent.agent.pricing import cost_usd_micros
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
    ) -> None:
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
        )
        if cost is None:
            notes.append(f"No price is known for model '{self.usage.model}'; cost recorded as 0.")
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
        )

    def out_of_rounds(self, *, who: str, max_rounds: int) -> PlanNotProduced:
        """Returns the error for a conversation that used every round without a valid plan."""
        return PlanNotProduced(
            f"{who} did not submit a valid plan within {max_rounds} rounds ({self.last_problem}). "
            "Try again, or raise MA_AGENT_MAX_TOOL_ROUNDS."
        )

"""Errors of the agent module: the strategist could not be reached, or produced no usable plan.

Each maps to problem+json like every `MarketingAgentError`; the detail says what to do next.
"""

from __future__ import annotations

from marketing_agent.core.errors import MarketingAgentError, Unavailable


class ProviderNotConfigured(Unavailable):
    title = "The LLM provider is not configured"
    type_slug = "agent-not-configured"


class PlanNotProduced(Unavailable):
    """The provider answered, but no valid plan came out of the conversation."""

    status = 502
    title = "The strategist produced no plan"
    type_slug = "agent-no-plan"


class BriefRefused(MarketingAgentError):
    status = 422
    title = "The strategist declined the brief"
    type_slug = "agent-brief-refused"


class BudgetExhausted(MarketingAgentError):
    """A budget of LLM spend (per call, day or month) is used up: the work stops, never overruns."""

    status = 402
    title = "The LLM budget is used up"
    type_slug = "agent-budget-exhausted"


class ProviderCircuitOpen(Unavailable):
    """The provider failed repeatedly; calls are refused for a while instead of piling up."""

    title = "The LLM provider is paused after repeated failures"
    type_slug = "agent-circuit-open"

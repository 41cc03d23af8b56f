"""Pydantic schemas of the agent module: the marketer's brief, the strategist's plan, usage."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

MAX_MESSAGE_CHARS = 4096  # Telegram's limit for one text message
VARIANT_KEYS = "ABCDE"


class CampaignBrief(BaseModel):
    """What the marketer wants; the strategist turns it into a strategy and variants."""

    name: str = Field(min_length=1, max_length=200)
    goal: str = Field(
        min_length=3,
        max_length=2000,
        description="The brief in the marketer's words, e.g. 'Announce our winter sale, 20% off'.",
    )
    audience_description: str | None = Field(None, max_length=2000)
    tone: str = Field("friendly", min_length=1, max_length=40)
    language: str = Field("en", min_length=2, max_length=16, description="BCP 47 tag, e.g. 'en'.")
    variant_count: int = Field(2, ge=1, le=len(VARIANT_KEYS))
    call_to_action_url: str | None = Field(None, max_length=2048)

    @field_validator("call_to_action_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("http://", "https://")) or " " in value:
            raise ValueError("must be an http:// or https:// URL")
        return value


class VariantDraft(BaseModel):
    key: str = Field(pattern=r"^[A-E]$")
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    rationale: str


class Usage(BaseModel):
    """Tokens and cost of one piece of work, summed over every round of the conversation."""

    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd_micros: int = 0


class ToolCallRecord(BaseModel):
    name: str
    input: dict[str, Any]
    output_summary: str


class CampaignPlan(BaseModel):
    strategy: str
    variants: list[VariantDraft]
    provider: str
    model: str
    offline: bool
    notes: list[str] = Field(default_factory=list)
    usage: Usage
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)


class UsageTotal(BaseModel):
    provider: str
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd_micros: int


class UsageSummary(BaseModel):
    by_model: list[UsageTotal]
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd_micros: int


class ProviderInfo(BaseModel):
    """Which strategist plans campaigns, for the UI; never a key."""

    provider: str
    model: str
    offline: bool
    configured: bool
    detail: str

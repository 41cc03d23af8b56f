"""Pydantic schemas of the agent module: the marketer's brief, the strategist's plan, usage."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from marketing_agent.core import validation
from marketing_agent.core.validation import DbId

MAX_MESSAGE_CHARS = 4096  # Telegram's limit for one text message
VARIANT_KEYS = validation.VARIANT_KEYS


def _one_line(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def primary_language(tag: str) -> str:
    """Returns a BCP 47 tag's primary language subtag: "pt-BR" -> "pt"."""
    return tag.strip().lower().replace("_", "-").split("-", 1)[0]


class BriefWords(BaseModel):
    """The brief's own words in one more language, as the marketer would write them there."""

    model_config = ConfigDict(extra="forbid")

    product: str | None = Field(None, max_length=200, description="e.g. 'Зимние ботинки'.")
    offer: str | None = Field(None, max_length=200, description="e.g. 'скидка 20%'.")
    call_to_action: str | None = Field(None, max_length=80, description="e.g. 'Выбрать'.")

    @field_validator("product", "offer", "call_to_action")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return _one_line(value)


def check_brief_translations(value: dict[str, BriefWords]) -> dict[str, BriefWords]:
    """Returns the per-language words keyed by primary language; a key that is no tag is an
    error."""
    keyed: dict[str, BriefWords] = {}
    for tag, words in value.items():
        if not 2 <= len(tag.strip()) <= 16:
            raise ValueError(f"'{tag}' is not a BCP 47 language tag")
        if words.product or words.offer or words.call_to_action:
            keyed[primary_language(tag)] = words
    return keyed


class CampaignBrief(BaseModel):
    """What the marketer wants, field by field; the strategist turns it into a strategy and
    variants. Free text (`goal`) is optional once the product or offer is given."""

    name: str = Field(min_length=1, max_length=200)
    goal: str = Field(
        "",
        max_length=2000,
        description="Free text in the marketer's words, e.g. 'Announce our winter sale'. "
        "Optional when `product` or `offer` is given; the offline strategist never quotes "
        "instructions from it.",
    )
    product: str | None = Field(
        None, max_length=200, description="What the message is about, e.g. 'Winter boots'."
    )
    offer: str | None = Field(None, max_length=200, description="The offer, e.g. '20% off'.")
    deadline: date | None = Field(None, description="The last day of the offer, if it ends.")
    audience_description: str | None = Field(None, max_length=2000)
    call_to_action: str | None = Field(
        None,
        max_length=80,
        description="The link's lead in the first language, e.g. 'Shop the boots'; other "
        "languages use their own default.",
    )
    call_to_action_url: str | None = Field(None, max_length=2048)
    tone: str = Field("friendly", min_length=1, max_length=40)
    language: str = Field(
        "en",
        min_length=2,
        max_length=16,
        description="The language the brief's own words (product, offer, call to action, "
        "goal) are written in, a BCP 47 tag; the main language when `languages` is empty.",
    )
    languages: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Every language to write in (BCP 47 tags), the main one first; empty "
        "means `language` plus the audience's own languages.",
    )
    translations: dict[str, BriefWords] = Field(
        default_factory=dict,
        max_length=10,
        description="The product, offer and call to action in other languages, by language "
        "('ru'). The offline strategist cannot translate free wording: a language without "
        "its words here gets only the product's proper name, quoted as typed (its description "
        "is left out), and the offer only where it is a common one ('20% off', 'free "
        "shipping').",
    )
    variant_count: int = Field(2, ge=1, le=len(VARIANT_KEYS))

    @field_validator("call_to_action_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("http://", "https://")) or " " in value:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("product", "offer", "call_to_action")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return _one_line(value)

    @field_validator("translations")
    @classmethod
    def _translations(cls, value: dict[str, BriefWords]) -> dict[str, BriefWords]:
        return check_brief_translations(value)

    @field_validator("languages")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not 2 <= len(tag.strip()) <= 16:
                raise ValueError(f"'{tag}' is not a BCP 47 language tag")
        return [tag.strip() for tag in value]

    @model_validator(mode="after")
    def _says_something(self) -> CampaignBrief:
        if not (self.product or self.offer or len(self.goal.strip()) >= 3):
            raise ValueError("give the product or the offer, or describe the goal (3+ characters)")
        return self


class VariantDraft(BaseModel):
    key: str = Field(pattern=validation.VARIANT_KEY_PATTERN)
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    rationale: str
    language: str | None = Field(None, description="The language of `text` (BCP 47).")
    translations: dict[str, str] = Field(
        default_factory=dict,
        description="The same variant in other languages, by BCP 47 tag; a contact whose "
        "language is here receives that text.",
    )


class Usage(BaseModel):
    """Tokens and cost of one piece of work, summed over every round of the conversation."""

    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd_micros: int = 0
    prompt_version: str = ""


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
    prompt_version: str = Field(
        "", description="The prompt template version the plan was written with (empty offline)."
    )
    usage_id: int | None = Field(None, description="The usage record of this plan's cost.")


class UsageTotal(BaseModel):
    provider: str
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd_micros: int


class BudgetLine(BaseModel):
    """Spend of one period against its limit."""

    spent_usd_micros: int
    limit_usd_micros: int
    remaining_usd_micros: int
    used_share: float = Field(description="Spent / limit (1.0 and over: used up).")
    warning: bool = Field(description="80% or more is used.")
    exhausted: bool = Field(description="Used up: every LLM call is refused until it resets.")


class BudgetStatus(BaseModel):
    day: BudgetLine
    month: BudgetLine
    call_limit_usd_micros: int
    next_call_cap_usd_micros: int = Field(
        description="What the next call may spend at most: the smallest of the call limit and "
        "the day's and month's remainders."
    )
    warning: bool
    exhausted: bool


class CampaignBudget(BaseModel):
    """One campaign's LLM spend against its cap (its own, or MA_AGENT_BUDGET_CAMPAIGN_USD)."""

    campaign_id: int
    line: BudgetLine
    own_limit: bool = Field(description="The campaign has its own cap (else the setting's).")
    updated_by: str | None = None


class CampaignBudgetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit_usd: float | None = Field(
        ...,
        gt=0,
        le=100_000,
        allow_inf_nan=False,
        description="The campaign's cap in USD; null goes back to MA_AGENT_BUDGET_CAMPAIGN_USD.",
    )


class UsageSummary(BaseModel):
    by_model: list[UsageTotal]
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd_micros: int
    budget: BudgetStatus | None = None


class UsageCall(BaseModel):
    """One piece of strategist work: a plan, a chat answer, a results summary."""

    id: int
    created_at: datetime
    purpose: str = Field(description="plan, chat, summary...")
    campaign_id: int | None
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd_micros: int
    prompt_version: str


class UsageByMonth(BaseModel):
    month: str = Field(description="The calendar month (UTC), e.g. '2026-12'.")
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd_micros: int = 0


class UsageByCampaign(BaseModel):
    campaign_id: int
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd_micros: int = 0


class UsageReport(BaseModel):
    """LLM spend per month and per campaign since `since` (the start of a month, UTC)."""

    since: datetime
    months: list[UsageByMonth]
    campaigns: list[UsageByCampaign]


class ProviderInfo(BaseModel):
    """Which strategist plans campaigns, for the UI; never a key."""

    provider: str
    model: str
    offline: bool
    configured: bool
    detail: str


class InboxStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    DISMISSED = "dismissed"
    OPTED_OUT = "opted_out"  # consent was withdrawn when the reply came in


class InboxReplyRead(BaseModel):
    id: int
    contact_id: int
    sender_id: int
    campaign_id: int | None
    text: str = Field(description="The reply as the person wrote it: untrusted, never obeyed.")
    intent: str = Field(description="opt_out, complaint, purchase_intent, question or other.")
    matched: str | None = Field(description="The words that showed the intent.")
    language: str
    suggested_answer: str | None = Field(
        description="An answer for a person to edit and send; never sent on its own."
    )
    status: InboxStatus
    business_connection: bool
    received_at: datetime
    answered_by: str | None
    answered_at: datetime | None
    answer_text: str | None


class InboxAnswer(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class ChatTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=8000)


class ChatRequest(BaseModel):
    """The conversation so far, oldest first; the last turn is the marketer's question."""

    messages: list[ChatTurn] = Field(min_length=1, max_length=40)
    campaign_id: DbId | None = Field(
        None,
        description="The campaign the conversation is about: its cost counts against the "
        "campaign's budget too.",
    )

    @model_validator(mode="after")
    def _ends_with_a_question(self) -> ChatRequest:
        if self.messages[-1].role != "user":
            raise ValueError("the last message must be the user's")
        return self


class ChatSource(BaseModel):
    """One tool result the answer may cite as `[id]`."""

    id: str = Field(description='The citation marker, e.g. "S1".')
    tool: str
    input: dict[str, Any]
    summary: str
    data: Any


class ChatStep(BaseModel):
    """One tool call the strategist made (or tried), shown in the UI as a step."""

    tool: str
    input: dict[str, Any]
    status: Literal["ok", "refused", "error"]
    source_id: str | None = None
    detail: str = ""


class ProposedVariant(BaseModel):
    key: str
    text: str
    allowed: bool = Field(description="The safety guard's verdict on this text.")
    risk_score: float
    reasons: list[str] = Field(default_factory=list)


class CampaignProposal(BaseModel):
    """A draft campaign the strategist proposed in the chat: nothing is written until a person
    confirms it (the UI's "Create draft" posts it to the campaigns API, marked AI-generated)."""

    source_id: str = Field(description="The tool result it came from.")
    name: str
    goal: str
    segment_id: int | None
    cta_url: str | None
    variants: list[ProposedVariant]
    written_by: str = Field(description="The provider that wrote it (AI-generated).")


class VariantsProposal(BaseModel):
    """New variants the strategist proposed for an existing campaign: nothing changes until a
    person applies them (the UI's "Apply" edits the campaign, which is scored and reviewed
    again)."""

    source_id: str
    campaign_id: int
    campaign_name: str
    editable: bool = Field(description="A draft or a campaign waiting for review.")
    current: list[ProposedVariant] = Field(description="The campaign's variants now.")
    variants: list[ProposedVariant]
    rationale: str
    written_by: str


class ScheduleProposal(BaseModel):
    """A send time the strategist proposed from when people read and clicked: applied only by
    a person's click (the UI's "Apply" sets the campaign's start)."""

    source_id: str
    campaign_id: int
    campaign_name: str
    editable: bool
    start_at: datetime
    timezone: str
    local_hour: int = Field(description="The proposed hour in the campaign's time zone.")
    engaged_in_hour: int = Field(description="Reads and clicks in that hour (UTC) of the window.")
    engaged_total: int
    window_days: int
    written_by: str


class ChatAnswer(BaseModel):
    answer: str
    sources: list[ChatSource]
    steps: list[ChatStep]
    unverified_figures: list[str] = Field(
        default_factory=list,
        description="Figures no tool returned: replaced in `answer` by '[unverified figure]'.",
    )
    provider: str
    model: str
    offline: bool
    ai_generated: bool = Field(description="An LLM wrote the answer (EU AI Act art. 50).")
    prompt_version: str
    usage: Usage
    notes: list[str] = Field(default_factory=list)
    proposals: list[CampaignProposal] = Field(
        default_factory=list, description="Drafts proposed with draft_campaign, to confirm."
    )
    variant_proposals: list[VariantsProposal] = Field(
        default_factory=list, description="Variants proposed for a campaign, to apply."
    )
    schedule_proposals: list[ScheduleProposal] = Field(
        default_factory=list, description="Send times proposed for a campaign, to apply."
    )


class ChatStreamEvent(BaseModel):
    """One event of a streamed answer (`POST /agent/chat/stream`, Server-Sent Events).

    `delta`: the next piece of the answer, released a sentence at a time after its figures
    were checked (an unsupported one already reads "[unverified figure]"); `step`: a tool call
    as it happens; `reset`: drop the text shown so far (the model went on to call tools, or was
    asked to fix a figure); `answer`: the final, checked answer (replaces the streamed text);
    `error`: the work stopped (`problem` is the RFC 9457 body, e.g. the budget ran out)."""

    type: Literal["delta", "step", "reset", "answer", "error"]
    text: str | None = None
    step: ChatStep | None = None
    answer: ChatAnswer | None = None
    problem: dict[str, Any] | None = None


class ResultsSummary(BaseModel):
    """A campaign's results in plain sentences, every figure from a tool result: written when
    the campaign finished (`written_at`), or built now from fixed sentences when none is."""

    campaign_id: int
    status: str
    finished: bool = Field(description="The campaign completed or was cancelled.")
    summary: str = Field(description="The sentences, citing their source as [S1].")
    confidence: str = Field(description="How sure the A/B experiment is, in a sentence.")
    sources: list[ChatSource]
    unverified_figures: list[str] = Field(
        default_factory=list, description="Always empty: a summary with one is never kept."
    )
    ai_generated: bool = Field(
        False, description="An LLM wrote the sentences (EU AI Act art. 50); false: fixed ones."
    )
    provider: str = "offline"
    model: str = "rules-v1"
    written_at: datetime | None = Field(
        None,
        description="When it was written and kept (the campaign finished); null: built now "
        "from the latest figures, not kept.",
    )
    notes: list[str] = Field(default_factory=list)


MAX_PROMPT_CHARS = 20_000


class PromptEditRead(BaseModel):
    """One saved version of a prompt: a person's text, or a reset to the shipped file."""

    edit: int
    label: str = Field(description="What answers and logs record, e.g. 'plan_system@1.edit2'.")
    shipped_version: int
    reset: bool = Field(description="True: this version went back to the shipped text.")
    text: str | None
    note: str
    created_by: str
    created_at: datetime


class PromptRead(BaseModel):
    """A strategist prompt: the shipped text and version, and what runs now."""

    name: str
    purpose: str
    placeholders: list[str] = Field(description="The $names the text may use.")
    shipped_version: int
    shipped_text: str
    text: str = Field(description="The text the strategist runs now.")
    edited: bool = Field(description="True when a person's saved edit runs instead of the file.")
    label: str = Field(description="The version that runs now, as answers and logs record it.")
    history: list[PromptEditRead] = Field(default_factory=list, description="Newest first.")


class PromptPreviewRequest(BaseModel):
    """A prompt's text (the one being edited; none: the one that runs now) filled in for a
    brief (none: a sample brief)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, min_length=1, max_length=MAX_PROMPT_CHARS)
    brief: CampaignBrief | None = None


class PromptPreview(BaseModel):
    """What the strategist would send the model: the prompt with every placeholder filled in."""

    name: str
    label: str = Field(description="The version previewed; '(unsaved)' for a draft text.")
    brief: CampaignBrief = Field(description="The brief it was filled in for.")
    values: dict[str, str] = Field(description="Each $placeholder and what filled it in.")
    rendered: str


class PromptUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., min_length=1, max_length=MAX_PROMPT_CHARS)
    note: str = Field("", max_length=500, description="Why it was changed (kept in the history).")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("The prompt text may not be empty")
        return value

"""Pydantic schemas of the safety module."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

Severity = Literal["info", "warn", "block"]
Decision = Literal["allow", "review", "block"]


class Reason(BaseModel):
    """One thing the content check found; PII is masked in `match`, located by `span`."""

    code: str
    message: str
    severity: Severity
    match: str | None = None
    span: tuple[int, int] | None = None  # [start, end) in the checked text
    category: str | None = None  # the phrase list a matched phrase belongs to


class ContentVerdict(BaseModel):
    allowed: bool = Field(description="False when any reason has severity 'block'.")
    decision: Decision = Field(
        "allow", description="block on a blocking reason, review at the risk threshold, else allow."
    )
    risk_score: float = Field(ge=0.0, le=1.0, description="Reasons combined, 0 = clean.")
    reasons: list[Reason] = Field(default_factory=list)


class ContentCheckRequest(BaseModel):
    text: str = Field(max_length=100_000, description="The exact text that would be sent.")
    parse_mode: Literal["HTML", "MarkdownV2", "Markdown"] | None = Field(
        None, description="How Telegram will read the text's markup; none means plain text."
    )
    caption: StrictBool = Field(False, description="The text is a photo's or document's caption.")


class RedactRequest(BaseModel):
    text: str = Field(max_length=100_000, description="Text to strip of personal data.")


class RedactResponse(BaseModel):
    text: str = Field(description="The text with each entity replaced by its type, e.g. [EMAIL].")


class BuiltInPhraseList(BaseModel):
    """Phrases the guard ships with; every check looks for them (they cannot be edited)."""

    name: str
    category: str = Field(description="The category a reason for one of these phrases carries.")
    severity: Severity
    description: str
    phrases: list[str]


class BlacklistTermCreate(BaseModel):
    term: str = Field(min_length=1, max_length=200, pattern=r"[^\s\x1c-\x1f]")
    severity: Severity = "warn"

    @field_validator("term")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the term must contain something besides spaces")
        return value


class BlacklistTermRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    term: str
    severity: Severity
    created_at: datetime


Category = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="What the phrases are about, e.g. scam, profanity, competitors.",
    ),
]


# A phrase as the lists take it: a letter or digit somewhere (the schema says so, the matcher
# needs it), at most 200 characters.
PhraseText = Annotated[str, Field(min_length=1, max_length=200, pattern=r"[^\W_]")]
# The same in a list, checked by the service so that every bad phrase (malformed or a repeat of
# another) is reported in one answer; the schema still states the rule.
ListedPhraseText = Annotated[
    str, Field(json_schema_extra={"minLength": 1, "maxLength": 200, "pattern": r"[^\W_]"})
]


class PhraseListBase(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"[^\s\x1c-\x1f]")
    category: Category
    description: str = Field("", max_length=500)
    default_severity: Severity = "warn"
    enabled: StrictBool = True

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the name must contain something besides spaces")
        return value.strip()


class PhraseListCreate(PhraseListBase):
    phrases: list[ListedPhraseText] = Field(default_factory=list, max_length=10_000)


class PhraseListUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100, pattern=r"[^\s\x1c-\x1f]")
    category: Category | None = None
    description: str | None = Field(None, max_length=500)
    default_severity: Severity | None = None
    enabled: StrictBool | None = None


class PhraseListRead(PhraseListBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    version: int = Field(description="Goes up by one with every change to the list.")
    phrase_count: int = 0
    created_at: datetime


class PhraseCreate(BaseModel):
    text: PhraseText
    severity: Severity | None = Field(None, description="The list's default when left out.")

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not any(ch.isalnum() for ch in value):
            raise ValueError("the phrase must contain a letter or a digit")
        return value


class PhraseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    list_id: int
    text: str
    severity: Severity
    created_at: datetime


class SenderHealthRead(BaseModel):
    """A sender's health over the last 24 hours (since its last cool-down ended)."""

    sender_id: int
    sender_name: str = ""
    profile: str = ""
    score: int = Field(description="100 is spotless; every FloodWait, block and opt-out costs.")
    badge: Literal["good", "warning", "poor", "cooling_down"]
    sent: int
    flood_waits: int
    peer_floods: int = Field(description="PEER_FLOOD and other spam restrictions by Telegram.")
    blocked: int = Field(description="Sends refused because the person blocked the sender.")
    failed: int
    opt_outs: int
    spam_replies: int = Field(
        0, description="Replies calling the messages spam or saying they were reported."
    )
    blocked_per_1000: float
    opt_outs_per_1000: float
    spam_replies_per_1000: float = 0.0
    sent_today: int
    daily_cap: int | None = Field(description="Messages a UTC day (user accounts); None: no cap.")
    cooling_down: bool
    cooldown_reason: str | None = None
    cooldown_until: datetime | None = None


class SafetySettingsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    four_eyes: bool = Field(description="Nobody approves content they created or last edited.")
    review_deadline_h: int = Field(description="Hours a review may stay open before it is late.")
    review_threshold: float = Field(
        ge=0.0,
        le=1.0,
        description="The risk score (0-1) from which a campaign goes to review before sending.",
    )
    review_threshold_source: Literal["workspace", "deployment"] = Field(
        description="Set here, or the deployment's MA_REVIEW_RISK_THRESHOLD."
    )
    privacy_policy: str = Field(description="What the bots answer to /privacy.")
    opt_out: Literal["add", "block", "off"] = Field(
        description="A bot's marketing message without a way out, at send time: add the "
        "opt-out line, block the message, or leave it (as set here, else the deployment's)."
    )
    link_allowlist: list[str] = Field(
        description="Domains links may point to; empty allows any (as set here, else the "
        "deployment's)."
    )
    content_rules_source: Literal["workspace", "deployment"] = Field(
        description="Whether the opt-out and link rules were set here or come from the "
        "deployment's settings (MA_SAFETY_OPT_OUT, MA_SAFETY_LINK_ALLOWLIST)."
    )
    updated_by: str
    updated_at: datetime | None


_DOMAIN = r"^([a-z0-9](-*[a-z0-9])*\.)+[a-z]{2,63}$"


class SafetySettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    four_eyes: StrictBool | None = None
    review_deadline_h: int | None = Field(None, ge=1, le=24 * 30)
    review_threshold: float | None = Field(
        None,
        ge=0.05,
        le=1.0,
        allow_inf_nan=False,
        description="The risk score (0.05-1) from which a campaign goes to review.",
    )
    privacy_policy: str | None = Field(None, max_length=4000)
    opt_out: Literal["add", "block", "off"] | None = None
    link_allowlist: (
        list[Annotated[str, Field(min_length=3, max_length=253, pattern=_DOMAIN)]] | None
    ) = Field(None, max_length=200, description="Lower-case domains, e.g. shop.example.com.")

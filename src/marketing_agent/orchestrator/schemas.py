"""Pydantic schemas of the orchestrator."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    UrlConstraints,
    computed_field,
    field_validator,
    model_validator,
)

from marketing_agent.compliance import service as compliance
from marketing_agent.core.validation import (
    MAX_VARIANTS,
    DbId,
    TelegramChatId,
    check_plausible_time,
    check_zone_name,
    parse_clock_time,
)
from marketing_agent.experiments import service as experiments
from marketing_agent.orchestrator import recurrence, rendering
from marketing_agent.orchestrator.queue import DeliveryStatus as DeliveryStatus
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.telegram import service as telegram


def is_ai_generated(provider: str) -> bool:
    """Whether a campaign's texts were written by an LLM (not by a person or fixed templates)."""
    return provider not in ("manual", "offline")


class RedriveRequest(BaseModel):
    """Which of a campaign's parked deliveries to queue again."""

    dead: StrictBool = Field(True, description="Queue the dead-lettered deliveries again.")
    in_doubt: StrictBool = Field(
        False,
        description="Queue the in-doubt deliveries again: through the Bot API a recipient may "
        "then get the message twice.",
    )


class RedriveResult(BaseModel):
    campaign_id: int
    requeued: int
    dead: int
    in_doubt: int


# Contacts ------------------------------------------------------------------------------------


class ContactBase(BaseModel):
    telegram_id: TelegramChatId = Field(
        description="The chat id: a person's Telegram user id (private chat), or a group's "
        "negative id (sent under the group limits).",
    )
    username: str | None = Field(None, max_length=64)
    first_name: str | None = Field(None, max_length=128)
    language: str | None = Field(None, max_length=16)
    timezone: str | None = Field(None, max_length=64)
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("telegram_id")
    @classmethod
    def real_chat(cls, value: int) -> int:
        if value == 0:
            raise ValueError("0 is not a Telegram chat id")
        return value

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone_name(value)


class ContactCreate(ContactBase):
    pass


class ContactUpdate(BaseModel):
    """Changes to a contact's profile; the Telegram id and consent are not edited here."""

    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(None, max_length=64)
    first_name: str | None = Field(None, max_length=128)
    language: str | None = Field(None, max_length=16)
    timezone: str | None = Field(None, max_length=64)
    tags: list[str] | None = Field(None, max_length=100)
    attributes: dict[str, Any] | None = None

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone_name(value)

    @field_validator("tags")
    @classmethod
    def clean_tags(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        tags = list(dict.fromkeys(t.strip() for t in value if t.strip()))
        if any(len(t) > 64 for t in tags):
            raise ValueError("a tag is at most 64 characters")
        return tags


ConsentState = Literal["granted", "withdrawn", "none"]


class ContactRead(ContactBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    telegram_id: int | str = Field(  # type: ignore[assignment]  # masked: a string
        description='The chat id; masked ("7•••1") for roles without personal_data:read.'
    )
    created_at: datetime
    consent: ConsentState | None = Field(
        None,
        description="Marketing consent now: granted (to some sender), withdrawn, or none "
        "recorded. Filled in lists and on the contact's page.",
    )
    masked: bool = Field(
        False,
        description="True when the caller's role lacks personal_data:read: username, first "
        "name and the personal data in attributes are masked.",
    )


class ImportColumn(BaseModel):
    name: str
    maps_to: str = Field(description="The contact field, consent_at/consent_proof, or attribute.")


class ImportPreview(BaseModel):
    """What an import would do, without writing anything."""

    columns: list[ImportColumn]
    sample: list[dict[str, str]] = Field(description="The first rows as read from the file.")
    rows: int
    valid_rows: int
    errors: list[dict[str, Any]] = Field(description="Every problem, with its row and column.")


class ImportResult(BaseModel):
    import_batch_id: int | None = Field(
        None, description="The evidence kept of this upload (GET /compliance/import-batches/{id})."
    )
    created: int
    updated: int
    consents_recorded: int
    skipped_rows: int = Field(0, description="Invalid rows left out (valid_only imports).")
    suppressed: int = Field(0, description="Rows of erased people, not imported.")
    suppressed_rows: list[int] = Field(
        default_factory=list, description="Their line numbers in the file (the header is 1)."
    )


# Segments ------------------------------------------------------------------------------------


# The analytics event types a segment may ask about (tests/orchestrator/test_segment_rules.py
# checks they are analytics' EventType). "read" is only ever seen by user-account senders.
SegmentEventType = Literal[
    "sent", "delivered", "read", "clicked", "replied", "converted", "unsubscribed", "failed"
]
AttributeKey = Annotated[str, StringConstraints(pattern=r'^[^"\\$]{1,64}$')]
ScalarValue = (
    StrictBool
    | Annotated[int, Field(ge=-(2**53), le=2**53)]  # exact as a float, storable as SQL INTEGER
    | Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]
    | Annotated[str, StringConstraints(max_length=256)]
)
WithinDays = Annotated[int, Field(ge=1, le=3650, description="Only the last N days.")]


class PropertyCondition(BaseModel):
    """A column of the contact: language, time zone, username or first name."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["property"]
    field: Literal["language", "timezone", "username", "first_name"]
    op: Literal["eq", "ne", "in", "not_in", "is_set", "is_not_set"]
    value: (
        Annotated[str, StringConstraints(max_length=128)]
        | Annotated[list[Annotated[str, StringConstraints(max_length=128)]], Field(max_length=100)]
        | None
    ) = None


class TagCondition(BaseModel):
    """Has (or has not) a tag."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["tag"]
    op: Literal["has", "has_not"] = "has"
    tag: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AttributeCondition(BaseModel):
    """Compares one imported attribute: numbers as numbers, text as text."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["attribute"]
    key: AttributeKey
    op: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "is_set", "is_not_set"]
    value: ScalarValue | Annotated[list[ScalarValue], Field(max_length=100)] | None = None


class ConsentCondition(BaseModel):
    """Marketing consent now (see ContactRead.consent)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["consent"]
    state: Literal["granted", "withdrawn", "none"]


class EventCondition(BaseModel):
    """Did (or did not) an event at least `min_count` times, within the last days or ever."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["event"]
    event: SegmentEventType
    did: bool = True
    min_count: int = Field(1, ge=1, le=1_000_000)
    within_days: WithinDays | None = None
    campaign_id: DbId | None = Field(None, description="Only this campaign's events.")


class RfmCondition(BaseModel):
    """Recency (days since the last conversion), frequency (conversions) or monetary value
    (their revenue in USD), compared with a number; frequency and monetary within the last
    days or ever. People who never converted have frequency 0 and monetary 0, and no recency."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["rfm"]
    measure: Literal["recency_days", "frequency", "monetary_usd"]
    op: Literal["gt", "gte", "lt", "lte"]
    value: float = Field(ge=0, le=1e12, allow_inf_nan=False)
    within_days: WithinDays | None = None


SegmentCondition = Annotated[
    PropertyCondition
    | TagCondition
    | AttributeCondition
    | ConsentCondition
    | EventCondition
    | RfmCondition,
    Field(discriminator="kind"),
]


class SegmentFilter(BaseModel):
    """Who is in a segment: every field set here must hold (AND), and of `conditions` all of
    them or any one of them (`match`). Evaluated in SQL whenever it is asked (a campaign's
    audience at its launch), so a segment follows its contacts' data and behaviour."""

    model_config = ConfigDict(extra="forbid")

    tags_any: list[str] = Field(default_factory=list, description="Has at least one of these.")
    tags_all: list[str] = Field(default_factory=list, description="Has every one of these.")
    attributes: dict[str, Any] = Field(default_factory=dict, description="Equals each value.")
    languages: list[str] = Field(default_factory=list)
    timezones: list[str] = Field(default_factory=list, description="IANA zones, any of them.")
    consent: Literal["any", "granted", "withdrawn", "none"] = Field(
        "any", description="Marketing consent now (see ContactRead.consent)."
    )
    match: Literal["all", "any"] = Field("all", description="How `conditions` combine.")
    conditions: list[SegmentCondition] = Field(default_factory=list, max_length=50)


class SegmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    filter: SegmentFilter = Field(default_factory=SegmentFilter)


class SegmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=128)
    filter: SegmentFilter | None = None


class SegmentPreview(BaseModel):
    size: int
    sample: list[ContactRead]


class SegmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    filter: SegmentFilter
    size: int | None = Field(
        None, description="Contacts in the segment when last counted; null before the first count."
    )
    size_counted_at: datetime | None = Field(
        None, description="When `size` was counted (on save, on demand, or by the scheduler)."
    )
    created_at: datetime


# Campaigns -----------------------------------------------------------------------------------


LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]  # primary subtag
TranslationText = Annotated[
    str, StringConstraints(min_length=1, max_length=telegram.TEXT_MAX_UTF16)
]


CAPTION_MAX_UTF16 = telegram.CAPTION_MAX_UTF16
HttpLink = Annotated[AnyHttpUrl, UrlConstraints(max_length=2048, allowed_schemes=["http", "https"])]


class ButtonIn(BaseModel):
    """An inline button under the message that opens a link."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=64, description="The label, sent as written.")
    url: HttpLink


class ButtonRead(BaseModel):
    text: str
    url: str


class VariantIn(BaseModel):
    text: str = Field(
        min_length=1,
        max_length=telegram.TEXT_MAX_UTF16,
        description="The message; {first_name} and {username} are filled per contact.",
    )
    weight: float = Field(1.0, gt=0, le=1_000_000, allow_inf_nan=False)
    translations: dict[LanguageCode, TranslationText] | None = Field(
        None,
        max_length=20,
        description="The same message in other languages, by primary language subtag ('fr'); "
        "each is checked like the text. On an edit, omitted: kept when the text is unchanged, "
        "removed when it changed (a translation of the old text would be sent).",
    )
    image_url: HttpLink | None = Field(
        None,
        description="A photo Telegram fetches from this URL; the text becomes its caption "
        f"(at most {telegram.CAPTION_MAX_UTF16} UTF-16 units, translations too).",
    )
    buttons: list[ButtonIn] = Field(
        default_factory=list, max_length=8, description="Link buttons, one a row, in order."
    )

    @field_validator("text")
    @classmethod
    def known_placeholders(cls, value: str) -> str:
        return rendering.check_template(value)

    @field_validator("translations")
    @classmethod
    def translated_placeholders(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        return {lang: rendering.check_template(text) for lang, text in value.items()}

    @model_validator(mode="after")
    def caption_fits(self) -> VariantIn:
        """With an image the text is a caption, which Telegram cuts at CAPTION_MAX_UTF16 units."""
        if self.image_url is None:
            return self
        for language, text in [(None, self.text), *(self.translations or {}).items()]:
            units = telegram.telegram_text_length(text)
            if units > CAPTION_MAX_UTF16:
                where = f"the {language} translation" if language else "the text"
                raise ValueError(
                    f"with an image, {where} is a caption: at most {CAPTION_MAX_UTF16} "
                    f"characters (UTF-16 units), this one has {units}"
                )
        return self


class VariantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    text: str
    weight: float
    rationale: str | None = None
    translations: dict[str, str] = Field(
        default_factory=dict,
        description="The same variant in other languages, by language (e.g. 'fr'): a contact "
        "whose language is listed receives that text, everyone else `text`.",
    )
    image_url: str | None = None
    buttons: list[ButtonRead] = Field(default_factory=list)


class RiskReason(BaseModel):
    code: str
    message: str
    severity: str
    variant_key: str | None = Field(None, description="The variant whose text it was found in.")
    language: str | None = Field(None, description="The translation's language; None: main text.")
    span: list[int] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="[start, end) in that text as checked (ReviewText.text), if located.",
    )


class ReviewText(BaseModel):
    """A text of the campaign exactly as the safety guard checked it (placeholders filled with
    a sample), for the reviewer to read with the flagged spans highlighted."""

    variant_key: str
    language: str | None = None
    text: str


class DailyWindowIn(BaseModel):
    """A daily span of the contact's local wall-clock time; it may cross midnight."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(description="HH:MM, 24-hour, included.", examples=["09:00"])
    end: str = Field(description="HH:MM, 24-hour, excluded; before start = next day.")

    @model_validator(mode="before")
    @classmethod
    def from_text(cls, value: Any) -> Any:
        """Accepts "HH:MM-HH:MM" as well as {"start": ..., "end": ...}."""
        if isinstance(value, str):
            start, sep, end = value.partition("-")
            if not sep:
                raise ValueError(f"'{value}' is not a window as HH:MM-HH:MM or {{start, end}}")
            return {"start": start.strip(), "end": end.strip()}
        return value

    @field_validator("start", "end")
    @classmethod
    def clock_time(cls, value: str) -> str:
        return f"{parse_clock_time(value):%H:%M}"

    @model_validator(mode="after")
    def not_empty(self) -> DailyWindowIn:
        if self.start == self.end:
            raise ValueError("start and end must differ (a window of no time, or of all day)")
        return self

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


class BriefWordsIn(BaseModel):
    """The brief's product, offer and call to action in one more language."""

    model_config = ConfigDict(extra="forbid")

    product: str | None = Field(None, max_length=200)
    offer: str | None = Field(None, max_length=200)
    call_to_action: str | None = Field(None, max_length=80)


class BriefIn(BaseModel):
    """The strategist's brief, field by field (all optional; say at least what it is about)."""

    product: str | None = Field(None, max_length=200, description="e.g. 'Winter boots'.")
    offer: str | None = Field(None, max_length=200, description="e.g. '20% off'.")
    deadline: date | None = Field(None, description="The offer's last day, if it ends.")
    call_to_action: str | None = Field(
        None, max_length=80, description="The link's lead, e.g. 'Shop the boots'."
    )
    audience_description: str | None = Field(None, max_length=2000)
    tone: Literal["friendly", "playful", "formal", "professional", "enthusiastic"] = "friendly"
    language: str = Field(
        "en",
        min_length=2,
        max_length=16,
        description="The language this brief's words are written in; the main one when "
        "`languages` is empty.",
    )
    languages: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Every language to write in, the main one first; empty: `language` plus "
        "the audience's.",
    )
    translations: dict[str, BriefWordsIn] = Field(
        default_factory=dict,
        max_length=10,
        description="The product, offer and call to action in other languages, by language "
        "('ru': {'product': 'Зимние ботинки'}); the offline strategist cannot translate them.",
    )


class StoredBrief(BriefIn):
    """The brief a campaign was planned from, as the marketer gave it."""

    goal: str = Field("", description="The brief's free text, as typed (may be empty).")
    variant_count: int = Field(2, ge=1, le=MAX_VARIANTS)


class CampaignCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    goal: str = Field(
        "",
        max_length=2000,
        description="The brief in free text; optional when `brief` names the product or offer "
        "or `variants` are given.",
    )
    brief: BriefIn | None = Field(None, description="The brief, field by field.")
    sender_id: DbId | None = Field(None, description="Defaults to the first active sender.")
    segment_id: DbId | None = Field(None, description="None means every contact.")
    purpose: str = Field("marketing", min_length=1, max_length=64)
    variant_count: int = Field(2, ge=1, le=MAX_VARIANTS)
    variants: list[VariantIn] | None = Field(
        None,
        max_length=MAX_VARIANTS,
        description="Your own texts; when given the strategist is skipped.",
    )
    written_by_ai: Literal["anthropic", "openai"] | None = Field(
        None,
        description="The LLM provider that wrote `variants` (a draft the strategist's chat "
        "proposed and a person confirmed): the campaign is marked AI-generated.",
    )
    cta_url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2048)] | None = None
    start_at: datetime | None = Field(None, description="Start time; None starts on approval.")
    send_window: DailyWindowIn | None = Field(
        None,
        description="When contacts may be reached, in each one's local time, e.g. "
        '{"start": "09:00", "end": "20:00"}; None means any time of day.',
    )
    quiet_hours: DailyWindowIn | None = Field(
        None,
        description="Local hours when nothing is sent. Omit it for MA_QUIET_HOURS; "
        "null turns quiet hours off for this campaign.",
    )
    timezone: str | None = Field(
        None,
        max_length=64,
        description="IANA zone for contacts without one; defaults to MA_DEFAULT_TIMEZONE. "
        "A recurring campaign's cron runs in it too.",
    )
    recurrence: str | None = Field(
        None,
        max_length=128,
        description="Cron (minute hour day month weekday) of a recurring campaign, e.g. "
        "'0 9 * * MON': each run becomes a campaign of its own.",
    )
    recurrence_until: datetime | None = Field(None, description="No run after this moment.")
    recurrence_max_runs: int | None = Field(None, ge=1, le=10_000, description="Runs at most.")

    @field_validator("start_at", "recurrence_until")
    @classmethod
    def aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-12-01T09:00:00Z")
        return None if value is None else check_plausible_time(value)

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone_name(value)

    @field_validator("recurrence")
    @classmethod
    def cron(cls, value: str | None) -> str | None:
        return None if value is None else recurrence.check_cron(value)

    @field_validator("goal")
    @classmethod
    def goal_says_something(cls, value: str) -> str:
        if value.strip() and len(value.strip()) < 3:
            raise ValueError("a goal needs at least 3 characters (or leave it empty)")
        return value

    @model_validator(mode="after")
    def says_what_to_send(self) -> CampaignCreate:
        named = self.brief is not None and bool(self.brief.product or self.brief.offer)
        if not (self.variants or named or len(self.goal.strip()) >= 3):
            raise ValueError(
                "say what the campaign is about: the brief's product or offer, a goal of at "
                "least 3 characters, or your own variants"
            )
        return self


class DeliveryCounts(BaseModel):
    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    dead: int = 0
    in_doubt: int = 0
    skipped_reasons: dict[str, int] = Field(
        default_factory=dict, description="Why deliveries were skipped, e.g. frequency_cap."
    )
    waiting_reasons: dict[str, int] = Field(
        default_factory=dict,
        description="Why queued deliveries wait, e.g. send_window or quiet_hours.",
    )


class DailyWindowRead(BaseModel):
    start: str
    end: str

    @model_validator(mode="before")
    @classmethod
    def from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            start, _, end = value.partition("-")
            return {"start": start, "end": end}
        return value


class CampaignRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    goal: str
    status: CampaignStatus
    sender_id: int
    segment_id: int | None
    purpose: str
    cta_url: str | None
    risk_score: float
    risk_reasons: list[RiskReason]
    strategy: str | None
    agent_notes: list[str] = Field(
        default_factory=list,
        description="What the strategist said about its variants: a rewrite, a word it could "
        "not translate, a language it has no templates for.",
    )
    brief: StoredBrief | None = Field(
        None,
        description="The brief the strategist planned from (its free text and fields); null "
        "for hand-written variants. A clone can be re-planned from it (`replan=true`).",
    )
    agent_provider: str
    agent_offline: bool
    start_at: datetime | None
    send_window: DailyWindowRead | None = None
    quiet_hours: DailyWindowRead | None = None
    timezone: str | None = None
    recurrence: str | None = None
    recurrence_until: datetime | None = None
    recurrence_max_runs: int | None = None
    next_run_at: datetime | None = Field(None, description="A recurring campaign's next run.")
    runs: int = Field(0, description="Runs a recurring campaign has made so far.")
    parent_campaign_id: int | None = Field(None, description="The recurring campaign of a run.")
    occurrence: int | None = Field(None, description="Which run of its recurring campaign.")
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    variants: list[VariantRead]
    delivery_counts: DeliveryCounts = Field(default_factory=DeliveryCounts)
    archived_at: datetime | None = Field(None, description="Hidden from the default list.")

    @field_validator("agent_notes", mode="before")
    @classmethod
    def _no_notes(cls, value: Any) -> Any:
        return [] if value is None else value

    @computed_field(  # type: ignore[prop-decorator]
        description="Whether an LLM wrote the texts (EU AI Act art. 50 transparency); false for "
        "your own texts and the offline templates."
    )
    @property
    def ai_generated(self) -> bool:
        return is_ai_generated(self.agent_provider)

    @computed_field(  # type: ignore[prop-decorator]
        description="Deliveries an operator must look at: in_doubt (maybe sent) or dead."
    )
    @property
    def needs_attention(self) -> bool:
        return self.attention_reason is not None

    @computed_field(description="Why the campaign needs attention, in words.")  # type: ignore[prop-decorator]
    @property
    def attention_reason(self) -> str | None:
        counts, reasons = self.delivery_counts, []
        if counts.in_doubt:
            reasons.append(
                f"{counts.in_doubt} deliveries in doubt: a worker died during their send, so "
                "they may or may not have arrived; re-drive them to resend"
            )
        if counts.dead:
            reasons.append(f"{counts.dead} deliveries dead-lettered after repeated failures")
        return "; ".join(reasons) or None


class CampaignUpdate(BaseModel):
    """Changes to a draft (or a campaign waiting for review); changed texts are scored again."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    goal: str | None = Field(None, min_length=3, max_length=2000)
    segment_id: DbId | None = None
    sender_id: DbId | None = None
    cta_url: AnyHttpUrl | None = None
    variants: list[VariantIn] | None = Field(None, min_length=1, max_length=MAX_VARIANTS)
    start_at: datetime | None = None
    send_window: DailyWindowIn | None = None
    quiet_hours: DailyWindowIn | None = None
    timezone: str | None = Field(None, max_length=64)

    @field_validator("start_at")
    @classmethod
    def aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-12-01T09:00:00Z")
        return value

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone_name(value)

    @field_validator("name", "goal", "sender_id", "variants", mode="before")
    @classmethod
    def not_cleared(cls, value: Any) -> Any:
        """Omitted, these stay as they are; a campaign cannot be without them (null: a 422)."""
        if value is None:
            raise ValueError("cannot be cleared; leave it out to keep it")
        return value


class LaunchPreview(BaseModel):
    """Who a campaign would reach if it were sent now, and how long it would take."""

    audience: int = Field(description="Contacts in the segment (or all contacts).")
    without_consent: int = Field(description="No marketing consent in force for the sender.")
    capped: int = Field(description="Over the frequency cap now.")
    will_receive: int
    never_started_bot: int = Field(
        0,
        description="Of those receiving: never started the sender's bot, so Telegram refuses "
        "the message (chat not found); 0 for a user account.",
    )
    held_by_quiet_hours: int = Field(description="Of those receiving: wait for their window.")
    rate_per_s: float = Field(description="The sender's bulk rate limit.")
    expected_duration_s: float
    starts_at: datetime = Field(description="When the first message may go.")
    timezone: str
    base_rate: experiments.BaseRateRead = Field(
        description="The rate a test of the variants is planned on: the earlier campaigns' to "
        "this audience, else the workspace's, else an assumed 3%; with its source."
    )


class SenderDay(BaseModel):
    sender_id: int
    name: str
    status: str
    status_reason: str | None
    sent_today: int
    rate_per_s: float
    daily_capacity: int = Field(description="Messages the rate limit allows in 24 hours.")


class Overview(BaseModel):
    """The home dashboard: what is in flight, what finished, and the senders' day."""

    in_flight: list[CampaignRead]
    recent: list[CampaignRead]
    senders: list[SenderDay]
    open_reviews: int
    opt_outs_today: int
    opt_outs_7d: int
    contacts: int
    consented: int


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    contact_id: int
    variant_key: str
    status: DeliveryStatus
    reason: str | None
    attempts: int
    sent_at: datetime | None
    updated_at: datetime | None = None
    contact_first_name: str | None = Field(
        None,
        description="The contact's first name, masked for a role without personal_data:read "
        "(a campaign's deliveries only).",
    )
    contact_username: str | None = Field(
        None, description="The contact's Telegram username, masked likewise."
    )


class ContactDetail(ContactRead):
    consents: list[compliance.ConsentRead] = Field(
        description="Every consent decision, oldest first."
    )
    deliveries: list[DeliveryRead] = Field(description="The latest 100 messages, newest first.")


# Reviews -------------------------------------------------------------------------------------


class ReviewStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"  # back to draft for its author, with the note


class ReviewDecision(BaseModel):
    note: str | None = Field(None, max_length=2000)


class ReviewItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    campaign_name: str = ""
    reason: str
    risk_score: float
    risk_reasons: list[RiskReason]
    texts: list[ReviewText] = Field(
        default_factory=list, description="The campaign's texts as checked; spans point into them."
    )
    status: ReviewStatus
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    assignee: str | None = Field(None, description="Who is asked to decide (orchestrator/reviews).")
    assigned_by: str | None = None
    due_at: datetime | None = Field(None, description="The decision is due by then.")
    overdue_at: datetime | None = Field(
        None, description="When the deadline passed and the campaign's creator was told."
    )


class ReviewAssignment(BaseModel):
    assignee: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"[^\s\x1c-\x1f]",
        description="The reviewer's username.",
    )
    due_at: datetime | None = Field(
        None, description="Due by then; the workspace's review deadline from now when left out."
    )

    @field_validator("assignee")
    @classmethod
    def _assignee_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the assignee must contain something besides spaces")
        return value.strip()


class ChangesRequest(BaseModel):
    note: str = Field(
        min_length=1,
        max_length=2000,
        pattern=r"[^\s\x1c-\x1f]",
        description="What the author should change.",
    )

    @field_validator("note")
    @classmethod
    def _note_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say what should change")
        return value.strip()

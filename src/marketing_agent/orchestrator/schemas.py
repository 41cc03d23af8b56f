"""Pydantic schemas of the orchestrator."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator, model_validator

from marketing_agent.orchestrator import scheduling
from marketing_agent.orchestrator.state_machine import CampaignStatus


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker: an attempt may have started
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it for good (blocked, deactivated, too long, ...)
    SKIPPED = "skipped"  # never sent: no consent, content blocked, campaign cancelled, ...
    DEAD = "dead"  # dead-lettered: transient failures until attempts ran out; re-drivable
    IN_DOUBT = "in_doubt"  # a worker died mid-send on a transport without idempotency


class RedriveRequest(BaseModel):
    """Which of a campaign's parked deliveries to queue again."""

    dead: bool = Field(True, description="Queue the dead-lettered deliveries again.")
    in_doubt: bool = Field(
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
    telegram_id: int = Field(
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
        if value is None:
            return value
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}'") from exc
        return value


class ContactCreate(ContactBase):
    pass


class ContactRead(ContactBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime


class ImportResult(BaseModel):
    created: int
    updated: int
    consents_recorded: int
    suppressed: int = Field(0, description="Rows of erased people, not imported.")
    suppressed_rows: list[int] = Field(
        default_factory=list, description="Their line numbers in the file (the header is 1)."
    )


# Segments ------------------------------------------------------------------------------------


class SegmentFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags_any: list[str] = Field(default_factory=list, description="Has at least one of these.")
    tags_all: list[str] = Field(default_factory=list, description="Has every one of these.")
    attributes: dict[str, Any] = Field(default_factory=dict, description="Equals each value.")
    languages: list[str] = Field(default_factory=list)


class SegmentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    filter: SegmentFilter = Field(default_factory=SegmentFilter)


class SegmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    filter: SegmentFilter
    size: int = 0
    created_at: datetime


# Campaigns -----------------------------------------------------------------------------------


class VariantIn(BaseModel):
    text: str = Field(min_length=1, max_length=4096)
    weight: float = Field(1.0, gt=0)


class VariantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    text: str
    weight: float
    rationale: str | None = None


class RiskReason(BaseModel):
    code: str
    message: str
    severity: str


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
        return f"{scheduling.parse_clock_time(value):%H:%M}"

    @model_validator(mode="after")
    def not_empty(self) -> DailyWindowIn:
        if self.start == self.end:
            raise ValueError("start and end must differ (a window of no time, or of all day)")
        return self

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


class CampaignCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    goal: str = Field(min_length=3, max_length=4000, description="The brief for the strategist.")
    sender_id: int | None = Field(None, gt=0, description="Defaults to the first active sender.")
    segment_id: int | None = Field(None, gt=0, description="None means every contact.")
    purpose: str = Field("marketing", min_length=1, max_length=64)
    variant_count: int = Field(2, ge=1, le=5)
    variants: list[VariantIn] | None = Field(
        None, max_length=5, description="Your own texts; when given the strategist is skipped."
    )
    cta_url: AnyHttpUrl | None = None
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
        return value

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str | None) -> str | None:
        return None if value is None else scheduling.check_zone_name(value)

    @field_validator("recurrence")
    @classmethod
    def cron(cls, value: str | None) -> str | None:
        return None if value is None else scheduling.check_cron(value)


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


# Reviews -------------------------------------------------------------------------------------


class ReviewStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"


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
    status: ReviewStatus
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None

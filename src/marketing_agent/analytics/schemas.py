"""Pydantic schemas of the analytics module: events in and out, campaign stats, funnels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import Select

from marketing_agent.analytics.rates import Rate
from marketing_agent.core.events import EventType as EventType
from marketing_agent.core.validation import DbId, NonNegativeInt64


class EventCreate(BaseModel):
    """An event to record. `occurred_at` defaults to now; revenue belongs to conversions only."""

    type: EventType
    campaign_id: DbId | None = Field(None, validate_default=True)
    variant_key: str | None = Field(None, min_length=1, max_length=16)
    contact_id: DbId | None = None
    sender_id: DbId | None = None
    occurred_at: AwareDatetime | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    value_usd_micros: NonNegativeInt64 | None = Field(None, description="Revenue of a conversion.")

    @field_validator("campaign_id")
    @classmethod
    def _conversion_needs_campaign(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and info.data.get("type") == EventType.CONVERTED:
            raise ValueError("a conversion must name the campaign it is attributed to")
        return value

    @field_validator("value_usd_micros")
    @classmethod
    def _revenue_only_on_conversions(cls, value: int | None, info: ValidationInfo) -> int | None:
        event_type = info.data.get("type")
        if value is not None and event_type is not None and event_type != EventType.CONVERTED:
            raise ValueError("revenue can only be recorded on a conversion")
        return value


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: EventType
    campaign_id: int | None
    variant_key: str | None
    contact_id: int | None
    sender_id: int | None
    occurred_at: AwareDatetime
    properties: dict[str, Any]
    value_usd_micros: int | None


class VariantStats(BaseModel):
    """Distinct contacts with each event type in one variant (None: events without a variant).

    A count is None where the campaign's sender cannot observe that signal (a bot sees no
    reads): not a measured zero.
    """

    variant_key: str | None
    sent: int = 0
    delivered: int = 0
    read: int | None = 0
    clicked: int | None = 0
    replied: int = 0
    converted: int = 0
    unsubscribed: int = 0
    failed: int = 0
    revenue_usd_micros: int = 0


class SenderKind(StrEnum):
    """Who sends a campaign, as far as what Telegram lets it observe."""

    BOT = "bot"
    USER = "user"


class CampaignSource(BaseModel):
    """What analytics needs to know of a campaign: who sends it (given by the orchestrator)."""

    model_config = ConfigDict(frozen=True)

    campaign_id: int
    sender_kind: SenderKind
    finished: bool = Field(False, description="Its sending has ended (completed or cancelled).")
    paid_broadcast: bool = Field(False, description="Sent at paid-broadcast rates (Stars).")


class CampaignStats(BaseModel):
    campaign_id: int
    sender_kind: SenderKind | None = Field(
        None, description="bot or user account; None when not known to analytics."
    )
    observable: dict[str, bool] = Field(
        default_factory=dict,
        description="Per signal, whether the campaign's sender can observe it at all; the "
        "counts of unobservable signals are null, never a measured 0.",
    )
    unobservable_reasons: dict[str, str] = Field(
        default_factory=dict, description="Per unobservable signal, why, in a sentence."
    )
    variants: list[VariantStats]
    totals: VariantStats = Field(description='Every variant together, keyed "all".')
    last_event_at: datetime | None = Field(
        None,
        description="When the campaign's latest event happened (a send or its outcome, a "
        "reaction, a conversion); None before the first. Its results may still change while "
        "events arrive: the admin UI refreshes them until a day after this (or after completion).",
    )


class FunnelStep(BaseModel):
    name: EventType
    count: int
    conversion_from_previous: float = Field(description="1.0 for the first step.")
    conversion_from_start: float
    rate_from_previous: Rate | None = Field(
        None,
        description="The step's people per person of the previous step, with its 95 % "
        "Wilson interval; None for the first step.",
    )


class TimeBucket(BaseModel):
    label: str
    people: int


class TimeToConvert(BaseModel):
    """Seconds from a person's entry (earliest step-1 event) to their last step."""

    people: int = Field(description="People who reached the last step.")
    median_s: float | None = None
    p25_s: float | None = None
    p75_s: float | None = None
    p90_s: float | None = None
    buckets: list[TimeBucket]


class Funnel(BaseModel):
    campaign_id: int
    variant_key: str | None = Field(None, description="Only this variant's events; None: all.")
    sender_id: int | None = Field(None, description="Only the people this sender reached.")
    segment_id: int | None = Field(
        None, description="Only the people in this segment now (its rules evaluated at request)."
    )
    window_days: float | None = Field(
        None,
        description="Conversion window: every step within this many days of the person's "
        "entry (earliest step-1 event); None: no window.",
    )
    steps: list[FunnelStep]
    time_to_convert: TimeToConvert | None = None


class FunnelBreakdown(BaseModel):
    """The same funnel for every variant, and for all of them together."""

    overall: Funnel
    variants: list[Funnel]


class FunnelSenderBreakdown(BaseModel):
    """The same funnel for the people each sender reached, and for everyone."""

    overall: Funnel
    senders: list[Funnel]


class FunnelSegmentBreakdown(BaseModel):
    """The same funnel for the people in each segment now, and for everyone."""

    overall: Funnel
    segments: list[Funnel]


@dataclass(frozen=True)
class SegmentPeople:
    """The contacts of a segment, as SQL selecting `contact_id` (from the orchestrator's
    service): a funnel counts only them."""

    segment_id: int
    contact_ids: Select[Any]


class TimeseriesPoint(BaseModel):
    """Events in one bucket that starts at `start` (UTC); None: the sender cannot observe it."""

    start: datetime
    delivered: int = 0
    read: int | None = 0
    clicked: int | None = 0
    replied: int = 0
    converted: int = 0
    unsubscribed: int = 0


class CampaignTimeseries(BaseModel):
    campaign_id: int
    bucket: Literal["hour", "day"]
    points: list[TimeseriesPoint] = Field(description="Buckets with any event, oldest first.")
    unobservable: list[str] = Field(
        default_factory=list, description="Signals the sender cannot see (a bot: read)."
    )


class TimelineEntry(BaseModel):
    """One thing that happened to a contact: an event of a campaign or a consent decision."""

    at: datetime
    type: str = Field(
        description="An event type (sent, delivered, read, clicked, replied, converted, "
        "unsubscribed, failed) or consent_granted / consent_withdrawn."
    )
    campaign_id: int | None = None
    variant_key: str | None = None
    sender_id: int | None = None
    detail: str | None = Field(None, description="e.g. the link clicked, the error, the value.")


class ContactTimeline(BaseModel):
    contact_id: int
    entries: list[TimelineEntry] = Field(description="Newest first.")
    unobservable: dict[str, str] = Field(
        default_factory=dict,
        description="Signals left out because this contact's senders cannot observe them, "
        "with the reason (bots get no read receipts).",
    )

"""Pydantic schemas of the orchestrator."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from marketing_agent.orchestrator.state_machine import CampaignStatus


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


# Contacts ------------------------------------------------------------------------------------


class ContactBase(BaseModel):
    telegram_id: int = Field(gt=0, description="The person's Telegram user id (private chat id).")
    username: str | None = Field(None, max_length=64)
    first_name: str | None = Field(None, max_length=128)
    language: str | None = Field(None, max_length=16)
    timezone: str | None = Field(None, max_length=64)
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)

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

    @field_validator("start_at")
    @classmethod
    def aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("start_at needs a time zone, e.g. 2026-12-01T09:00:00Z")
        return value


class DeliveryCounts(BaseModel):
    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0


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
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    variants: list[VariantRead]
    delivery_counts: DeliveryCounts = Field(default_factory=DeliveryCounts)


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    variant_key: str
    status: DeliveryStatus
    reason: str | None
    attempts: int
    sent_at: datetime | None


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

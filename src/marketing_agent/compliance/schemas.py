"""Pydantic schemas of the compliance module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from marketing_agent.core.validation import DbId


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class ConsentCreate(BaseModel):
    contact_id: DbId
    sender_id: DbId
    purpose: str = Field("marketing", min_length=1, max_length=64)
    status: ConsentStatus = ConsentStatus.GRANTED
    source: str = Field(min_length=1, max_length=64, description="Where the decision was made.")
    proof: dict[str, Any] = Field(
        default_factory=dict, description="What the person saw and did, e.g. the opt-in text."
    )


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    sender_id: int
    purpose: str
    status: ConsentStatus
    source: str
    proof: dict[str, Any]
    recorded_at: datetime


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class AuditVerification(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None

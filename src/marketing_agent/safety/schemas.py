"""Pydantic schemas of the safety module."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class BlacklistTermCreate(BaseModel):
    term: str = Field(min_length=1, max_length=200)
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

"""Pydantic schemas of the telegram module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from marketing_agent.telegram.profiles import PROFILES


class SenderKind(StrEnum):
    BOT = "bot"
    USER = "user"


class TransportKind(StrEnum):
    SIMULATOR = "simulator"
    BOTAPI = "botapi"
    TELETHON = "telethon"


class SenderStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    UNHEALTHY = "unhealthy"


class SenderBase(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    kind: SenderKind = SenderKind.BOT
    transport: TransportKind = TransportKind.SIMULATOR
    profile: str = Field("bot", description=f"One of: {', '.join(PROFILES)}.")


class SenderCreate(SenderBase):
    secret: SecretStr | None = Field(
        None, description="Bot token or session string; stored encrypted, never returned."
    )

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"unknown profile '{value}' (known: {', '.join(PROFILES)})")
        return value

    @model_validator(mode="after")
    def _transport_fits_kind(self) -> SenderCreate:
        # The Bot API authenticates bots only; a user account needs an MTProto client.
        if self.kind is SenderKind.USER and self.transport is TransportKind.BOTAPI:
            raise ValueError("a user account cannot use the botapi transport; use telethon")
        return self


class SenderRead(SenderBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: SenderStatus
    paused_until: datetime | None
    has_secret: bool
    created_at: datetime


class SenderProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    global_per_s: float
    private_per_chat_s: float
    group_per_min: int
    max_text_len: int
    max_caption_len: int

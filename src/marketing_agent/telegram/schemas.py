"""Pydantic schemas of the telegram module."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Literal

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
    status_reason: str | None = Field(
        None, description="Why it is paused or unhealthy (peer_flood, session_revoked, ...)."
    )
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


_API_HASH = re.compile(r"^[0-9a-f]{32}$")
_PHONE_NOISE = re.compile(r"[\s().-]")


class AccountLoginStart(BaseModel):
    """Starts logging a user account in: Telegram sends a code to the account's apps."""

    name: str = Field(min_length=1, max_length=128, description="The new sender's name.")
    api_id: int = Field(gt=0, description="From my.telegram.org, API development tools.")
    api_hash: SecretStr = Field(
        description="From my.telegram.org; stored encrypted, never returned."
    )
    phone: SecretStr = Field(
        description="The account's number in international format (+...); used to log in, "
        "never stored."
    )

    @field_validator("api_hash")
    @classmethod
    def _api_hash_shape(cls, value: SecretStr) -> SecretStr:
        if not _API_HASH.match(value.get_secret_value().strip().lower()):
            raise ValueError("an api_hash is 32 hexadecimal characters (from my.telegram.org)")
        return SecretStr(value.get_secret_value().strip().lower())

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: SecretStr) -> SecretStr:
        digits = _PHONE_NOISE.sub("", value.get_secret_value()).removeprefix("+")
        if not (digits.isdigit() and 6 <= len(digits) <= 15):
            raise ValueError("use the international format: + then 6 to 15 digits")
        return SecretStr("+" + digits)


class AccountLoginCode(BaseModel):
    code: SecretStr = Field(description="The login code Telegram sent to the account's apps.")

    @field_validator("code")
    @classmethod
    def _code_shape(cls, value: SecretStr) -> SecretStr:
        code = _PHONE_NOISE.sub("", value.get_secret_value())
        if not (code.isdigit() and 3 <= len(code) <= 10):
            raise ValueError("the code is the digits Telegram sent")
        return SecretStr(code)


class AccountLoginPassword(BaseModel):
    password: SecretStr = Field(
        min_length=1, description="The account's two-step verification password."
    )


class AccountLoginStep(BaseModel):
    """Where a login stands: the step it expects next, or the sender it created."""

    login_id: str
    next: Literal["code", "password", "done"]
    expires_in_s: float | None = Field(None, description="Until the pending login is dropped.")
    sender: SenderRead | None = None

"""Pydantic schemas of the telegram module."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    field_validator,
    model_validator,
)

from marketing_agent.core.validation import TelegramChatId
from marketing_agent.telegram.profiles import PROFILES, TEXT_MAX_UTF16


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
    bot_api_url: str | None = Field(
        None,
        max_length=512,
        description="Bot API server of this bot (botapi): Telegram's, a self-hosted "
        "telegram-bot-api or the simulator; default MA_TELEGRAM_BOT_API_URL.",
    )
    double_opt_in: StrictBool = Field(
        False,
        description="Consent through the bot is recorded only when the person presses "
        "'Yes, subscribe' under the opt-in text, not on /start alone (botapi).",
    )
    opt_in_text: str | None = Field(
        None,
        min_length=1,
        max_length=1024,
        description="What the person agrees to; shown by the bot and kept as proof "
        "(default: a text naming the sender).",
    )


_BOT_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,128}$")


class SenderCreate(SenderBase):
    secret: SecretStr | None = Field(
        None,
        description="Bot token (from @BotFather) or session string; stored encrypted, "
        "never returned.",
    )

    @field_validator("bot_api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("an http(s) URL, e.g. https://api.telegram.org")
        return value.rstrip("/") if value else value

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
        if self.transport is TransportKind.BOTAPI:
            token = self.secret.get_secret_value() if self.secret is not None else ""
            if not _BOT_TOKEN.match(token):  # never echoed: it is a secret
                raise ValueError("a botapi sender needs its bot token from @BotFather as secret")
        elif self.bot_api_url is not None or self.double_opt_in:
            raise ValueError("bot_api_url and double_opt_in apply to the botapi transport only")
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
    bot_username: str | None = Field(None, description="The bot's @username, from getMe.")
    webhook_url: str | None = Field(
        None, description="Where Telegram posts the bot's updates; None: long polling."
    )
    created_at: datetime

    @field_validator("profile", mode="before")
    @classmethod
    def _profile_name(cls, value: Any) -> Any:
        # A SenderInfo carries its resolved profile; the API shows the profile's name.
        return getattr(value, "name", value)


class SenderTestRequest(BaseModel):
    chat_id: TelegramChatId = Field(
        description="A chat that has started the bot: a person's Telegram id, or a group's "
        "negative id."
    )
    text: str = Field(
        "Test message from Marketing Intelligence Agent.", min_length=1, max_length=TEXT_MAX_UTF16
    )


class SenderTestResult(BaseModel):
    """What Telegram answered to a test message (a refusal is a result, not an error)."""

    ok: bool
    status: str = Field(description="sent, retry_after, retry_backoff, permanent, ...")
    reason: str | None = None
    message_id: int | None = None
    retry_after_s: float | None = None
    bot_username: str | None = None


class WebhookSet(BaseModel):
    public_url: str = Field(
        max_length=400,
        description="Where Telegram reaches this API, e.g. https://marketing.example.com; "
        "updates are posted to <public_url>/api/v1/telegram/webhook/<sender id>.",
    )

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("an http(s) URL; Telegram itself accepts only https")
        return value.rstrip("/")


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
    api_id: int = Field(
        gt=0, le=2**31 - 1, description="From my.telegram.org, API development tools."
    )
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

"""The one interface every transport implements (simulator, Bot API, Telethon).

A transport answers each send with a `SendOutcome` instead of raising, so the delivery worker
decides once, in one place, whether to retry, pause the sender or give up on a recipient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

ChatKind = Literal["private", "group"]


def is_group_chat(chat_id: int) -> bool:
    """Returns whether a Telegram chat id is a group's, a supergroup's or a channel's: Telegram
    gives those negative ids, and people positive ones."""
    return chat_id < 0


def chat_kind_of(chat_id: int) -> ChatKind:
    """Returns the kind of chat an id names (is_group_chat), as the limiter counts it."""
    return "group" if is_group_chat(chat_id) else "private"


# "consent_yes": a person pressed a bot's opt-in button (double opt-in, telegram/consent_bot.py).
InboundKind = Literal[
    "read", "click", "reply", "converted", "stop", "start", "consent_yes", "join_request"
]
MediaKind = Literal["photo", "document"]


class SendStatus(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # FloodWait: pause the whole sender for retry_after_s
    RETRY_BACKOFF = "retry_backoff"  # transient (timeout, 5xx): retry later with backoff
    PERMANENT = "permanent"  # this recipient can never get it (blocked, too_long, ...)
    SENDER_UNHEALTHY = "sender_unhealthy"  # the sender itself is restricted, banned or closed


@dataclass(frozen=True)
class Button:
    """An inline button: a link (`url`) or a callback the bot receives (`callback_data`)."""

    text: str
    url: str | None = None
    callback_data: str | None = None


@dataclass(frozen=True)
class Media:
    """A photo or a document; the message's text is its caption (at most 1024 characters)."""

    kind: MediaKind
    url: str | None = None  # an HTTP URL Telegram fetches, or a file_id it gave earlier
    path: str | None = None  # a file on this machine, uploaded with the message

    def __post_init__(self) -> None:
        if (self.url is None) == (self.path is None):
            raise ValueError("a media item has exactly one of url and path")


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one chat, exactly as it will be sent."""

    chat_id: int
    text: str  # the caption when `media` is set (may then be empty)
    chat_kind: ChatKind = "private"
    parse_mode: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    media: Media | None = None
    random_id: int | None = None  # idempotency key: a resend with the same id delivers nothing
    # Free metadata (campaign_id, variant_key): real transports ignore it, the simulator uses it
    # to pick the simulated recipients' behaviour per variant.
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendOutcome:
    """What happened to one send."""

    status: SendStatus
    message_id: int | None = None
    retry_after_s: float | None = None
    reason: str | None = None
    # When the answer reached the transport (the clock's monotonic time), if it can tell: the
    # limiter bounds the send's arrival by it, not by when the caller resumed (a busy event
    # loop's lag would otherwise count as transit and slow the pace).
    answered_at: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status is SendStatus.SENT


@dataclass(frozen=True)
class InboundEvent:
    """Something a recipient did: read, clicked, replied, converted, stopped or started the bot."""

    kind: InboundKind
    chat_id: int
    occurred_at: datetime
    message_id: int | None = None
    text: str | None = None
    payload: Mapping[str, str] = field(default_factory=dict)
    # Telegram's id of the update that carried it (Bot API); the inbound store is keyed by it.
    update_id: int | None = None


@dataclass(frozen=True)
class JoinRequest:
    """A person's request to join a channel or group the bot administers (an invite link that
    asks for approval): `chat_id` is the chat's (negative), `user_id` the person's."""

    chat_id: int
    user_id: int


class Transport(Protocol):
    async def send(self, message: OutgoingMessage) -> SendOutcome:
        """Sends one message; never raises for a Telegram-side refusal."""
        ...

    async def fetch_updates(self) -> list[InboundEvent]:
        """Returns, and forgets, the inbound events whose time has come."""
        ...

    async def approve_join(self, request: JoinRequest) -> SendOutcome:
        """Lets a person into the chat they asked to join; never raises for Telegram's refusal.
        Telegram lets a bot write to a requester who never started it only until then."""
        ...

    def confirm_updates(self) -> None:
        """Says the events fetched so far are stored: Telegram may forget them (the Bot API's
        next getUpdates offset); until then a restarted process receives them again."""
        ...

    async def close(self) -> None:
        """Releases connections; the transport sends nothing afterwards."""
        ...

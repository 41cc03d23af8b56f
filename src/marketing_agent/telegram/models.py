"""Tables of the telegram module: the senders (bots and user accounts) campaigns go out from, and
the chats each bot has heard from, and the inbound updates people sent them, kept until they
are applied."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core.db import Base, IdMixin, IdType, JsonType, TimestampMixin, UtcDateTime


class Sender(IdMixin, TimestampMixin, Base):
    """A bot or user account we send from; its token or session string is stored encrypted."""

    __tablename__ = "telegram_senders"

    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # bot | user
    transport: Mapped[str] = mapped_column(String(16))  # simulator | botapi | telethon
    profile: Mapped[str] = mapped_column(String(32))  # a key of telegram.profiles.PROFILES
    # A SecretBox token; never returned by the API, never logged.
    secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|paused|unhealthy
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, default=None)
    # Why it is paused or unhealthy (peer_flood, session_revoked, connection_lost, ...).
    status_reason: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    # User accounts (telethon): the app's api_id from my.telegram.org and its api_hash, which is
    # a secret like the session string in secret_encrypted (a SecretBox token, never shown).
    api_id: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    api_hash_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    # Bots (botapi): their Bot API server (None: MA_TELEGRAM_BOT_API_URL), the username getMe
    # gave, the consent conversation's settings, and the webhook when one delivers updates
    # (its secret only as a SHA-256 digest: it is compared, never sent again).
    bot_api_url: Mapped[str | None] = mapped_column(String(512), nullable=True, default=None)
    bot_username: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    double_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opt_in_text: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    webhook_url: Mapped[str | None] = mapped_column(String(512), nullable=True, default=None)
    webhook_secret_sha256: Mapped[str | None] = mapped_column(
        String(64), nullable=True, default=None
    )

    @property
    def has_secret(self) -> bool:
        return self.secret_encrypted is not None


class BotChat(Base):
    """A chat a bot has received an update from (a /start, a message, a button press).

    Telegram lets a bot write only to people who started it and to groups it is in; this is the
    product's record of who did, so it can say before a send who is out of reach."""

    __tablename__ = "telegram_bot_chats"

    sender_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("telegram_senders.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InboundUpdate(IdMixin, Base):
    """One thing a person did (a STOP, a /start, a press, a reply), stored before it is confirmed
    to Telegram and applied afterwards in a transaction of its own (docs/architecture.md, "Crash
    semantics"). `update_id` is Telegram's (None for transports without one): storing the same
    update twice stores it once."""

    __tablename__ = "telegram_inbound_updates"
    __table_args__ = (
        UniqueConstraint("sender_id", "update_id"),
        Index("ix_inbound_pending", "applied_at", "id"),
    )

    sender_id: Mapped[int] = mapped_column(IdType)
    update_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    event: Mapped[dict[str, Any]] = mapped_column(JsonType)  # the InboundEvent, as JSON
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, default=None)
    # Failed applications; after a few the update is set aside (applied_at stays None).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(255), nullable=True, default=None)

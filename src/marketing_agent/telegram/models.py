"""Tables of the telegram module: the senders (bots and user accounts) campaigns go out from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core.db import Base, IdMixin, TimestampMixin, UtcDateTime


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

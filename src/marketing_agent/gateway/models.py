"""Tables of the gateway: users and their API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core.db import Base, IdMixin, TimestampMixin, UtcDateTime


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "gateway_users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped whenever the user's access changes (disabled, re-roled, password set, deleted):
    # tokens carry the version they were issued at and stop working once it moves on.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A one-time password (generated, or set by an admin) must be replaced at the next login.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ApiKey(IdMixin, TimestampMixin, Base):
    """A long-lived credential acting with its owner's role; only its hash is stored."""

    __tablename__ = "gateway_api_keys"

    user_id: Mapped[int] = mapped_column(ForeignKey("gateway_users.id"))
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

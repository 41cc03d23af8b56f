"""Tables of the safety module: the user's own blacklist terms, the phrase lists by category,
the senders' learned rates, their send outcomes and cool-downs, and the workspace's safety
settings (four eyes, review deadline and threshold, privacy policy, the opt-out and link
rules)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core.db import Base, IdMixin, IdType, TimestampMixin, UtcDateTime


class BlacklistTerm(IdMixin, TimestampMixin, Base):
    """A word or phrase the content check flags, with how seriously (info, warn or block)."""

    __tablename__ = "safety_blacklist_terms"

    # Stored normalised (lower case, single spaces), so "Act  NOW" duplicates "act now".
    term: Mapped[str] = mapped_column(String(200), unique=True)
    severity: Mapped[str] = mapped_column(String(8), default="warn")


class PhraseList(IdMixin, TimestampMixin, Base):
    """A named list of phrases of one category ("scam", "profanity", "competitors"); its version
    goes up with every change to it or its phrases, so a verdict can say which rules it used."""

    __tablename__ = "safety_phrase_lists"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500), default="")
    default_severity: Mapped[str] = mapped_column(String(8), default="warn")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ListedPhrase(IdMixin, TimestampMixin, Base):
    """A phrase of a list, with its severity; `key` is its matching form, so spellings that the
    matcher treats alike ("free-money", "FREE money") are one phrase."""

    __tablename__ = "safety_phrases"
    __table_args__ = (UniqueConstraint("list_id", "key"),)

    list_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("safety_phrase_lists.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(400))
    severity: Mapped[str] = mapped_column(String(8), default="warn")


class LearnedSenderRate(Base):
    """The share of its profile's rate a sender keeps after FloodWaits told us we were too fast
    (embedded mode; in scale mode the same figure lives in Redis beside the shared limits)."""

    __tablename__ = "safety_learned_rates"

    sender_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    rate_share: Mapped[float] = mapped_column(Float, default=1.0)
    flood_waits: Mapped[int] = mapped_column(Integer, default=0)
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SenderOutcomeTally(Base):
    """What one sender's sends came back with in one hour: the account-health figures
    (FloodWaits, PEER_FLOOD and other spam restrictions, blocked/403, other refusals)."""

    __tablename__ = "safety_sender_tallies"

    sender_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    hour: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    flood_waits: Mapped[int] = mapped_column(Integer, default=0)
    peer_floods: Mapped[int] = mapped_column(Integer, default=0)  # and other spam restrictions
    blocked: Mapped[int] = mapped_column(Integer, default=0)  # the person blocked us (403)
    failed: Mapped[int] = mapped_column(Integer, default=0)  # any other refusal
    # Replies that call the messages spam or say they were reported ("stop spamming").
    spam_replies: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SenderCooldown(Base):
    """A sender stopped by its health: its campaigns wait until `until` (or a person's resume)."""

    __tablename__ = "safety_sender_cooldowns"

    sender_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    reason: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    until: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the end was audited: a person's resume, or the health job once `until` passed.
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SafetySettings(Base):
    """The workspace's safety settings, one row (id 1), changed in the UI and audited."""

    __tablename__ = "safety_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    four_eyes: Mapped[bool] = mapped_column(Boolean, default=True)
    review_deadline_h: Mapped[int] = mapped_column(Integer, default=48)
    privacy_policy: Mapped[str] = mapped_column(Text, default="")
    # The content rules the admin set here; None: as the deployment's settings say
    # (MA_SAFETY_OPT_OUT, MA_SAFETY_LINK_ALLOWLIST).
    opt_out: Mapped[str | None] = mapped_column(String(8), nullable=True)
    link_allowlist: Mapped[str | None] = mapped_column(Text, nullable=True)  # comma-separated
    # The risk score at which a campaign goes to review; None: MA_REVIEW_RISK_THRESHOLD's.
    review_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(128), default="system")
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

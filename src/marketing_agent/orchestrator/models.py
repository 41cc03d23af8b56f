"""Tables of the orchestrator: contacts, segments, campaigns, variants, deliveries, reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketing_agent.core import clock
from marketing_agent.core.db import Base, IdMixin, IdType, JsonType, TimestampMixin, UtcDateTime


class Contact(IdMixin, TimestampMixin, Base):
    """A person we may reach on Telegram (their private chat id)."""

    __tablename__ = "orchestrator_contacts"

    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class ContactTag(Base):
    """One tag of one contact: `Contact.tags` as rows, so a tag rule seeks an index instead of
    parsing every contact's JSON. Every writer of `tags` rewrites the contact's rows in the same
    transaction (orchestrator/contact_tags.py); an erasure's delete cascades."""

    __tablename__ = "orchestrator_contact_tags"
    __table_args__ = (Index("ix_orchestrator_contact_tags_tag", "tag", "contact_id"),)

    contact_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("orchestrator_contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(Text, primary_key=True)


class Segment(IdMixin, TimestampMixin, Base):
    """A named audience: contacts matching a tag and attribute filter. Its size is counted on
    save, on demand and by the scheduler, and kept with the time it was counted, so a list of
    segments reads numbers instead of evaluating every segment."""

    __tablename__ = "orchestrator_segments"

    name: Mapped[str] = mapped_column(String(128), unique=True)
    filter: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    size_counted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Campaign(IdMixin, TimestampMixin, Base):
    __tablename__ = "orchestrator_campaigns"
    # Two schedulers racing over one template cannot both create its run N.
    __table_args__ = (UniqueConstraint("parent_campaign_id", "occurrence"),)

    name: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), index=True)
    sender_id: Mapped[int] = mapped_column(IdType)
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("orchestrator_segments.id"), nullable=True
    )
    purpose: Mapped[str] = mapped_column(String(64), default="marketing")
    cta_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    risk_score: Mapped[float] = mapped_column(Float, default=0.0)
    risk_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    strategy: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What the strategist told the marketer about its variants (a rewrite, a word it could
    # not translate); None for hand-written variants and campaigns older than the column.
    agent_notes: Mapped[list[str] | None] = mapped_column(JsonType, nullable=True)
    # The brief the strategist planned from (StoredBrief: the free text, the fields, how many
    # variants), to show it and re-plan a clone; None for hand-written variants.
    brief: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    agent_provider: Mapped[str] = mapped_column(String(64), default="manual")
    agent_offline: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(128))
    start_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # When each contact may be reached, in their local time (orchestrator/send_windows.py):
    # "HH:MM-HH:MM" or None (any time of day / no quiet hours); `timezone` is for contacts
    # without one of their own.
    send_window: Mapped[str | None] = mapped_column(String(11), nullable=True)
    quiet_hours: Mapped[str | None] = mapped_column(String(11), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A recurring campaign is a template: each cron run becomes a child campaign of its own.
    recurrence: Mapped[str | None] = mapped_column(String(128), nullable=True)
    recurrence_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    recurrence_max_runs: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    parent_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("orchestrator_campaigns.id"), nullable=True, index=True
    )
    occurrence: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Archived campaigns leave the default list; nothing else about them changes.
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=lambda: clock.now(), onupdate=lambda: clock.now()
    )

    variants: Mapped[list[Variant]] = relationship(
        order_by="Variant.key", lazy="selectin", cascade="all, delete-orphan"
    )


class Variant(IdMixin, Base):
    """One message text of a campaign; `key` is its arm in the campaign's experiment."""

    __tablename__ = "orchestrator_variants"
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("orchestrator_campaigns.id"))
    key: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The same variant in other languages, by primary subtag: {"fr": "...", "de": "..."}.
    translations: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    # A photo sent with the text as its caption, and inline link buttons: [{"text", "url"}].
    image_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JsonType, default=list)


class Delivery(IdMixin, Base):
    """One message to one contact in one campaign: the unique row is the idempotency key."""

    __tablename__ = "orchestrator_deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        # The claim takes a campaign's due rows in id order: the index hands them over in that
        # order (no sort of every queued row), with not_before read from it.
        Index("ix_delivery_claim", "status", "campaign_id", "id", "not_before"),
        Index("ix_delivery_message", "sender_id", "message_id"),
        Index("ix_delivery_lease", "status", "lease_until"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("orchestrator_campaigns.id"))
    contact_id: Mapped[int] = mapped_column(IdType)
    sender_id: Mapped[int] = mapped_column(IdType)
    variant_key: Mapped[str] = mapped_column(String(8))
    # queued → sending → sent | failed | skipped | dead | in_doubt (orchestrator/queue.py)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The worker holding a `sending` row, and until when; an expired lease is recovered.
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Written with the claim, before any send, and reused by every retry: the transport's
    # idempotency key (MTProto random_id; the simulator deduplicates by it).
    random_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Through a transport without an idempotency key (the Bot API): committed just before the
    # row's send request may leave (the attempt journal), cleared by the claim. A lost worker's
    # row with it is in doubt; one without it was never sent and is queued again.
    attempted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ReviewItem(IdMixin, TimestampMixin, Base):
    """A risky step waiting for a human decision."""

    __tablename__ = "orchestrator_review_items"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("orchestrator_campaigns.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    risk_score: Mapped[float] = mapped_column(Float, default=0.0)
    risk_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    status: Mapped[str] = mapped_column(String(32), default="open", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The review process (orchestrator/reviews.py): who should decide, by when, and when the
    # deadline passed and the campaign's creator was told.
    assignee: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    assigned_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

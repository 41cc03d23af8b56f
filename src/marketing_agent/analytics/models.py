"""Tables of the analytics module: one row per thing that happened to a message or a contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core import clock
from marketing_agent.core.db import Base, IdMixin, IdType, JsonType, UtcDateTime


class Event(IdMixin, Base):
    """One event of a campaign's life (sent, read, converted, ...), about one contact or none.

    `anonymous_id` is a random stand-in written by a GDPR erasure in place of `contact_id`, so
    that distinct counts and funnels survive while nothing maps it back to the person.
    """

    __tablename__ = "analytics_events"
    __table_args__ = (
        # A campaign's events by time: its latest (the stats' `last_event_at`) is one seek. It
        # took the place of one by (campaign, type), a prefix of the next index's.
        Index("ix_analytics_events_campaign_time", "campaign_id", "occurred_at"),
        # Covers the stats (distinct people per variant and type) and the funnel's seeks by
        # (campaign, type, contact) then time: both read the index, never the rows.
        Index(
            "ix_analytics_events_campaign_type_contact",
            "campaign_id",
            "type",
            "contact_id",
            "occurred_at",
            "variant_key",
            "anonymous_id",
        ),
        # Segments' behaviour rules (did an event within N days, conversions' recency,
        # frequency and value) seek by type then contact, and read nothing else.
        Index(
            "ix_analytics_events_type_contact_time",
            "type",
            "contact_id",
            "occurred_at",
            "value_usd_micros",
        ),
        # A shop's event is recorded once however often it is sent (idempotency, replays).
        UniqueConstraint("source", "external_id", name="uq_analytics_events_source_external_id"),
    )

    type: Mapped[str] = mapped_column(String(16))
    # No index of its own: the (campaign, time) and (campaign, type, ...) indexes begin with it.
    campaign_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    variant_key: Mapped[str | None] = mapped_column(String(16), nullable=True)
    contact_id: Mapped[int | None] = mapped_column(IdType, nullable=True, index=True)
    sender_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(
        UtcDateTime, index=True, default=lambda: clock.now()
    )
    properties: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    value_usd_micros: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    anonymous_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Where an external event came from (a shop's webhook source) and its id there.
    source: Mapped[str | None] = mapped_column(String(64), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class Cost(IdMixin, Base):
    """A cost the user entered for a campaign (or one of its variants), for its ROI.

    LLM tokens and paid-broadcast Stars are not stored here: they are computed from what the
    agent recorded and from the campaign's sends.
    """

    __tablename__ = "analytics_costs"

    campaign_id: Mapped[int] = mapped_column(IdType, index=True)
    variant_key: Mapped[str | None] = mapped_column(String(16), nullable=True)
    amount_usd_micros: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=lambda: clock.now())


# The journeys' tables live beside the code that keeps them (analytics/journeys.py); imported
# here so that every table of the module is in Base.metadata (Alembic, registry, tests).
from marketing_agent.analytics.journeys import CampaignCount as CampaignCount  # noqa: E402
from marketing_agent.analytics.journeys import Journey as Journey  # noqa: E402

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
        Index("ix_analytics_events_campaign_id_type", "campaign_id", "type"),
        # A shop's event is recorded once however often it is sent (idempotency, replays).
        UniqueConstraint("source", "external_id", name="uq_analytics_events_source_external_id"),
    )

    type: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[int | None] = mapped_column(IdType, nullable=True, index=True)
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

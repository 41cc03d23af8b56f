"""Test data for the analytics and experiments modules: events and journeys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marketing_agent.analytics.schemas import EventCreate, EventType

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(
    type: EventType | str,
    *,
    contact_id: int | None,
    campaign_id: int = 1,
    variant_key: str | None = "A",
    minute: float = 0,
    **extra: Any,
) -> EventCreate:
    """An event of `campaign_id` at T0 + `minute` minutes."""
    return EventCreate(
        type=EventType(type),
        campaign_id=campaign_id,
        variant_key=variant_key,
        contact_id=contact_id,
        occurred_at=T0 + timedelta(minutes=minute),
        **extra,
    )


def journey(
    contact_id: int, types: list[str], *, campaign_id: int = 1, variant_key: str | None = "A"
) -> list[EventCreate]:
    """One contact's events in the given order, a minute apart."""
    return [
        event(t, contact_id=contact_id, campaign_id=campaign_id, variant_key=variant_key, minute=i)
        for i, t in enumerate(types)
    ]

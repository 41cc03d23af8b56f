"""Test data for the analytics and experiments modules: events and journeys."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from marketing_agent.analytics.schemas import EventCreate, EventType
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.schemas import CampaignCreate, VariantIn
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.schemas import SenderCreate, SenderKind, TransportKind

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_names = itertools.count(1)


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


async def make_campaign(
    db: Database, settings: Settings, *, sender_kind: str = "bot", text: str = "Boots, 20% off."
) -> int:
    """Creates a draft campaign of a simulator sender of `sender_kind`; returns its id."""
    async with db.session() as session:
        sender = await telegram.create_sender(
            session=session,
            sender_in=SenderCreate(
                name=f"{sender_kind}-{next(_names)}",
                kind=SenderKind(sender_kind),
                transport=TransportKind.SIMULATOR,
                profile="bot" if sender_kind == "bot" else "user",
            ),
        )
        campaign = await flows.create_campaign(
            session=session,
            settings=settings,
            campaign_in=CampaignCreate(
                name="Boots", sender_id=sender.id, variants=[VariantIn(text=text)]
            ),
            actor="test",
        )
        return campaign.id

"""The funnel's conversion window: every step within the window of the person's entry."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.schemas import EventType
from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from tests.analytics.factories import event, make_campaign
from tests.factories import database_of, headers_for

STEPS = [EventType.SENT, EventType.CLICKED, EventType.CONVERTED]
HOUR = 60.0  # minutes


def counts(funnel: analytics.Funnel) -> list[int]:
    return [step.count for step in funnel.steps]


async def test_steps_after_the_window_from_entry_do_not_count(any_session: AsyncSession) -> None:
    await analytics.record_events(
        session=any_session,
        events=[
            # converts within 24 h of being sent
            event("sent", contact_id=1, minute=0),
            event("clicked", contact_id=1, minute=1),
            event("converted", contact_id=1, minute=23 * HOUR),
            # converts 25 h after being sent, though only 2 h after the click: out
            event("sent", contact_id=2, minute=0),
            event("clicked", contact_id=2, minute=23 * HOUR),
            event("converted", contact_id=2, minute=25 * HOUR),
            # clicks a minute past the window
            event("sent", contact_id=3, minute=0),
            event("clicked", contact_id=3, minute=24 * HOUR + 1),
        ],
    )

    windowed = await analytics.funnel(
        session=any_session, campaign_id=1, steps=STEPS, window=timedelta(hours=24)
    )
    unlimited = await analytics.funnel(session=any_session, campaign_id=1, steps=STEPS)

    assert counts(windowed) == [3, 2, 1]
    assert windowed.window_days == 1.0
    assert counts(unlimited) == [3, 3, 2]


async def test_a_later_entry_does_not_restart_the_window(any_session: AsyncSession) -> None:
    await analytics.record_events(
        session=any_session,
        events=[
            event("sent", contact_id=1, minute=0),
            event("sent", contact_id=1, minute=48 * HOUR),  # sent again two days later
            event("clicked", contact_id=1, minute=48 * HOUR + 5),
        ],
    )

    funnel = await analytics.funnel(
        session=any_session, campaign_id=1, steps=STEPS[:2], window=timedelta(hours=24)
    )

    assert counts(funnel) == [1, 0]


async def test_order_repeats_and_shared_timestamps_within_a_window(
    any_session: AsyncSession,
) -> None:
    await analytics.record_events(
        session=any_session,
        events=[
            # every step on the same instant: counts, in order
            event("sent", contact_id=1, minute=10),
            event("clicked", contact_id=1, minute=10),
            event("converted", contact_id=1, minute=10),
            # converted before clicking: stops at clicked
            event("sent", contact_id=2, minute=0),
            event("converted", contact_id=2, minute=1),
            event("clicked", contact_id=2, minute=2),
            # clicks three times and converts twice: one person at each step
            event("sent", contact_id=3, minute=0),
            *(event("clicked", contact_id=3, minute=m) for m in (1, 2, 3)),
            *(event("converted", contact_id=3, minute=m) for m in (4, 5)),
        ],
    )

    funnel = await analytics.funnel(
        session=any_session, campaign_id=1, steps=STEPS, window=timedelta(hours=1)
    )

    assert counts(funnel) == [3, 3, 2]


async def test_the_api_takes_a_window_in_days_and_refuses_a_bad_one(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    cid = await make_campaign(database_of(app), settings)
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    url = f"/api/v1/analytics/campaigns/{cid}/funnel"

    good = await client.get(url, params={"window_days": 7}, headers=viewer)
    bad = await client.get(url, params={"window_days": 0}, headers=viewer)

    assert good.status_code == 200
    assert good.json()["window_days"] == 7
    assert bad.status_code == 422
    missing = await client.get("/api/v1/analytics/campaigns/99999/funnel", headers=viewer)
    assert missing.status_code == 404

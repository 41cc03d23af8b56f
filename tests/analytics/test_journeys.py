"""Journeys and counts kept at write time: what funnels and stats read, by sender, after an
erasure, and a contact's timeline through the API (a bot's campaign never shows "read")."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.schemas import EventCreate, EventType
from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.schemas import ConsentCreate, ConsentStatus
from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from tests.analytics.factories import event, journey, make_campaign
from tests.factories import database_of, headers_for, make_contacts, make_sender

STEPS = [EventType.SENT, EventType.DELIVERED, EventType.CLICKED, EventType.CONVERTED]


def counts(funnel: analytics.Funnel) -> list[int]:
    return [s.count for s in funnel.steps]


async def test_a_repeated_step_out_of_order_is_walked_exactly(any_session: AsyncSession) -> None:
    # Contact 1 clicked before delivery and again after it, the second click two days late;
    # contact 2 clicked before delivery only. With a one-day window only the in-order,
    # in-window steps count, on either database.
    await analytics.record_events(
        session=any_session,
        events=[
            event("sent", contact_id=1, minute=0),
            event("clicked", contact_id=1, minute=1),
            event("delivered", contact_id=1, minute=2),
            event("clicked", contact_id=1, minute=3),
            event("clicked", contact_id=1, minute=3 * 24 * 60),
            event("sent", contact_id=2, minute=0),
            event("clicked", contact_id=2, minute=1),
            event("delivered", contact_id=2, minute=2),
        ],
    )

    steps = [EventType.SENT, EventType.DELIVERED, EventType.CLICKED]
    funnel = await analytics.funnel(session=any_session, campaign_id=1, steps=steps)
    windowed = await analytics.funnel(
        session=any_session, campaign_id=1, steps=steps, window=timedelta(days=1)
    )

    assert counts(funnel) == [2, 2, 1]
    assert counts(windowed) == [2, 2, 1]
    assert funnel.time_to_convert is not None
    assert funnel.time_to_convert.median_s == 180.0


async def test_the_funnel_breaks_down_by_the_sender_that_reached_each_person(
    any_session: AsyncSession,
) -> None:
    await analytics.record_events(
        session=any_session,
        events=[
            event("sent", contact_id=1, sender_id=11),
            event("delivered", contact_id=1, sender_id=11, minute=1),
            event("sent", contact_id=2, sender_id=12),
            event("sent", contact_id=3, sender_id=12),
            event("delivered", contact_id=3, sender_id=12, minute=1),
            event("converted", contact_id=3, minute=5, value_usd_micros=1_000_000),
        ],
    )

    senders = await analytics.funnel_senders(session=any_session, campaign_id=1)
    of_11 = await analytics.funnel(session=any_session, campaign_id=1, steps=STEPS, sender_id=11)
    of_12 = await analytics.funnel(session=any_session, campaign_id=1, steps=STEPS, sender_id=12)

    assert senders == [11, 12]
    assert counts(of_11) == [1, 1, 0, 0]
    assert counts(of_12) == [2, 1, 0, 0]
    assert of_12.sender_id == 12


async def test_stats_and_funnel_survive_an_erasure_unchanged(any_session: AsyncSession) -> None:
    await analytics.record_events(
        session=any_session,
        events=[
            *journey(1, ["sent", "delivered", "clicked"]),
            *journey(2, ["sent", "delivered"]),
        ],
    )
    before = await analytics.campaign_stats(session=any_session, campaign_id=1)
    funnel_before = await analytics.funnel(session=any_session, campaign_id=1, steps=STEPS[:3])

    await analytics.erase_contact(session=any_session, contact_id=1)
    # Erased people still count once, and their later repeats are not counted again.
    await analytics.record_event(
        session=any_session, event_in=event("clicked", contact_id=2, minute=5)
    )

    after = await analytics.campaign_stats(session=any_session, campaign_id=1)
    funnel_after = await analytics.funnel(session=any_session, campaign_id=1, steps=STEPS[:3])
    assert (before.totals.sent, before.totals.clicked) == (2, 1)
    assert (after.totals.sent, after.totals.delivered, after.totals.clicked) == (2, 2, 2)
    assert counts(funnel_before) == [2, 2, 1]
    assert counts(funnel_after) == [2, 2, 2]


async def test_events_recorded_one_by_one_and_in_batches_count_the_same(
    any_session: AsyncSession,
) -> None:
    for one in journey(1, ["sent", "delivered", "clicked"], campaign_id=2):
        await analytics.record_event(session=any_session, event_in=one)
    await analytics.record_events(
        session=any_session, events=journey(1, ["sent", "delivered", "clicked"], campaign_id=3)
    )

    two = await analytics.campaign_stats(session=any_session, campaign_id=2)
    three = await analytics.campaign_stats(session=any_session, campaign_id=3)

    assert two.model_dump(exclude={"campaign_id"}) == three.model_dump(exclude={"campaign_id"})


async def test_events_reported_late_and_out_of_order_count_as_if_written_in_order(
    any_session: AsyncSession,
) -> None:
    # The same person's events, one batch in order (campaign 2) and one write at a time newest
    # first (campaign 3): each write merges its times into the stored journey (earliest first,
    # latest last) and adds its revenue, so both tell the same story.
    def events(campaign_id: int) -> list[EventCreate]:
        return [
            event("sent", contact_id=1, campaign_id=campaign_id, minute=0),
            event("delivered", contact_id=1, campaign_id=campaign_id, minute=1),
            event("clicked", contact_id=1, campaign_id=campaign_id, minute=5),
            event("clicked", contact_id=1, campaign_id=campaign_id, minute=30),
            event("converted", contact_id=1, campaign_id=campaign_id, minute=40,
                  value_usd_micros=2_000_000),
            event("converted", contact_id=1, campaign_id=campaign_id, minute=90,
                  value_usd_micros=3_000_000),
            event("sent", contact_id=2, campaign_id=campaign_id, minute=0, variant_key="B"),
        ]  # fmt: skip

    await analytics.record_events(session=any_session, events=events(2))
    for one in reversed(events(3)):
        await analytics.record_events(session=any_session, events=[one])

    stats = [await analytics.campaign_stats(session=any_session, campaign_id=c) for c in (2, 3)]
    funnels = [
        await analytics.funnel(session=any_session, campaign_id=c, steps=STEPS) for c in (2, 3)
    ]
    assert stats[0].model_dump(exclude={"campaign_id"}) == stats[1].model_dump(
        exclude={"campaign_id"}
    )
    assert stats[1].totals.sent == 2
    assert stats[1].totals.revenue_usd_micros == 5_000_000
    assert [counts(f) for f in funnels] == [[2, 1, 1, 1], [2, 1, 1, 1]]
    assert [f.time_to_convert.median_s for f in funnels if f.time_to_convert] == [2400.0] * 2


async def test_a_contacts_timeline_shows_what_happened_but_no_bot_reads(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    bot_campaign = await make_campaign(db, settings, sender_kind="bot")
    user_campaign = await make_campaign(db, settings, sender_kind="user")
    sender_id = await make_sender(db)
    [contact_id] = await make_contacts(db, 1, sender_id=sender_id)
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                *journey(contact_id, ["sent", "delivered", "read"], campaign_id=bot_campaign),
                *journey(contact_id, ["sent", "read"], campaign_id=user_campaign),
                event(
                    "converted",
                    contact_id=contact_id,
                    campaign_id=bot_campaign,
                    minute=9,
                    value_usd_micros=19_900_000,
                ),
            ],
        )
        await compliance.record_consent(
            session=session,
            consent_in=ConsentCreate(
                contact_id=contact_id,
                sender_id=sender_id,
                purpose="marketing",
                status=ConsentStatus.WITHDRAWN,
                source="test",
            ),
            actor="test",
        )
    viewer = await headers_for(client, db, Role.VIEWER)

    response = await client.get(f"/api/v1/analytics/contacts/{contact_id}/timeline", headers=viewer)
    missing = await client.get("/api/v1/analytics/contacts/999999/timeline", headers=viewer)

    assert response.status_code == 200, response.text
    body = response.json()
    seen = [(e["type"], e["campaign_id"]) for e in body["entries"]]
    assert ("read", bot_campaign) not in seen
    assert ("read", user_campaign) in seen
    assert ("delivered", bot_campaign) in seen
    assert ("converted", bot_campaign) in seen
    assert {"consent_granted", "consent_withdrawn"} <= {e["type"] for e in body["entries"]}
    assert "Bots cannot see reads" in body["unobservable"]["read"]
    ats = [datetime.fromisoformat(e["at"]) for e in body["entries"]]
    assert ats == sorted(ats, reverse=True)
    assert missing.status_code == 404

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.models import Event
from tests.analytics.factories import event, journey


async def test_erasure_keeps_aggregates_but_no_trace_of_the_contact(
    any_session: AsyncSession,
) -> None:
    await analytics.record_events(
        session=any_session,
        events=[
            *journey(1, ["sent", "delivered", "read", "clicked"]),
            *journey(2, ["sent", "delivered", "read", "clicked", "converted"]),
            *journey(2, ["sent", "read"], campaign_id=2),
            event("replied", contact_id=2, minute=10, properties={"text": "call me on +4477"}),
            event(
                "converted",
                contact_id=2,
                minute=11,
                value_usd_micros=9_000_000,
                properties={"order_id": "ord-55", "email": "x@example.com", "currency": "EUR"},
            ),
        ],
    )
    stats_before = await analytics.campaign_stats(session=any_session, campaign_id=1)
    funnel_before = await analytics.funnel(session=any_session, campaign_id=1)
    other_before = await analytics.campaign_stats(session=any_session, campaign_id=2)

    erased = await analytics.erase_contact(session=any_session, contact_id=2)

    assert erased == 9
    assert await any_session.scalar(select(func.count()).where(Event.contact_id == 2)) == 0
    assert await analytics.campaign_stats(session=any_session, campaign_id=1) == stats_before
    assert await analytics.funnel(session=any_session, campaign_id=1) == funnel_before
    assert await analytics.campaign_stats(session=any_session, campaign_id=2) == other_before
    leftovers = (
        await any_session.scalars(select(Event.properties).where(Event.contact_id.is_(None)))
    ).all()
    assert {key for props in leftovers for key in props} == {"currency"}


async def test_erasure_leaves_other_contacts_alone(session: AsyncSession) -> None:
    await analytics.record_events(
        session=session,
        events=[
            event("sent", contact_id=1, properties={"link_key": "promo"}),
            event("sent", contact_id=2),
        ],
    )

    await analytics.erase_contact(session=session, contact_id=2)

    kept = (await session.scalars(select(Event).where(Event.contact_id == 1))).all()
    assert [(e.contact_id, e.properties) for e in kept] == [(1, {"link_key": "promo"})]


async def test_erasing_an_unknown_contact_changes_nothing(session: AsyncSession) -> None:
    await analytics.record_event(session=session, event_in=event("sent", contact_id=1))

    assert await analytics.erase_contact(session=session, contact_id=404) == 0

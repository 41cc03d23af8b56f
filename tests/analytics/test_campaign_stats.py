from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.core.db import Database
from tests.analytics.factories import T0, event, journey


async def test_stats_count_distinct_contacts_per_variant(any_session: AsyncSession) -> None:
    await analytics.record_events(
        session=any_session,
        events=[
            *journey(1, ["sent", "delivered", "read", "clicked", "clicked", "clicked"]),
            *journey(2, ["sent", "delivered", "read", "read"]),
            *journey(3, ["sent", "failed"], variant_key="B"),
            *journey(4, ["sent", "delivered", "clicked", "converted"], variant_key="B"),
            *journey(5, ["sent"], campaign_id=2),  # another campaign
        ],
    )

    stats = await analytics.campaign_stats(session=any_session, campaign_id=1)

    a, b = stats.variants
    assert (a.variant_key, a.sent, a.delivered, a.read, a.clicked) == ("A", 2, 2, 2, 1)
    assert (b.variant_key, b.sent, b.delivered, b.failed, b.converted) == ("B", 2, 1, 1, 1)
    assert stats.totals.variant_key == "all"
    assert (stats.totals.sent, stats.totals.read, stats.totals.clicked) == (4, 2, 2)


async def test_revenue_sums_conversions_of_each_variant(any_session: AsyncSession) -> None:
    await analytics.record_events(
        session=any_session,
        events=[
            event("converted", contact_id=1, value_usd_micros=2_500_000),
            event("converted", contact_id=1, value_usd_micros=500_000, minute=5),
            event("converted", contact_id=2, variant_key="B", value_usd_micros=1_000_000),
        ],
    )

    stats = await analytics.campaign_stats(session=any_session, campaign_id=1)

    assert [(v.variant_key, v.converted, v.revenue_usd_micros) for v in stats.variants] == [
        ("A", 1, 3_000_000),
        ("B", 1, 1_000_000),
    ]
    assert (stats.totals.converted, stats.totals.revenue_usd_micros) == (2, 4_000_000)


async def test_a_shops_conversion_is_credited_to_the_variant_the_contact_was_sent(
    session: AsyncSession,
) -> None:
    await analytics.record_events(session=session, events=journey(7, ["sent"], variant_key="B"))

    recorded = await analytics.record_event(
        session=session, event_in=event("converted", contact_id=7, variant_key=None, minute=30)
    )

    assert recorded.variant_key == "B"
    stats = await analytics.campaign_stats(session=session, campaign_id=1)
    assert [(v.variant_key, v.sent, v.converted) for v in stats.variants] == [("B", 1, 1)]


async def test_conversions_naming_no_contact_count_one_each(session: AsyncSession) -> None:
    for _ in range(3):
        await analytics.record_event(
            session=session, event_in=event("converted", contact_id=None, variant_key=None)
        )

    stats = await analytics.campaign_stats(session=session, campaign_id=1)

    assert stats.variants[0].variant_key is None
    assert stats.totals.converted == 3


async def test_a_person_in_two_variants_counts_once_in_totals(session: AsyncSession) -> None:
    await analytics.record_events(
        session=session,
        events=[event("clicked", contact_id=1), event("clicked", contact_id=1, variant_key="B")],
    )

    stats = await analytics.campaign_stats(session=session, campaign_id=1)

    assert [v.clicked for v in stats.variants] == [1, 1]
    assert stats.totals.clicked == 1


async def test_a_campaign_without_events_has_empty_stats(session: AsyncSession) -> None:
    stats = await analytics.campaign_stats(session=session, campaign_id=99)

    assert stats.variants == []
    assert stats.totals.sent == 0


async def test_stats_are_read_in_one_query(any_db: Database, any_session: AsyncSession) -> None:
    await analytics.record_events(
        session=any_session,
        events=[*journey(1, ["sent", "read"]), *journey(2, ["sent"], variant_key="B")],
    )
    await any_session.flush()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa_event.listen(any_db.engine.sync_engine, "before_cursor_execute", count)
    try:
        await analytics.campaign_stats(session=any_session, campaign_id=1)
    finally:
        sa_event.remove(any_db.engine.sync_engine, "before_cursor_execute", count)

    assert len(statements) == 1


async def test_stats_say_when_the_latest_event_happened(any_session: AsyncSession) -> None:
    await analytics.record_events(
        session=any_session,
        events=[*journey(1, ["sent", "read", "clicked"]), *journey(2, ["sent"], campaign_id=2)],
    )
    # A shop's conversion arrives late but says it happened earlier: the latest stays the click.
    await analytics.record_event(
        session=any_session, event_in=event("converted", contact_id=1, minute=1.5)
    )

    stats = await analytics.campaign_stats(session=any_session, campaign_id=1)
    empty = await analytics.campaign_stats(session=any_session, campaign_id=99)

    assert stats.last_event_at == T0 + timedelta(minutes=2)
    assert empty.last_event_at is None

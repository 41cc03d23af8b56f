from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.models import Event
from tests.analytics.factories import T0, event


async def test_ten_thousand_events_are_recorded_in_one_call(any_session: AsyncSession) -> None:
    """How fast is a benchmark's business (bench_pipeline.py), not a test's on a shared machine."""
    events = [
        event("sent", contact_id=i, variant_key="AB"[i % 2], sender_id=3, minute=i / 60)
        for i in range(1, 10_001)
    ]

    recorded = await analytics.record_events(session=any_session, events=events)
    await any_session.flush()

    assert recorded == 10_000
    stats = await analytics.campaign_stats(session=any_session, campaign_id=1)
    assert [(v.variant_key, v.sent) for v in stats.variants] == [("A", 5000), ("B", 5000)]


async def test_recording_nothing_records_nothing(session: AsyncSession) -> None:
    assert await analytics.record_events(session=session, events=[]) == 0


async def test_events_written_in_a_batch_or_alone_fall_in_the_same_time_windows(
    any_session: AsyncSession,
) -> None:
    """The batch path binds through the driver: its times must be stored as the ORM stores
    them, or a window ending at an event's exact time would miss one of the two."""
    await analytics.record_events(session=any_session, events=[event("sent", contact_id=1)])
    await analytics.record_event(session=any_session, event_in=event("sent", contact_id=2))
    await any_session.flush()

    at_t0 = select(func.count()).where(Event.occurred_at <= T0, Event.occurred_at >= T0)
    stored = await any_session.execute(select(Event.contact_id, Event.properties))

    assert await any_session.scalar(at_t0) == 2
    assert sorted(stored.all()) == [(1, {}), (2, {})]

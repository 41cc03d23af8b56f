from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from tests.analytics.factories import event


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

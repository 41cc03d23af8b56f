from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from tests.analytics.factories import event


async def test_ten_thousand_events_are_recorded_quickly(any_session: AsyncSession) -> None:
    events = [
        event("sent", contact_id=i, variant_key="AB"[i % 2], sender_id=3, minute=i / 60)
        for i in range(1, 10_001)
    ]

    started = time.perf_counter()
    recorded = await analytics.record_events(session=any_session, events=events)
    await any_session.flush()
    elapsed = time.perf_counter() - started

    assert recorded == 10_000
    assert elapsed < 2.0, f"bulk insert took {elapsed:.2f}s"
    stats = await analytics.campaign_stats(session=any_session, campaign_id=1)
    assert [(v.variant_key, v.sent) for v in stats.variants] == [("A", 5000), ("B", 5000)]


async def test_recording_nothing_records_nothing(session: AsyncSession) -> None:
    assert await analytics.record_events(session=session, events=[]) == 0

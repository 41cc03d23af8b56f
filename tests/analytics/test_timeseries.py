"""The campaign page's chart: a campaign's events per hour or day, on both databases, with the
reads of a bot's campaign left blank (bots get no read receipts), never drawn as zero."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics import timeseries
from marketing_agent.analytics.schemas import CampaignSource, SenderKind
from tests.analytics.factories import T0, event


async def _record(session: AsyncSession) -> None:
    await analytics.record_events(
        session=session,
        events=[
            event("delivered", contact_id=1, minute=1),
            event("delivered", contact_id=2, minute=2),
            event("read", contact_id=1, minute=5),
            event("clicked", contact_id=1, minute=70),
            event("delivered", contact_id=3, minute=24 * 60 + 5),
            event("unsubscribed", contact_id=3, minute=24 * 60 + 9),
            event("delivered", contact_id=9, minute=3, campaign_id=2),  # another campaign
        ],
    )


async def test_events_are_counted_per_hour_and_per_day(any_session: AsyncSession) -> None:
    await _record(any_session)
    hourly = await timeseries.campaign_timeseries(session=any_session, campaign_id=1, bucket="hour")
    assert [(p.start.isoformat(), p.delivered, p.read, p.clicked) for p in hourly.points] == [
        (T0.isoformat(), 2, 1, 0),
        (T0.replace(hour=13).isoformat(), 0, 0, 1),
        (T0.replace(day=2).isoformat(), 1, 0, 0),
    ]
    daily = await timeseries.campaign_timeseries(session=any_session, campaign_id=1, bucket="day")
    assert [(p.start.day, p.delivered, p.unsubscribed) for p in daily.points] == [
        (1, 2, 0),
        (2, 1, 1),
    ]


async def test_a_bots_reads_are_blank_not_zero(any_session: AsyncSession) -> None:
    await _record(any_session)
    source = CampaignSource(campaign_id=1, sender_kind=SenderKind.BOT)
    series = await timeseries.campaign_timeseries(
        session=any_session, campaign_id=1, bucket="day", source=source
    )
    assert series.unobservable == ["read"]
    assert all(p.read is None for p in series.points)
    assert series.points[0].delivered == 2

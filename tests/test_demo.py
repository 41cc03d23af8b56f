"""The demo (`marketing-agent run --demo`) makes a good first impression whatever the hour it is
started at: its running campaign is seen mid-send, never held at 0% by the time of day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.demo import LANGUAGES, running_send_window, seed_demo
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator.models import Campaign
from marketing_agent.orchestrator.send_windows import SendRule
from tests.factories import counts, drain, runtime_of, transports_of


@pytest.mark.parametrize(
    "season", [datetime(2026, 1, 14, tzinfo=UTC), datetime(2026, 7, 14, tzinfo=UTC)]
)
@pytest.mark.parametrize("hour", range(24))
def test_the_running_campaign_reaches_some_contacts_now_and_waits_for_others(
    season: datetime, hour: int
) -> None:
    now = season + timedelta(hours=hour, minutes=59)
    window = running_send_window(now)
    rule = SendRule.parse(f"{window.start}-{window.end}", None)

    open_now = {
        zone: rule.blocked_by(now.astimezone(ZoneInfo(zone)).time()) is None
        for _, zone in LANGUAGES
    }

    assert open_now["Europe/Berlin"] and open_now["Europe/Paris"] and open_now["Europe/Madrid"]
    assert not open_now["America/New_York"]  # so it is still sending, hours later


async def test_the_demo_started_at_night_shows_its_running_campaign_mid_send(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    virtual_clock.advance(3 * 3600)  # 03:00 UTC: 04:00 in Berlin, 22:00 in New York
    await seed_demo(db, transports=transports_of(db), settings=settings, history=True)

    await scheduled.tick(runtime_of(db, settings))
    await drain(db)

    async with db.session() as session:
        newsletter = await session.scalar(
            select(Campaign).where(Campaign.name == "Spring newsletter")
        )
    assert newsletter is not None and newsletter.status == "running"
    sent = await counts(db, newsletter.id)
    assert sent.sent > 0 and sent.queued > 0

from __future__ import annotations

import pytest

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.live import counters
from marketing_agent.core.db import Database
from tests.analytics.factories import event, journey


async def test_live_counters_show_events_once_committed(db: Database) -> None:
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                *journey(1, ["sent", "read"], campaign_id=501),
                *journey(2, ["sent"], campaign_id=501, variant_key="B"),
            ],
        )
        await analytics.record_event(
            session=session, event_in=event("clicked", contact_id=1, campaign_id=501)
        )
        assert counters.snapshot(501) == {}

    assert counters.snapshot(501) == {
        "A": {"sent": 1, "read": 1, "clicked": 1},
        "B": {"sent": 1},
    }


async def test_live_counters_ignore_rolled_back_events(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await analytics.record_events(
                session=session, events=journey(1, ["sent"], campaign_id=502)
            )
            raise RuntimeError("the send failed")

    assert counters.snapshot(502) == {}

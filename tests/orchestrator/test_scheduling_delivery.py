"""Send windows at launch and again at send time, and the frequency cap across campaigns, on the
virtual clock (it starts at 2026-01-01 00:00 UTC)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketing_agent.core import clock
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import SegmentCreate, SegmentFilter
from marketing_agent.orchestrator.worker import DeliveryWorker
from tests.factories import (
    add_contact,
    counts,
    deliveries,
    drive,
    frequency_cap,
    launch,
    make_sender,
    runtime_of,
    simulator_of,
    transports_of,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
async def sender_id(db: Database) -> int:
    return await make_sender(db)


async def test_each_contact_is_reached_inside_the_window_of_their_own_zone(
    db: Database, settings: Settings, virtual_clock: VirtualClock, sender_id: int
) -> None:
    zones = {
        "Asia/Tokyo": None,  # 09:00 there: open now
        "America/New_York": None,  # 19:00 on New Year's Eve: open now
        "Europe/Berlin": utc(2026, 1, 1, 8, 0),  # 01:00 there: at 09:00 local
        "Asia/Kolkata": utc(2026, 1, 1, 3, 30),  # 05:30 there
        None: utc(2026, 1, 1, 9, 0),  # no zone: the campaign's, London, 00:00
    }
    contacts = {zone: await add_contact(db, sender_id=sender_id, timezone=zone) for zone in zones}
    campaign_id = await launch(
        db,
        settings,
        sender_id=sender_id,
        send_window={"start": "09:00", "end": "20:00"},
        quiet_hours={"start": "21:00", "end": "08:00"},
        timezone="Europe/London",
    )
    await scheduled.tick(runtime_of(db))  # starts it: the audience becomes deliveries

    rows = await deliveries(db, campaign_id)
    for zone, expected in zones.items():
        delivery = rows[contacts[zone]]
        assert delivery.not_before == expected, zone
        assert delivery.reason == (None if expected is None else "send_window"), zone
    assert (await counts(db, campaign_id)).waiting_reasons == {"send_window": 3}

    await drive(db, virtual_clock, until=utc(2026, 1, 2))

    rows = await deliveries(db, campaign_id)
    assert {d.status for d in rows.values()} == {"sent"}
    for zone, contact_id in contacts.items():
        sent_at = rows[contact_id].sent_at
        assert sent_at is not None
        local = sent_at.astimezone(ZoneInfo(zone or "Europe/London")).time()
        assert time(9, 0) <= local < time(20, 0), (zone, local)


async def test_delivery_whose_window_closed_while_queued_waits_for_the_next_opening(
    db: Database, settings: Settings, virtual_clock: VirtualClock, sender_id: int
) -> None:
    contact_id = await add_contact(db, sender_id=sender_id, timezone="Europe/Berlin")
    virtual_clock.advance(18.5 * 3600)  # 19:30 in Berlin: inside 09:00-20:00
    campaign_id = await launch(
        db, settings, sender_id=sender_id, send_window="09:00-20:00", quiet_hours=None
    )
    await scheduled.tick(runtime_of(db))
    assert (await deliveries(db, campaign_id))[contact_id].not_before is None

    virtual_clock.advance(3.5 * 3600)  # nobody sent it; now 23:00 in Berlin
    await DeliveryWorker(db, transports=transports_of(db)).run_once()

    held = (await deliveries(db, campaign_id))[contact_id]
    assert (held.status, held.reason) == ("queued", "send_window")
    assert held.not_before == utc(2026, 1, 2, 8, 0)  # 09:00 in Berlin
    assert held.attempts == 0  # held back, not a failed attempt
    assert (await simulator_of(db, sender_id)).stats.sent == 0

    await drive(db, virtual_clock, until=utc(2026, 1, 3))
    sent = (await deliveries(db, campaign_id))[contact_id]
    assert sent.status == "sent"
    assert sent.sent_at is not None and sent.sent_at >= utc(2026, 1, 2, 8, 0)
    assert sent.sent_at < utc(2026, 1, 2, 8, 1)


async def test_frequency_cap_skips_a_contacts_third_marketing_message_in_a_week(
    db: Database,
    settings: Settings,
    virtual_clock: VirtualClock,
    sender_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vips = [
        await add_contact(db, sender_id=sender_id, tags=("vip",), purposes=("marketing", "service"))
        for _ in range(3)
    ]
    others = [await add_contact(db, sender_id=sender_id) for _ in range(2)]
    async with db.session() as session:
        segment = await orchestrator.create_segment(
            session=session,
            segment_in=SegmentCreate(name="VIP", filter=SegmentFilter(tags_any=["vip"])),
        )
    quiet = {"quiet_hours": None}
    with frequency_cap(monkeypatch, count=2, days=7):
        first = await launch(db, settings, sender_id=sender_id, segment_id=segment.id, **quiet)
        await drive(db, virtual_clock, until=clock.now() + timedelta(hours=1))
        virtual_clock.advance(86400)
        second = await launch(db, settings, sender_id=sender_id, **quiet)
        await drive(db, virtual_clock, until=clock.now() + timedelta(hours=1))
        virtual_clock.advance(86400)
        third = await launch(db, settings, sender_id=sender_id, **quiet)
        await drive(db, virtual_clock, until=clock.now() + timedelta(hours=1))
        # Not marketing: a service message is neither capped nor counted.
        service_id = await launch(
            db, settings, sender_id=sender_id, segment_id=segment.id, purpose="service", **quiet
        )
        await drive(db, virtual_clock, until=clock.now() + timedelta(hours=1))

        assert (await counts(db, first)).sent == 3
        assert (await counts(db, second)).sent == 5
        capped = await counts(db, third)
        assert (capped.sent, capped.skipped) == (2, 3)
        assert capped.skipped_reasons == {"frequency_cap": 3}
        third_rows = await deliveries(db, third)
        assert {third_rows[c].reason for c in vips} == {"frequency_cap"}
        assert {third_rows[c].status for c in others} == {"sent"}
        assert (await counts(db, service_id)).sent == 3

        # A week after the first message the window has moved on: one slot is free again.
        virtual_clock.advance(5 * 86400)
        fourth = await launch(db, settings, sender_id=sender_id, segment_id=segment.id, **quiet)
        await drive(db, virtual_clock, until=clock.now() + timedelta(hours=1))
        assert (await counts(db, fourth)).sent == 3


async def test_frequency_cap_of_zero_sends_everything(
    db: Database,
    settings: Settings,
    virtual_clock: VirtualClock,
    sender_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await add_contact(db, sender_id=sender_id)
    with frequency_cap(monkeypatch, count=0, days=7):
        ids = []
        for _ in range(4):
            ids.append(await launch(db, settings, sender_id=sender_id, quiet_hours=None))
            await drive(db, virtual_clock, until=clock.now() + timedelta(minutes=10))
    assert [(await counts(db, i)).sent for i in ids] == [1, 1, 1, 1]


async def test_two_workers_sending_two_campaigns_never_exceed_the_cap(
    any_db: Database,
    settings: Settings,
    virtual_clock: VirtualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sender_id = await make_sender(any_db)
    contacts = [await add_contact(any_db, sender_id=sender_id) for _ in range(30)]
    with frequency_cap(monkeypatch, count=1, days=7):
        first = await launch(any_db, settings, sender_id=sender_id, quiet_hours=None)
        second = await launch(any_db, settings, sender_id=sender_id, quiet_hours=None)
        await scheduled.tick(runtime_of(any_db))
        workers = [
            DeliveryWorker(any_db, transports=transports_of(any_db), batch_size=10)
            for _ in range(2)
        ]
        for _ in range(20):
            if not sum(await asyncio.gather(*(w.run_once() for w in workers))):
                break

    totals = [await counts(any_db, c) for c in (first, second)]
    assert sum(t.sent for t in totals) == len(contacts)
    assert sum(t.skipped_reasons.get("frequency_cap", 0) for t in totals) == len(contacts)
    received = (await simulator_of(any_db, sender_id)).stats.received
    assert len(received) == len(contacts) and max(received.values()) == 1

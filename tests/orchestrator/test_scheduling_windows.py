"""Send windows and quiet hours in each contact's own time zone: DST, midnight, odd offsets."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from marketing_agent.core.validation import zone_named
from marketing_agent.orchestrator.recurrence import check_cron, next_occurrence
from marketing_agent.orchestrator.send_windows import DailyWindow, SendRule

ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/St_Johns",  # -03:30, with DST
    "America/Havana",  # DST changes at midnight: 00:00-01:00 does not exist one day a year
    "America/Santiago",  # southern hemisphere, changes at midnight
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "Australia/Sydney",
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kolkata",  # +05:30, no DST
    "Asia/Tokyo",
]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def rule(window: str | None = None, quiet: str | None = None) -> SendRule:
    return SendRule.parse(window, quiet)


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


def test_inside_the_window_and_outside_quiet_hours_sends_now() -> None:
    at = utc(2026, 6, 1, 10, 0)  # 12:00 in Berlin
    assert rule("09:00-20:00", "21:00-09:00").next_send_time(at, ZoneInfo("Europe/Berlin")) == at


def test_late_evening_waits_for_the_next_local_morning() -> None:
    at = utc(2026, 6, 1, 20, 30)  # 22:30 in Berlin, 16:30 in New York
    berlin = rule("09:00-20:00", "21:00-09:00").next_send_time(at, ZoneInfo("Europe/Berlin"))
    new_york = rule("09:00-20:00", "21:00-09:00").next_send_time(at, ZoneInfo("America/New_York"))
    assert local(berlin, "Europe/Berlin") == datetime(
        2026, 6, 2, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )
    assert new_york == at  # still afternoon there


def test_morning_after_spring_forward_is_nine_local_not_nine_utc_plus_one() -> None:
    # Berlin moves from +01:00 to +02:00 at 01:00 UTC on 29 March 2026.
    at = utc(2026, 3, 28, 22, 0)
    sent = rule("09:00-20:00", "21:00-09:00").next_send_time(at, ZoneInfo("Europe/Berlin"))
    assert sent == utc(2026, 3, 29, 7, 0)
    assert local(sent, "Europe/Berlin").utcoffset() == timedelta(hours=2)


def test_window_opening_inside_the_spring_forward_gap_opens_when_the_clock_jumps() -> None:
    # New York jumps from 02:00 EST to 03:00 EDT at 07:00 UTC on 8 March 2026: 02:30 never
    # happens, and the first open moment of a 02:30-04:00 window is the jump itself.
    at = utc(2026, 3, 8, 6, 0)  # 01:00 EST
    sent = rule("02:30-04:00").next_send_time(at, ZoneInfo("America/New_York"))
    assert sent == utc(2026, 3, 8, 7, 0)
    assert local(sent, "America/New_York").time() == time(3, 0)


def test_quiet_hours_ending_in_the_repeated_hour_end_at_its_first_pass() -> None:
    # New York falls back from 02:00 EDT to 01:00 EST at 06:00 UTC on 1 November 2026.
    quiet = rule(None, "21:00-01:30")
    zone = ZoneInfo("America/New_York")
    assert quiet.next_send_time(utc(2026, 11, 1, 5, 0), zone) == utc(2026, 11, 1, 5, 30)
    # 01:45 EDT is open; one hour of real time later the clock shows 01:00 EST, inside the
    # quiet hours again, and it opens at 01:30 EST.
    assert quiet.next_send_time(utc(2026, 11, 1, 5, 45), zone) == utc(2026, 11, 1, 5, 45)
    assert quiet.next_send_time(utc(2026, 11, 1, 6, 0), zone) == utc(2026, 11, 1, 6, 30)


def test_window_crossing_midnight_opens_in_the_evening_and_stays_open_past_midnight() -> None:
    night = rule("22:00-02:00", None)
    tokyo = ZoneInfo("Asia/Tokyo")  # +09:00
    assert night.next_send_time(utc(2026, 5, 1, 3, 0), tokyo) == utc(2026, 5, 1, 13, 0)
    assert night.next_send_time(utc(2026, 5, 1, 16, 0), tokyo) == utc(2026, 5, 1, 16, 0)  # 01:00
    assert night.next_send_time(utc(2026, 5, 1, 17, 0), tokyo) == utc(2026, 5, 2, 13, 0)  # 02:00


def test_quarter_hour_zone_gets_its_own_local_morning() -> None:
    sent = rule("09:00-20:00", "21:00-09:00").next_send_time(
        utc(2026, 7, 1, 12, 0), ZoneInfo("Pacific/Chatham")
    )
    assert local(sent, "Pacific/Chatham").time() == time(9, 0)
    assert sent == utc(2026, 7, 1, 20, 15)  # +12:45 in July (their winter)


def test_unknown_or_missing_zone_falls_back_to_the_default() -> None:
    assert zone_named("Mars/Olympus_Mons", "Europe/Berlin").key == "Europe/Berlin"
    assert zone_named(None, "Asia/Tokyo").key == "Asia/Tokyo"
    assert zone_named("", "not/a-zone").key == "UTC"


def test_reasons_say_whether_the_window_or_the_quiet_hours_hold_a_message() -> None:
    combined = rule("08:00-22:00", "21:00-09:00")
    assert combined.blocked_by(time(7, 0)) == "send_window"
    assert combined.blocked_by(time(8, 30)) == "quiet_hours"
    assert combined.blocked_by(time(12, 0)) is None
    assert not rule("22:00-23:00", "21:00-09:00").is_satisfiable()


@pytest.mark.parametrize("bad", ["9-17", "25:00-09:00", "09:00-09:00", "09:00", "ab:cd-10:00"])
def test_malformed_windows_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        DailyWindow.parse(bad)


# The property: whatever the zone, the instant, the window and the quiet hours, the computed
# send time is open in the contact's zone and nothing earlier was.


def _offset_changes(zone_name: str, year: int) -> list[datetime]:
    zone = ZoneInfo(zone_name)
    changes = []
    instant = utc(year, 1, 1)
    previous = instant.astimezone(zone).utcoffset()
    while instant.year == year:
        instant += timedelta(hours=1)
        offset = instant.astimezone(zone).utcoffset()
        if offset != previous:
            changes.append(instant)
            previous = offset
    return changes


TRANSITIONS = {zone: _offset_changes(zone, 2026) for zone in ZONES}
clock_times = st.integers(0, 24 * 60 - 1).map(lambda m: time(m // 60, m % 60))
windows = st.one_of(
    st.none(),
    st.tuples(clock_times, clock_times)
    .filter(lambda t: t[0] != t[1])
    .map(lambda t: DailyWindow(*t)),
)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Any moment of 2026, or one within two days of the zone's offset changes."""
    changes = TRANSITIONS[zone]
    if changes and draw(st.booleans()):
        near = draw(st.sampled_from(changes))
        return near + timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))
    return utc(2026, 1, 1) + timedelta(seconds=draw(st.integers(0, 365 * 86400)))


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, datetime, SendRule]:
    zone = draw(st.sampled_from(ZONES))
    return zone, draw(instants(zone)), SendRule(window=draw(windows), quiet=draw(windows))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_send_time_is_always_open_in_the_contacts_zone_and_the_first_such(
    case: tuple[str, datetime, SendRule],
) -> None:
    zone_name, at, send_rule = case
    assume(send_rule.is_satisfiable())
    zone = ZoneInfo(zone_name)
    sent = send_rule.next_send_time(at, zone)

    assert sent >= at
    assert send_rule.blocked_by(sent.astimezone(zone).time()) is None
    if send_rule.window is not None:
        assert send_rule.window.contains(sent.astimezone(zone).time())
    if send_rule.quiet is not None:
        assert not send_rule.quiet.contains(sent.astimezone(zone).time())
    assert sent - at < timedelta(days=3)
    if sent > at:  # nothing between was open: just before, and every five minutes
        assert send_rule.blocked_by((sent - timedelta(seconds=1)).astimezone(zone).time())
        probe = at
        while probe < sent:
            assert send_rule.blocked_by(probe.astimezone(zone).time()) is not None
            probe += timedelta(minutes=5)


# Cron runs are wall-clock times in the campaign's zone.


def test_cron_runs_at_nine_local_across_a_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    runs, after = [], utc(2026, 3, 27, 12, 0)
    for _ in range(3):
        after = next_occurrence("0 9 * * *", after, berlin)
        runs.append(after)
    assert [r.astimezone(berlin).time() for r in runs] == [time(9, 0)] * 3
    assert runs[1] - runs[0] == timedelta(hours=23)  # the short night of 29 March


def test_cron_time_repeated_by_fall_back_runs_once() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    first = next_occurrence("30 2 * * *", utc(2026, 10, 24, 12, 0), berlin)
    second = next_occurrence("30 2 * * *", first, berlin)
    assert first == utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    assert second == utc(2026, 10, 26, 1, 30)  # the next day, not 02:30 CET an hour later


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("every monday", "five fields"),
        ("0 9 * *", "five fields"),
        ("0 0 9 * * MON", "five fields"),
        ("61 9 * * *", "five fields"),
        ("*/5 * * * *", "more often"),
        ("0,30 9 * * *", "more often"),
    ],
)
def test_cron_expressions_that_are_malformed_or_too_frequent_are_refused(
    expression: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_cron(expression)


def test_hourly_and_weekly_crons_are_accepted() -> None:
    assert check_cron("0 * * * *") == "0 * * * *"
    assert check_cron("0  9 * *  MON") == "0 9 * * MON"

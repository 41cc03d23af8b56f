"""Recurring campaigns' schedules: cron expressions in the campaign's wall-clock time, checked
not to run more often than MIN_RECURRENCE_INTERVAL, and their next run across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

# Recurring campaigns may not run more often than this: each run messages the whole audience.
MIN_RECURRENCE_INTERVAL = timedelta(hours=1)


def check_cron(expression: str) -> str:
    """Returns the cron expression (five fields, wall-clock time) if valid and not more often
    than MIN_RECURRENCE_INTERVAL; raises ValueError with the reason otherwise."""
    expression = " ".join(expression.split())
    fields = expression.split(" ")
    if len(fields) != 5 or not croniter.is_valid(expression):
        raise ValueError(
            f"'{expression}' is not a cron expression of five fields "
            "(minute hour day-of-month month day-of-week), e.g. '0 9 * * MON'"
        )
    runs = croniter(expression, datetime(2026, 1, 1))
    previous = runs.get_next(datetime)
    for _ in range(200):
        following = runs.get_next(datetime)
        if following - previous < MIN_RECURRENCE_INTERVAL:
            minutes = int(MIN_RECURRENCE_INTERVAL.total_seconds() // 60)
            raise ValueError(
                f"'{expression}' runs more often than once every {minutes} minutes; "
                "each run messages the whole audience"
            )
        previous = following
    return expression


def next_occurrence(expression: str, after: datetime, zone: ZoneInfo) -> datetime:
    """Returns the first instant strictly after `after` matching the cron expression in `zone`'s
    wall-clock time. A wall time repeated by a fall-back runs once (its first instance); one
    skipped by a spring-forward runs at the same offset as before the change (PEP 495, fold=0)."""
    local_after = after.astimezone(zone).replace(tzinfo=None)
    runs = croniter(expression, local_after)
    for _ in range(1000):
        wall: datetime = runs.get_next(datetime)
        instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if instant > after:
            return instant
    raise ValueError(f"cron '{expression}' has no run after {after.isoformat()}")

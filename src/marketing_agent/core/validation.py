"""Bounded input types shared by every module's API, so a value the database cannot hold is a
422 at the edge, not a driver error (a 500) deep inside: ids that fit a 64-bit key, Telegram
chat ids, amounts, and IANA time-zone names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from annotated_types import Ge, Le
from pydantic import BeforeValidator

INT64_MAX = 2**63 - 1


def _not_a_bool(value: object) -> object:
    # JSON true/false is not a number, even though Python counts True as 1.
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


NotBool = BeforeValidator(_not_a_bool)

# A row id in a path, query or body: the keys are BIGINT (64-bit) and start at 1.
DbId = Annotated[int, Ge(1), Le(INT64_MAX), NotBool]
# An amount or counter stored in a BIGINT column (revenue in micro-dollars, ...).
NonNegativeInt64 = Annotated[int, Ge(0), Le(INT64_MAX), NotBool]
# A campaign's variants are keyed A, B, C, ... in order (their arms in its experiment): at most
# five. The strategist, the campaigns' schemas and the flows that store variants read it here.
VARIANT_KEYS = "ABCDE"
MAX_VARIANTS = len(VARIANT_KEYS)
VARIANT_KEY_PATTERN = r"^[A-E]$"
# A Telegram chat id: a person's id (positive) or a group's (negative); stored as BIGINT.
# Zero is refused where it is read (the schemas say why).
TelegramChatId = Annotated[int, Ge(-INT64_MAX), Le(INT64_MAX), NotBool]


def check_zone_name(name: str) -> str:
    """Returns `name` if it is a known IANA time zone; raises ValueError otherwise.

    ZoneInfo reads the zone database from files, so a folder ("Europe") raises OSError and a
    path ("../x") ValueError: both are unknown zones to the caller."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone '{name}', e.g. Europe/Berlin") from exc
    return name


def zone_named(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """Returns the IANA zone `name`; an empty or unknown name gives `fallback` (then UTC): a
    stored zone that is no longer known never stops a send."""
    for candidate in (name, fallback, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, "Europe"
            continue
    return ZoneInfo("UTC")


EARLIEST_YEAR, LATEST_YEAR = 1970, 2999


def check_plausible_time(value: datetime) -> datetime:
    """Returns `value` if it lies between 1970 and 2999; raises ValueError otherwise: at the ends
    of the calendar, adding a step or finding a cron's next run overflows."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


# A daily window of wall-clock time, "HH:MM-HH:MM" (send windows, quiet hours): the campaigns'
# schemas, the scheduler and the settings read it with these, so it is written one way.
_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
OFF_WORDS = frozenset({"", "off", "none", "false", "0"})  # "no window"


def parse_clock_time(value: str) -> time:
    """Returns the wall-clock time of "HH:MM" (24-hour); raises ValueError otherwise."""
    match = _CLOCK_TIME.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"'{value}' is not a time of day as HH:MM (00:00 to 23:59)")
    return time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class DailyWindow:
    """A daily span of wall-clock time, [start, end); it crosses midnight when end < start."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("start and end must differ (a window of no time, or of all day)")

    @classmethod
    def parse(cls, value: str) -> DailyWindow:
        """Returns the window written "HH:MM-HH:MM"; raises ValueError otherwise."""
        start, sep, end = value.partition("-")
        if not sep:
            raise ValueError(f"'{value}' is not a window as HH:MM-HH:MM, e.g. 21:00-09:00")
        return cls(parse_clock_time(start), parse_clock_time(end))

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_optional_window(value: str | None) -> DailyWindow | None:
    """Returns the window in `value`, or None when it is empty or "off"."""
    if value is None or value.strip().lower() in OFF_WORDS:
        return None
    return DailyWindow.parse(value)

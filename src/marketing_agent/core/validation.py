"""Bounded input types shared by every module's API, so a value the database cannot hold is a
422 at the edge, not a driver error (a 500) deep inside: ids that fit a 64-bit key, Telegram
chat ids, amounts, and IANA time-zone names."""

from __future__ import annotations

from datetime import datetime
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


EARLIEST_YEAR, LATEST_YEAR = 1970, 2999


def check_plausible_time(value: datetime) -> datetime:
    """Returns `value` if it lies between 1970 and 2999; raises ValueError otherwise: at the ends
    of the calendar, adding a step or finding a cron's next run overflows."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value

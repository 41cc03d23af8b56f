"""When a contact may be reached: send windows and quiet hours in each contact's own time zone
(pure functions of time and zone), and the first moment a campaign may reach a contact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core.db import in_chunks
from marketing_agent.core.validation import DailyWindow as DailyWindow
from marketing_agent.core.validation import parse_optional_window, zone_named
from marketing_agent.orchestrator.models import Contact

SEND_WINDOW = "send_window"


QUIET_HOURS = "quiet_hours"


_SEARCH_DAYS = 9  # any satisfiable rule opens within two days; DST days need a little more


@dataclass(frozen=True)
class SendRule:
    """When a campaign may reach a contact, in the contact's local time: inside the send window
    (any time of day when None) and outside quiet hours (none when None)."""

    window: DailyWindow | None = None
    quiet: DailyWindow | None = None

    @classmethod
    def parse(cls, send_window: str | None, quiet_hours: str | None) -> SendRule:
        """Returns the rule written as two "HH:MM-HH:MM" windows (None or "off": no limit)."""
        return cls(
            window=parse_optional_window(send_window), quiet=parse_optional_window(quiet_hours)
        )

    @classmethod
    def of(cls, campaign: Any) -> SendRule:
        """Returns the rule stored on a campaign row (or a row with the same two columns)."""
        return cls.parse(campaign.send_window, campaign.quiet_hours)

    def blocked_by(self, local: time) -> str | None:
        """Returns why nothing may be sent at local time `local` (a reason code), or None."""
        if self.window is not None and not self.window.contains(local):
            return SEND_WINDOW
        if self.quiet is not None and self.quiet.contains(local):
            return QUIET_HOURS
        return None

    def is_satisfiable(self) -> bool:
        """Returns whether any minute of the day is open (the window is not all quiet hours)."""
        return any(self.blocked_by(time(m // 60, m % 60)) is None for m in range(24 * 60))

    def next_send_time(self, at: datetime, zone: ZoneInfo) -> datetime:
        """Returns the first moment from `at` on when the contact's local time is open.

        Exact across DST: the clock can only enter an open span at a window's start, at the end
        of quiet hours (each wall time found with both folds), or at a zone's offset change.
        """
        if self.blocked_by(at.astimezone(zone).time()) is None:
            return at
        local_day = at.astimezone(zone).date()
        openings = [t for t in (self._window_start(), self._quiet_end()) if t is not None]
        candidates: list[datetime] = []
        for offset in range(-1, _SEARCH_DAYS + 1):
            day = local_day + timedelta(days=offset)
            for opening in openings:
                candidates.extend(_instants_of(day, opening, zone))
        for offset in range(-1, _SEARCH_DAYS + 1):
            candidates.extend(_offset_changes(zone.key, at.date() + timedelta(days=offset)))
        for candidate in sorted(candidates):
            if candidate > at and self.blocked_by(candidate.astimezone(zone).time()) is None:
                return candidate.astimezone(UTC)
        raise ValueError(f"no open time within {_SEARCH_DAYS} days for {self} in {zone.key}")

    def _window_start(self) -> time | None:
        return self.window.start if self.window is not None else None

    def _quiet_end(self) -> time | None:
        return self.quiet.end if self.quiet is not None else None


def _instants_of(day: date, wall: time, zone: ZoneInfo) -> list[datetime]:
    """Returns the UTC instants when `zone` shows `wall` on `day`: none in a spring-forward gap,
    two in a fall-back repeat, one otherwise."""
    naive = datetime.combine(day, wall)
    instants = []
    for fold in (0, 1):
        instant = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == naive and instant not in instants:
            instants.append(instant)
    return instants


@lru_cache(maxsize=8192)
def _offset_changes(zone_key: str, day: date) -> tuple[datetime, ...]:
    """Returns the instants during UTC day `day` when `zone_key` changes its UTC offset."""
    zone = ZoneInfo(zone_key)
    start = datetime.combine(day, time(), tzinfo=UTC)
    changes = []
    for step in range(8):  # three-hour steps: zones never change offset twice within that
        low, high = start + timedelta(hours=3 * step), start + timedelta(hours=3 * (step + 1))
        if low.astimezone(zone).utcoffset() == high.astimezone(zone).utcoffset():
            continue
        after = high.astimezone(zone).utcoffset()
        lo_s, hi_s = 0, 3 * 3600  # the change is in (low + lo_s, low + hi_s]
        while hi_s - lo_s > 1:
            mid = (lo_s + hi_s) // 2
            if (low + timedelta(seconds=mid)).astimezone(zone).utcoffset() == after:
                hi_s = mid
            else:
                lo_s = mid
        changes.append(low + timedelta(seconds=hi_s))
    return tuple(changes)


def first_send_time(
    rule: SendRule, at: datetime, zone_name: str | None, fallback: str
) -> tuple[datetime | None, str | None]:
    """Returns (not_before, reason) for a contact in `zone_name` (else `fallback`): (None, None)
    when it may be reached at `at`, else the first open moment and why it waits until then."""
    zone = zone_named(zone_name, fallback)
    reason = rule.blocked_by(at.astimezone(zone).time())
    if reason is None:
        return None, None
    return rule.next_send_time(at, zone), reason


async def contact_zones(session: AsyncSession, contact_ids: Iterable[int]) -> dict[int, str]:
    """Returns the time zone name of each of these contacts that has one."""
    return await _contact_zones(session, set(contact_ids))


async def _contact_zones(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    zones: dict[int, str] = {}
    ordered = sorted(ids)
    for chunk in in_chunks(ordered):
        rows = await session.execute(
            select(Contact.id, Contact.timezone).where(
                Contact.id.in_(chunk), Contact.timezone.is_not(None)
            )
        )
        zones.update({cid: tz for cid, tz in rows if tz})
    return zones

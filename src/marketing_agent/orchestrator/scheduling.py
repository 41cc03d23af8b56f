"""When a message may go out: send windows and quiet hours in each contact's own time zone, the
per-contact frequency cap across campaigns, and the next run of a recurring (cron) campaign.

The rules are pure functions of time and zone; `hold_unsendable` applies them to a worker's
chunk at send time with a few bulk queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core import clock
from marketing_agent.core.db import in_chunks
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.core.validation import DailyWindow as DailyWindow
from marketing_agent.core.validation import parse_optional_window
from marketing_agent.orchestrator import queue
from marketing_agent.orchestrator.models import Campaign, Contact, Delivery

log = get_logger(__name__)
SEND_WINDOW = "send_window"
QUIET_HOURS = "quiet_hours"
FREQUENCY_CAP = "frequency_cap"
_CAP_LOCK_SPACE = 0x4D41  # "MA": pg_advisory_xact_lock(space, contact) of the frequency cap
_SEARCH_DAYS = 9  # any satisfiable rule opens within two days; DST days need a little more


# Daily windows (DailyWindow and its parsers live in core.validation: the settings check quiet
# hours with them too) and time zones ------------------------------------------------------------


def zone_named(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """Returns the IANA zone `name`; an empty or unknown name gives `fallback` (then UTC)."""
    for candidate in (name, fallback, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, "Europe"
            continue
    return ZoneInfo("UTC")


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


# Frequency cap --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrequencyCap:
    """At most `count` messages of `purpose` per contact in any rolling `days`; 0 disables."""

    count: int
    days: float
    purpose: str = "marketing"

    @classmethod
    def from_settings(cls, settings: Settings) -> FrequencyCap:
        return cls(count=settings.frequency_cap_count, days=settings.frequency_cap_days)

    @property
    def enabled(self) -> bool:
        return self.count > 0 and self.days > 0


# Send-time holds ------------------------------------------------------------------------------


class SendJob(Protocol):
    """What the worker knows about a claimed delivery (queue.ClaimedDelivery)."""

    @property
    def id(self) -> int: ...

    @property
    def campaign_id(self) -> int: ...

    @property
    def contact_id(self) -> int: ...


@dataclass(frozen=True)
class Hold:
    """Why a claimed delivery must not be sent now: it waits until `until`, or, when `until` is
    None, it is skipped for good."""

    reason: str
    until: datetime | None = None

    def change(self, attempts: int) -> dict[str, Any]:
        """Returns the delivery's new columns; `attempts` counts the claim it was held at."""
        if self.until is None:
            return {"status": queue.SKIPPED, "reason": self.reason}
        return queue.put_back(attempts, until=self.until, reason=self.reason)


async def hold_unsendable(
    session: AsyncSession, jobs: Sequence[SendJob], *, cap: FrequencyCap | None = None
) -> dict[int, Hold]:
    """Returns, per delivery id of the chunk, why it must not go out now: its contact's local
    time is outside the campaign's send window or inside quiet hours (it waits for the next
    opening), or the contact has had `cap.count` marketing messages in the rolling window (it
    is skipped). Deliveries of campaigns that may not send are left to the worker."""
    if not jobs:
        return {}
    now = clock.now()
    campaigns = await _running_campaigns(session, {j.campaign_id for j in jobs})
    live = [j for j in jobs if j.campaign_id in campaigns]
    zones = await _contact_zones(session, {j.contact_id for j in live})
    holds: dict[int, Hold] = {}
    waits: dict[tuple[int, str | None], tuple[datetime | None, str | None]] = {}
    for job in live:
        campaign, zone = campaigns[job.campaign_id], zones.get(job.contact_id)
        if (job.campaign_id, zone) not in waits:  # one computation per campaign and zone
            waits[job.campaign_id, zone] = first_send_time(campaign.rule, now, zone, campaign.zone)
        until, reason = waits[job.campaign_id, zone]
        if until is not None and reason is not None:
            holds[job.id] = Hold(reason=reason, until=until)
    cap = cap or FrequencyCap.from_settings(Settings())
    capped = [
        j for j in live if j.id not in holds and campaigns[j.campaign_id].purpose == cap.purpose
    ]
    for delivery_id in await _over_frequency_cap(session, capped, cap, now):
        holds[delivery_id] = Hold(reason=FREQUENCY_CAP)
    return holds


@dataclass(frozen=True)
class _LiveCampaign:
    rule: SendRule
    zone: str  # for contacts without a (known) zone of their own
    purpose: str


async def _running_campaigns(session: AsyncSession, ids: set[int]) -> dict[int, _LiveCampaign]:
    rows = await session.execute(
        select(
            Campaign.id,
            Campaign.send_window,
            Campaign.quiet_hours,
            Campaign.timezone,
            Campaign.purpose,
        ).where(Campaign.id.in_(ids), Campaign.status.in_(queue.CLAIMABLE_CAMPAIGNS))
    )
    return {
        row.id: _LiveCampaign(
            rule=SendRule.of(row), zone=row.timezone or "UTC", purpose=row.purpose
        )
        for row in rows
    }


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


async def _over_frequency_cap(
    session: AsyncSession, jobs: Sequence[SendJob], cap: FrequencyCap, now: datetime
) -> list[int]:
    """Returns the deliveries that would take their contact over the cap, in one query.

    A contact's messages in the window are those sent (or maybe sent: in doubt) since
    `now - days`, and those other chunks hold in `sending`. On PostgreSQL a transaction lock per
    contact first serialises chunks that share contacts (the claim and this check are one
    transaction), so concurrent workers cannot both let a contact's last slot through; on SQLite
    the claim's write lock does that already.
    """
    if not jobs or not cap.enabled:
        return []
    contact_ids = sorted({j.contact_id for j in jobs})
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(:space, k) FROM"
                " (SELECT k FROM unnest(CAST(:keys AS integer[])) AS k ORDER BY k) AS ordered"
            ),
            {"space": _CAP_LOCK_SPACE, "keys": sorted({c % 2**31 for c in contact_ids})},
        )
    since = now - timedelta(days=cap.days)
    rows = await session.execute(
        select(Delivery.contact_id, func.count())
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(
            Delivery.contact_id.in_(contact_ids),
            Campaign.purpose == cap.purpose,
            or_(
                and_(Delivery.status == queue.SENT, Delivery.sent_at >= since),
                and_(
                    Delivery.status.in_((queue.SENDING, queue.IN_DOUBT)),
                    Delivery.updated_at >= since,
                    Delivery.id.not_in([j.id for j in jobs]),
                ),
            ),
        )
        .group_by(Delivery.contact_id)
    )
    used: dict[int, int] = {contact_id: n for contact_id, n in rows}
    over = []
    for job in sorted(jobs, key=lambda j: j.id):
        if used.get(job.contact_id, 0) >= cap.count:
            over.append(job.id)
        else:
            used[job.contact_id] = used.get(job.contact_id, 0) + 1
    return over

"""Account health: what a sender's sends came back with (FloodWaits, PEER_FLOOD and other spam
restrictions, people who blocked it, opt-outs, replies calling it spam), a score per thousand
messages, and the pause rule
that stops an unhealthy sender until it cools down.

The rule only ever slows or stops a sender. Nothing here moves a refused send to another account
or varies texts to get past Telegram's anti-spam: a sender that Telegram restricts waits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from marketing_agent.safety.models import SenderCooldown, SenderOutcomeTally

# The window the score and the rule look at, and the sends needed before rates mean anything.
WINDOW = timedelta(hours=24)
MIN_SENDS_FOR_RATES = 100
# The pause rule, per thousand messages of the window (since the last cool-down ended):
PEER_FLOOD_COOLDOWN = timedelta(hours=24)  # any PEER_FLOOD / spam restriction: a day's rest
FLOOD_WAITS_MAX = 10  # FloodWaits (episodes, see SendTally.note) in the window: an hour's rest
FLOOD_WAIT_COOLDOWN = timedelta(hours=1)
BLOCKED_PER_1000_MAX = 30.0  # people blocking the sender: the audience does not want it
OPT_OUTS_PER_1000_MAX = 50.0
SPAM_REPLIES_PER_1000_MAX = 10.0  # people answering "spam" or "I reported you"
AUDIENCE_COOLDOWN = timedelta(hours=6)
# A user account sends at most this many messages a UTC day unless its profile says otherwise:
# Telegram bans accounts for bulk messaging long before any published limit.
USER_ACCOUNT_DAILY_CAP = 50
# Reasons a transport gives for a sender-level refusal that means "Telegram thinks this is spam".
SPAM_RESTRICTIONS = frozenset({"peer_flood", "spam_restricted", "banned", "banned_in_groups"})
# Reasons of a permanent refusal that mean the person blocked the sender (403 Forbidden).
BLOCKED_REASONS = ("blocked", "forbidden", "bot_was_blocked", "user_is_deactivated")

Badge = Literal["good", "warning", "poor", "cooling_down"]


@dataclass
class SendTally:
    """What one chunk's sends of one sender came back with, counted as they return."""

    sent: int = 0
    flood_waits: int = 0
    peer_floods: int = 0
    blocked: int = 0
    failed: int = 0
    spam_replies: int = 0
    reasons: set[str] = field(default_factory=set)
    # Until when the last FloodWait counted holds: the requests already in flight when Telegram
    # said "too fast" come back refused too, and they are that one FloodWait, not more.
    flood_until: datetime | None = None

    def note(
        self,
        status: str,
        reason: str | None,
        *,
        at: datetime | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        """Counts one send's outcome (a transport's SendStatus value and reason). A FloodWait
        answered `at` a time within the wait of the last one counted is the same episode (a
        burst of requests in flight, refused together) and is not counted again."""
        reason = (reason or "").lower()
        if status == "sent":
            self.sent += 1
        elif status == "retry_after":
            if at is not None and self.flood_until is not None and at < self.flood_until:
                return
            self.flood_waits += 1
            if at is not None:
                self.flood_until = at + timedelta(seconds=max(retry_after_s or 0.0, 1.0))
        elif status == "sender_unhealthy" and reason in SPAM_RESTRICTIONS:
            self.peer_floods += 1
            self.reasons.add(reason)
        elif status == "permanent" and any(word in reason for word in BLOCKED_REASONS):
            self.blocked += 1
        elif status == "permanent":
            self.failed += 1

    def __bool__(self) -> bool:
        return bool(
            self.sent
            or self.flood_waits
            or self.peer_floods
            or self.blocked
            or self.failed
            or self.spam_replies
        )


@dataclass(frozen=True)
class HealthFigures:
    """A sender's counts over the window, and the rates per thousand messages sent."""

    sent: int
    flood_waits: int
    peer_floods: int
    blocked: int
    failed: int
    opt_outs: int
    sent_today: int
    spam_replies: int = 0

    @property
    def attempts(self) -> int:
        """Messages Telegram answered for: sent, or refused for the recipient."""
        return self.sent + self.blocked + self.failed

    def per_1000(self, count: int) -> float:
        """Returns `count` per thousand messages attempted in the window."""
        return round(1000.0 * count / self.attempts, 2) if self.attempts else 0.0


@dataclass(frozen=True)
class Verdict:
    """The score (0-100), the badge, and why a cool-down is due (None: none is)."""

    score: int
    badge: Badge
    cooldown_reason: str | None = None
    cooldown_for: timedelta | None = None
    cooldown_until: datetime | None = None


def hour_of(at: datetime) -> datetime:
    """Returns the start of the hour bucket `at` is counted in."""
    return at.replace(minute=0, second=0, microsecond=0)


async def add_tally(
    session: AsyncSession, *, sender_id: int, tally: SendTally, now: datetime
) -> None:
    """Adds a chunk's outcomes to the sender's hour bucket (an upsert: any number of workers)."""
    values = {
        "sender_id": sender_id,
        "hour": hour_of(now),
        "sent": tally.sent,
        "flood_waits": tally.flood_waits,
        "peer_floods": tally.peer_floods,
        "blocked": tally.blocked,
        "failed": tally.failed,
        "spam_replies": tally.spam_replies,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(SenderOutcomeTally).values(**values)
    table = SenderOutcomeTally.__table__.c
    counters = ("sent", "flood_waits", "peer_floods", "blocked", "failed", "spam_replies")
    statement = statement.on_conflict_do_update(
        index_elements=["sender_id", "hour"],
        set_={name: table[name] + statement.excluded[name] for name in counters},
    )
    await session.execute(statement)


async def figures(
    session: AsyncSession,
    *,
    sender_id: int,
    now: datetime,
    since: datetime | None = None,
    count_opt_outs: Callable[[datetime], Awaitable[int]] | None = None,
) -> HealthFigures:
    """Returns the sender's counts over the window: after a cool-down ended (`since`), only the
    hour buckets after the one it ended in, so what caused it is never counted again (the
    sends of that hour are not counted either: the price of hourly buckets)."""
    start = hour_of(now - WINDOW)
    if since is not None and hour_of(since) + timedelta(hours=1) > start:
        start = hour_of(since) + timedelta(hours=1)
    t = SenderOutcomeTally
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(t.sent), 0),
                func.coalesce(func.sum(t.flood_waits), 0),
                func.coalesce(func.sum(t.peer_floods), 0),
                func.coalesce(func.sum(t.blocked), 0),
                func.coalesce(func.sum(t.failed), 0),
                func.coalesce(func.sum(t.spam_replies), 0),
            ).where(t.sender_id == sender_id, t.hour >= start)
        )
    ).one()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = await session.scalar(
        select(func.coalesce(func.sum(t.sent), 0)).where(t.sender_id == sender_id, t.hour >= day)
    )
    opt_outs = await count_opt_outs(start) if count_opt_outs is not None else 0
    sent, flood_waits, peer_floods, blocked, failed, spam_replies = (int(v) for v in row)
    return HealthFigures(
        sent=sent,
        flood_waits=flood_waits,
        peer_floods=peer_floods,
        blocked=blocked,
        failed=failed,
        opt_outs=opt_outs,
        sent_today=int(today or 0),
        spam_replies=spam_replies,
    )


def judge(
    numbers: HealthFigures, *, user_account: bool, now: datetime, daily_cap: int | None = None
) -> Verdict:
    """Returns the score and badge of `numbers`, and the cool-down the pause rule asks for."""
    blocked = numbers.per_1000(numbers.blocked)
    opt_outs = numbers.per_1000(numbers.opt_outs)
    spam = numbers.per_1000(numbers.spam_replies)
    rated = numbers.attempts >= MIN_SENDS_FOR_RATES
    penalty = 40 * numbers.peer_floods + 3 * numbers.flood_waits
    if rated:  # a spam complaint weighs like three blocks: it is what Telegram's reports count
        penalty += int(blocked) + int(opt_outs / 2) + int(3 * spam)
    score = max(0, min(100, 100 - penalty))
    badge: Badge = "good" if score >= 80 else "warning" if score >= 50 else "poor"
    cap = USER_ACCOUNT_DAILY_CAP if daily_cap is None else daily_cap
    reason, length = _cooldown_of(numbers, rated, blocked, opt_outs, spam)
    if reason is None and user_account and cap and numbers.sent_today >= cap:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        reason, length = f"daily cap of {cap} messages reached (user account)", midnight - now
    if reason is None or length is None:
        return Verdict(score=score, badge=badge)
    return Verdict(
        score=score,
        badge="cooling_down",
        cooldown_reason=reason,
        cooldown_for=length,
        cooldown_until=now + length,
    )


def _cooldown_of(
    numbers: HealthFigures, rated: bool, blocked: float, opt_outs: float, spam: float
) -> tuple[str | None, timedelta | None]:
    if numbers.peer_floods:
        return "Telegram restricted the sender for spam (PEER_FLOOD)", PEER_FLOOD_COOLDOWN
    if numbers.flood_waits >= FLOOD_WAITS_MAX:
        return f"{numbers.flood_waits} FloodWaits within 24 hours", FLOOD_WAIT_COOLDOWN
    if rated and blocked >= BLOCKED_PER_1000_MAX:
        return f"{blocked:g} blocks per 1000 messages", AUDIENCE_COOLDOWN
    if rated and spam >= SPAM_REPLIES_PER_1000_MAX:
        return f"{spam:g} spam-like replies per 1000 messages", AUDIENCE_COOLDOWN
    if rated and opt_outs >= OPT_OUTS_PER_1000_MAX:
        return f"{opt_outs:g} opt-outs per 1000 messages", AUDIENCE_COOLDOWN
    return None, None


async def cooldown_of(session: AsyncSession, *, sender_id: int) -> SenderCooldown | None:
    """Returns the sender's latest cool-down (running or ended), or None."""
    return await session.get(SenderCooldown, sender_id)


async def claim_elapsed_cooldowns(session: AsyncSession, *, now: datetime) -> list[SenderCooldown]:
    """Marks the cool-downs whose time ran out as ended and returns them; a row is claimed by
    one caller only (the update's condition), however many workers and schedulers run."""
    due = (
        await session.scalars(
            select(SenderCooldown).where(
                SenderCooldown.ended_at.is_(None), SenderCooldown.until <= now
            )
        )
    ).all()
    claimed = []
    for row in due:
        result = await session.execute(
            update(SenderCooldown)
            .where(SenderCooldown.sender_id == row.sender_id, SenderCooldown.ended_at.is_(None))
            .values(ended_at=row.until)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            set_committed_value(row, "ended_at", row.until)
            claimed.append(row)
    return claimed


async def start_cooldown(
    session: AsyncSession, *, sender_id: int, reason: str, now: datetime, until: datetime
) -> SenderCooldown:
    """Stops the sender until `until`; its rows keep `started_at` for the next window."""
    row = await session.get(SenderCooldown, sender_id)
    if row is None:
        row = SenderCooldown(sender_id=sender_id)
        session.add(row)
    row.reason, row.started_at, row.until, row.ended_at = reason[:255], now, until, None
    await session.flush()
    return row

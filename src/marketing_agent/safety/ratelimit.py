"""The sender rate limiter: paces one sender so that none of Telegram's limits is ever broken.

Every limit of the sender's profile holds at once: the global rate as smooth spacing (30 sent at
the end of one second and 30 at the start of the next would break the window spanning both), one
message per chat every `private_per_chat_s`, and `group_per_min` per group in any sliding minute.
A FloodWait pauses the whole sender for exactly the time Telegram asked, and, since it means our
model of the limit was wrong, lowers the rate we use for that sender (`LearnedRate`): by 10 % a
FloodWait, never below half the profile's rate, recovering towards the full rate with a half-life
of an hour without FloodWaits.

This file keeps the limits inside one process (the embedded default); `ratelimit_redis.py` keeps
the same limits for every worker process at once through Redis (scale mode).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from marketing_agent.core.clock import Clock, VirtualClock, get_clock
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram.profiles import SenderProfile

log = get_logger(__name__)

# Each spacing is widened by this much so float noise in clock arithmetic can never put two
# sends a hair closer than a limit allows; at 30/s it costs 0.003 % of the rate.
_MARGIN_S = 1e-6
# A sleeper that wakes this close to its time is on time (a sleep may end an ulp early).
_TOLERANCE_S = 1e-9
_GROUP_WINDOW_S = 60.0
# On the real clock a granted send reaches Telegram a few microseconds later, by a varying
# amount; spacing sends 0.2 % wider keeps a 30-message window 2 ms clear of that jitter.
_REAL_CLOCK_MARGIN_SHARE = 0.002
_GROUP_KINDS = frozenset({"group", "supergroup", "channel"})
_PRUNE_START = 10_000
# What one FloodWait teaches: the rate we use drops by this factor, never below the floor, and
# the lost share comes back with this half-life once FloodWaits stop.
FLOOD_WAIT_RATE_STEP = 0.9
MIN_RATE_SHARE = 0.5
RATE_RECOVERY_HALF_LIFE_S = 3600.0


@dataclass(frozen=True)
class LearnedRate:
    """The share of its profile's global rate a sender keeps after FloodWaits, as learned."""

    share: float = 1.0
    learned_at: datetime | None = None
    flood_waits: int = 0

    def share_at(self, now: datetime) -> float:
        """Returns the share in force at `now`: the lost part recovers with a half-life."""
        if self.share >= 1.0 or self.learned_at is None:
            return 1.0
        elapsed_s = max((now - self.learned_at).total_seconds(), 0.0)
        lost: float = (1.0 - self.share) * 0.5 ** (elapsed_s / RATE_RECOVERY_HALF_LIFE_S)
        return 1.0 - lost

    def after_flood_wait(self, now: datetime) -> LearnedRate:
        """Returns what a new FloodWait at `now` teaches: a lower share, bounded below."""
        share = max(MIN_RATE_SHARE, self.share_at(now) * FLOOD_WAIT_RATE_STEP)
        return LearnedRate(share=share, learned_at=now, flood_waits=self.flood_waits + 1)


class SenderLimiter(Protocol):
    """What the delivery worker needs of one sender's limits, in one process or shared."""

    profile: SenderProfile

    async def acquire(
        self, chat_id: int, chat_kind: str = "private", *, max_wait_s: float | None = None
    ) -> float | None:
        """Waits for a slot and takes it (None), or returns how long until the chat is ready
        when that is more than `max_wait_s` (nothing taken)."""
        ...

    async def flood_wait(self, seconds: float) -> LearnedRate:
        """Pauses the sender for `seconds` and learns a lower rate; returns what was learned."""
        ...

    async def learned(self) -> LearnedRate:
        """Returns the rate learned so far."""
        ...


class RateLimits(Protocol):
    """Hands out one limiter per sender."""

    def limiter(
        self, sender_id: int, profile: SenderProfile, learned: LearnedRate | None = None
    ) -> SenderLimiter:
        """Returns the sender's limiter; `learned` seeds a new one with a stored rate."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class _Reservation:
    """A slot taken for one send, with what is needed to give it back."""

    chat_id: int
    group: bool
    slot: float
    previous: float | None  # the chat's last slot before this one (private chats)


class SenderRateLimiter:
    """Keeps every limit of one sender's profile; one instance per sender per process."""

    def __init__(
        self,
        profile: SenderProfile,
        clock: Clock | None = None,
        learned: LearnedRate | None = None,
    ) -> None:
        if profile.global_per_s <= 0 or profile.group_per_min <= 0:
            raise ValueError("a profile's rates must be positive")
        self.profile = profile
        self._clock_override = clock
        margin_s = _MARGIN_S
        if not isinstance(clock or get_clock(), VirtualClock):
            margin_s = max(_MARGIN_S, _REAL_CLOCK_MARGIN_SHARE / profile.global_per_s)
        self._margin_s = margin_s
        self._learned = learned or LearnedRate()
        self._interval_s = 1.0 / profile.global_per_s + margin_s
        self._apply_learned()
        self._chat_gap_s = profile.private_per_chat_s + _MARGIN_S
        self._next_global = -math.inf
        self._paused_until = -math.inf
        self._chat_last: dict[int, float] = {}
        self._group_slots: dict[int, deque[float]] = {}
        self._prune_at = _PRUNE_START

    @property
    def paused_until(self) -> datetime | None:
        """Returns when the current pause ends, or None when the sender is not paused."""
        time = self._time()
        remaining = self._paused_until - time.monotonic()
        if remaining <= 0:
            return None
        return time.now() + timedelta(seconds=remaining)

    async def flood_wait(self, seconds: float) -> LearnedRate:
        """Pauses the sender for `seconds` and lowers the rate it is paced at (see the top)."""
        self.pause(seconds)
        self._learned = self._learned.after_flood_wait(self._time().now())
        self._apply_learned()
        log.warning(
            "ratelimit.rate_lowered",
            profile=self.profile.name,
            share=round(self._learned.share, 4),
            flood_waits=self._learned.flood_waits,
        )
        return self._learned

    async def learned(self) -> LearnedRate:
        return self._learned

    @property
    def rate_per_s(self) -> float:
        """Returns the global rate this limiter paces at now (the profile's, or less)."""
        return 1.0 / self._interval_s

    def _apply_learned(self) -> None:
        share = self._learned.share_at(self._time().now())
        self._interval_s = 1.0 / (self.profile.global_per_s * share) + self._margin_s

    def pause(self, seconds: float) -> None:
        """Pauses the whole sender for `seconds` from now (a FloodWait's retry_after)."""
        until = self._time().monotonic() + max(seconds, 0.0)
        if until > self._paused_until:
            self._paused_until = until
            log.info("ratelimit.paused", profile=self.profile.name, seconds=seconds)

    async def acquire(
        self, chat_id: int, chat_kind: str = "private", *, max_wait_s: float | None = None
    ) -> float | None:
        """Waits until a message to `chat_id` may be sent and takes that slot (returns None).

        With `max_wait_s`, a chat (or a paused sender) that is not ready within that time is not
        waited for: nothing is taken and the seconds until it is ready are returned, so the
        caller can send to other chats meanwhile. The wait for the global slot always counts.
        """
        group = _is_group(chat_kind)
        time = self._time()
        while True:
            now = time.monotonic()
            ready = self._ready_at(chat_id, group, now)
            if ready - now > _TOLERANCE_S:
                if max_wait_s is not None and ready - now > max_wait_s:
                    return ready - now
                await time.sleep(ready - now)
                continue
            if self._learned.share < 1.0:
                self._apply_learned()  # the learned share recovers as time passes
            reservation = self._reserve(chat_id, group, now)
            try:
                if reservation.slot - now > _TOLERANCE_S:
                    await time.sleep(reservation.slot - now)
            except BaseException:  # cancelled while waiting: the slot goes back
                self._release(reservation)
                raise
            if reservation.slot >= self._paused_until - _TOLERANCE_S:
                self._settle(reservation, time.monotonic())
                return None
            # A FloodWait arrived while we waited for the slot: queue again behind the pause.
            self._release(reservation)

    def _ready_at(self, chat_id: int, group: bool, now: float) -> float:
        """Returns the earliest time the chat's own limits and any pause allow a send."""
        ready = self._paused_until
        if not group:
            last = self._chat_last.get(chat_id)
            return ready if last is None else max(ready, last + self._chat_gap_s)
        slots = self._group_slots.get(chat_id)
        if not slots:
            return ready
        while slots and slots[0] + _GROUP_WINDOW_S + _MARGIN_S <= now:
            slots.popleft()
        if slots:
            ready = max(ready, slots[-1] + self._chat_gap_s)
        if len(slots) >= self.profile.group_per_min:
            oldest_in_window = slots[-self.profile.group_per_min]
            ready = max(ready, oldest_in_window + _GROUP_WINDOW_S + _MARGIN_S)
        return ready

    def _reserve(self, chat_id: int, group: bool, now: float) -> _Reservation:
        """Takes the next global slot; the caller has checked the chat is ready by `now`."""
        slot = max(now, self._next_global)
        self._next_global = slot + self._interval_s
        previous = None
        if group:
            self._group_slots.setdefault(chat_id, deque()).append(slot)
        else:
            previous = self._chat_last.get(chat_id)
            self._chat_last[chat_id] = slot
        self._prune(now)
        return _Reservation(chat_id=chat_id, group=group, slot=slot, previous=previous)

    def _settle(self, reservation: _Reservation, granted: float) -> None:
        """Moves a slot to when it was really granted: a sleeper woken late (a busy event loop
        on the real clock) must push the following slots back, or they would bunch up behind it
        and break the one-second window that Telegram measures on arrival."""
        late = granted - reservation.slot
        if late <= _TOLERANCE_S:
            return
        self._next_global = max(self._next_global, granted + self._interval_s)
        if reservation.group:
            slots = self._group_slots.get(reservation.chat_id)
            if slots and slots[-1] == reservation.slot:
                slots[-1] = granted
        elif self._chat_last.get(reservation.chat_id) == reservation.slot:
            self._chat_last[reservation.chat_id] = granted

    def _release(self, reservation: _Reservation) -> None:
        """Gives a chat slot back; the global slot stays spent, which is only ever slower."""
        chat_id = reservation.chat_id
        if reservation.group:
            slots = self._group_slots.get(chat_id)
            if slots is not None and reservation.slot in slots:
                slots.remove(reservation.slot)
            return
        if self._chat_last.get(chat_id) != reservation.slot:
            return  # a later send to this chat was reserved after it; leave its spacing alone
        if reservation.previous is None:
            del self._chat_last[chat_id]
        else:
            self._chat_last[chat_id] = reservation.previous

    def _prune(self, now: float) -> None:
        """Forgets chats whose last send can no longer constrain anything (bounds memory)."""
        if len(self._chat_last) + len(self._group_slots) <= self._prune_at:
            return
        self._chat_last = {
            chat: last for chat, last in self._chat_last.items() if last + self._chat_gap_s > now
        }
        self._group_slots = {
            chat: slots
            for chat, slots in self._group_slots.items()
            if slots and slots[-1] + _GROUP_WINDOW_S + _MARGIN_S > now
        }
        self._prune_at = max(_PRUNE_START, 2 * (len(self._chat_last) + len(self._group_slots)))

    def _time(self) -> Clock:
        return self._clock_override or get_clock()


def _is_group(chat_kind: str) -> bool:
    if chat_kind == "private":
        return False
    if chat_kind in _GROUP_KINDS:
        return True
    raise ValueError(f"unknown chat kind '{chat_kind}'")


class LocalRateLimits:
    """Limiters kept in this process: right when one process sends for each sender."""

    def __init__(self) -> None:
        self._limiters: dict[int, SenderRateLimiter] = {}

    def limiter(
        self, sender_id: int, profile: SenderProfile, learned: LearnedRate | None = None
    ) -> SenderRateLimiter:
        limiter = self._limiters.get(sender_id)
        if limiter is None or limiter.profile != profile:
            limiter = self._limiters[sender_id] = SenderRateLimiter(profile, learned=learned)
        return limiter

    async def close(self) -> None:
        self._limiters.clear()


class UnlimitedSender:
    """No limits at all: only for measuring the pipeline's own speed (benchmarks)."""

    def __init__(self, profile: SenderProfile) -> None:
        self.profile = profile

    async def acquire(
        self, chat_id: int, chat_kind: str = "private", *, max_wait_s: float | None = None
    ) -> float | None:
        return None

    async def flood_wait(self, seconds: float) -> LearnedRate:
        return LearnedRate()

    async def learned(self) -> LearnedRate:
        return LearnedRate()


class NoRateLimits:
    """Hands out `UnlimitedSender`s (benchmarks of the pipeline, never production)."""

    def limiter(
        self, sender_id: int, profile: SenderProfile, learned: LearnedRate | None = None
    ) -> UnlimitedSender:
        return UnlimitedSender(profile)

    async def close(self) -> None:
        return None

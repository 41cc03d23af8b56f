"""The sender rate limiter: paces one sender so that none of Telegram's limits is ever broken
where Telegram counts them, on arrival at its servers.

Every limit of the sender's profile holds at once: the global rate in Telegram's sliding window
(30 in any second for a bot), one message per chat every `private_per_chat_s`, and
`group_per_min` per group in any sliding minute. The limiter keeps, for each send, a bound on when
it arrived at Telegram (`_Entry.arrival`) and grants a new send only when the windows counted on
those bounds have room. The bound is what makes the limit hold at the server and not only at the
client: a granted request reaches Telegram after a transit time that varies by milliseconds on
the real clock, so two sends spaced exactly one window apart at the client can land less than
one window apart at the server.

- While a request is under way its arrival is bounded by its grant plus an allowance: the largest
  transit excess seen lately (`TransitEstimate`), plus a margin.
- Once its answer is back (`sent()`), the answer's time bounds the arrival from above; the part of
  the round trip spent coming back (at least most of the fastest round trip seen) is taken off.
  So the window is kept at what Telegram observed, at a cost of about a millisecond a second.
- A sender that was idle catches up within the window (a few sends close together, never more
  than the window allows), so the pauses of the pipeline between chunks are not lost.

A FloodWait pauses the whole sender for exactly the time Telegram asked and widens the margin at
once (the cheap explanation: transit was noisier than measured). Only repeated evidence, a second
FloodWait within `EVIDENCE_WINDOW_S` of the previous one, lowers the rate itself (`LearnedRate`):
by 10 %, never below half the profile's rate, and the lost share comes back with a half-life of a
minute. The FloodWaits of requests already under way when the first one came are the same event.

This file keeps the limits inside one process (the embedded default); `ratelimit_redis.py` keeps
the same limits for every worker process at once through Redis (scale mode).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from marketing_agent.core.clock import Clock, VirtualClock, get_clock
from marketing_agent.core.logging import get_logger

if TYPE_CHECKING:  # safety paces telegram's senders; the profile is telegram's read type
    from marketing_agent.telegram import service as telegram

log = get_logger(__name__)

# Each window is widened by this much so float noise in clock arithmetic can never put two
# sends a hair closer than a limit allows (virtual clock), or so that a sleeper woken up to
# this late may still use its slot (real clock); later than that, it queues again.
_MARGIN_S = 1e-6
_REAL_LATE_S = 0.002
# A sleeper that wakes this close to its time is on time (a sleep may end an ulp early).
_TOLERANCE_S = 1e-9
_GROUP_WINDOW_S = 60.0
_GROUP_KINDS = frozenset({"group", "supergroup", "channel"})
_PRUNE_START = 10_000
# Catching up after idle time: at most this share of the window's sends close together, at
# least this share of the steady spacing apart.
BURST_SHARE = 0.25
BURST_SPACING_SHARE = 0.25
# What FloodWaits teach: a second one within the evidence window lowers the rate we use by the
# step, never below the floor, and the lost share comes back with this half-life.
FLOOD_WAIT_RATE_STEP = 0.9
MIN_RATE_SHARE = 0.5
RATE_RECOVERY_HALF_LIFE_S = 60.0
EVIDENCE_WINDOW_S = 600.0
# FloodWaits answered within this long after a pause ended belong to the same event (their
# requests were under way when the first came back).
_SAME_EVENT_S = 1.0


@dataclass(frozen=True)
class LearnedRate:
    """The share of its profile's global rate a sender keeps after FloodWaits, as learned."""

    share: float = 1.0
    learned_at: datetime | None = None  # the latest FloodWait
    flood_waits: int = 0

    def share_at(self, now: datetime) -> float:
        """Returns the share in force at `now`: the lost part recovers with a half-life."""
        if self.share >= 1.0 or self.learned_at is None:
            return 1.0
        elapsed_s = max((now - self.learned_at).total_seconds(), 0.0)
        lost: float = (1.0 - self.share) * 0.5 ** (elapsed_s / RATE_RECOVERY_HALF_LIFE_S)
        return 1.0 - lost

    def after_flood_wait(self, now: datetime) -> LearnedRate:
        """Returns what a new FloodWait at `now` teaches: a lower share only when it repeats one
        of the evidence window, bounded below; a single one lowers nothing."""
        share = self.share_at(now)
        if self.learned_at is not None:
            since_s = (now - self.learned_at).total_seconds()
            if 0.0 <= since_s <= EVIDENCE_WINDOW_S:
                share = max(MIN_RATE_SHARE, share * FLOOD_WAIT_RATE_STEP)
        return LearnedRate(share=share, learned_at=now, flood_waits=self.flood_waits + 1)


# -- transit time ------------------------------------------------------------------------------

# Before any answer came back, a request's transit may exceed the fastest by this much.
_DEFAULT_EXCESS_S = 0.010
_EXCESS_HALF_LIFE_S = 20.0  # the largest excess seen is forgotten this slowly
_MAX_EXCESS_S = 1.0
# Of the fastest round trip seen, this share is taken to be spent on the way back.
RETURN_SHARE = 0.5
_BASE_MARGIN_S = 0.0005
_WIDENED_MARGIN_S = (0.005, 0.1)  # what a FloodWait widens the margin to, at least / at most
_MARGIN_HALF_LIFE_S = 120.0
_RTT_BUCKET = 32  # round trips per bucket of the running minimum
# A request unanswered for longer than its allowance may arrive at any moment: its bound moves
# with the clock, for at most this long (a grant whose answer nobody reports, because it was
# not sent after all or its caller does not call `sent`, is let go then).
_MAX_UNANSWERED_S = 2.0
_RTT_BUCKETS = 8


@dataclass
class TransitEstimate:
    """What one process knows of the time from granting a send to its arrival at Telegram: the
    fastest round trip lately, the largest excess over it lately, and a safety margin that a
    FloodWait widens. All zero on the virtual clock, where sends arrive when granted."""

    real: bool = True
    _excess_s: float = _DEFAULT_EXCESS_S
    _excess_at: float | None = None  # None: the default guess, until the first answer
    _widened_s: float = 0.0
    _widened_at: float = -math.inf
    _min_buckets: deque[float] = field(default_factory=lambda: deque(maxlen=_RTT_BUCKETS))
    _bucket_min: float = math.inf
    _bucket_n: int = 0
    samples: int = 0

    @property
    def fastest_s(self) -> float:
        """Returns the fastest round trip of the last few hundred (0 before the first)."""
        fastest = min(self._bucket_min, min(self._min_buckets, default=math.inf))
        return 0.0 if math.isinf(fastest) else fastest

    def observe(self, round_trip_s: float, now: float) -> None:
        """Takes in one request's round trip, from its grant to its answer."""
        if not self.real or round_trip_s < 0:
            return
        self.samples += 1
        self._bucket_min = min(self._bucket_min, round_trip_s)
        self._bucket_n += 1
        if self._bucket_n >= _RTT_BUCKET:
            self._min_buckets.append(self._bucket_min)
            self._bucket_min, self._bucket_n = math.inf, 0
        excess = min(round_trip_s - RETURN_SHARE * self.fastest_s, _MAX_EXCESS_S)
        if excess >= self._decayed_excess(now):  # the largest lately, forgotten slowly
            self._excess_s, self._excess_at = excess, now

    def margin(self, now: float) -> float:
        """Returns the safety margin added to every arrival bound."""
        if not self.real:
            return 0.0
        elapsed = max(now - self._widened_at, 0.0)
        widened: float = self._widened_s * 0.5 ** (elapsed / _MARGIN_HALF_LIFE_S)
        return _BASE_MARGIN_S + widened

    def allowance(self, now: float) -> float:
        """Returns how long after its grant a request under way may arrive, at most."""
        if not self.real:
            return 0.0
        return self._decayed_excess(now) + self.margin(now)

    def arrival_bound(self, granted: float, answered: float) -> float:
        """Returns the latest a request granted and answered at these times arrived: its answer,
        less half the fastest round trip once enough were seen to know it (the first few may
        all be slow, a connection being opened: crediting half of one of those would be
        wrong)."""
        if not self.real:
            return granted
        credit = RETURN_SHARE * self.fastest_s if self.samples >= _RTT_BUCKET else 0.0
        return max(granted, answered - credit) + self.margin(answered)

    def widen(self, now: float) -> None:
        """A FloodWait: the margin doubles (within bounds), and shrinks back over minutes."""
        if not self.real:
            return
        low, high = _WIDENED_MARGIN_S
        current = self.margin(now) - _BASE_MARGIN_S
        self._widened_s, self._widened_at = min(high, max(low, 2 * current)), now
        log.info("ratelimit.margin_widened", margin_ms=round(self.margin(now) * 1000, 2))

    def _decayed_excess(self, now: float) -> float:
        if self._excess_at is None:
            self._excess_at = now
        elapsed = max(now - self._excess_at, 0.0)
        excess: float = self._excess_s * 0.5 ** (elapsed / _EXCESS_HALF_LIFE_S)
        return excess


class SenderLimiter(Protocol):
    """What the delivery worker needs of one sender's limits, in one process or shared."""

    profile: telegram.SenderProfile

    async def acquire(
        self, chat_id: int, chat_kind: str = "private", *, max_wait_s: float | None = None
    ) -> float | None:
        """Waits for a slot and takes it (None), or returns how long until the chat is ready
        when that is more than `max_wait_s` (nothing taken)."""
        ...

    def sent(self, chat_id: int, answered_at: float | None = None) -> None:
        """Tells that the request granted last to `chat_id` has been answered (any answer), at
        `answered_at` (the clock's monotonic time) when the transport timed it, else now."""
        ...

    async def flood_wait(self, seconds: float) -> LearnedRate:
        """Pauses the sender for `seconds` and learns from it; returns what was learned."""
        ...

    async def learned(self) -> LearnedRate:
        """Returns the rate learned so far."""
        ...


class RateLimits(Protocol):
    """Hands out one limiter per sender."""

    def limiter(
        self, sender_id: int, profile: telegram.SenderProfile, learned: LearnedRate | None = None
    ) -> SenderLimiter:
        """Returns the sender's limiter; `learned` seeds a new one with a stored rate."""
        ...

    async def close(self) -> None: ...


@dataclass(eq=False)
class _Entry:
    """One send: its slot, when it was granted, and the latest it can have reached Telegram."""

    chat_id: int
    group: bool
    slot: float
    arrival: float
    previous: _Entry | None  # the chat's entry before this one (private chats)
    seq: int
    loosened: int = 0  # the limiter's count of bounds moved later, when it was reserved
    granted: float | None = None
    key: tuple[float, int, _Entry] | None = None  # its place in the window, while there


class SenderRateLimiter:
    """Keeps every limit of one sender's profile; one instance per sender per process."""

    def __init__(
        self,
        profile: telegram.SenderProfile,
        clock: Clock | None = None,
        learned: LearnedRate | None = None,
        *,
        transit: TransitEstimate | None = None,
    ) -> None:
        """`transit` defaults to the real clock's estimate, or none on a virtual clock (where
        a test may pass one to model transit times)."""
        if profile.global_per_s <= 0 or profile.group_per_min <= 0:
            raise ValueError("a profile's rates must be positive")
        self.profile = profile
        self._clock_override = clock
        real = not isinstance(clock or get_clock(), VirtualClock)
        self.transit = transit or TransitEstimate(real=real)
        self._late_s = _REAL_LATE_S if real else _MARGIN_S
        self._base_window_s, self._capacity = profile.global_window()
        self._burst = max(1, round(self._capacity * BURST_SHARE))
        self._learned = learned or LearnedRate()
        self._apply_learned()
        self._chat_gap_s = profile.private_per_chat_s + self._late_s
        self._group_window_s = _GROUP_WINDOW_S + self._late_s
        self._tat = -math.inf  # the pace's theoretical next send (GCRA)
        self._last_slot = -math.inf
        # Arrival bounds of recent sends, sorted (the sequence number breaks ties).
        self._window: list[tuple[float, int, _Entry]] = []
        self._seq = itertools.count()
        self._paused_until = -math.inf
        self._chat_last: dict[int, _Entry] = {}
        self._group_slots: dict[int, deque[_Entry]] = {}
        self._unanswered: dict[int, _Entry] = {}
        self._loosened = 0  # how often a bound moved later than planned with
        self.retaken = 0  # slots given back and taken again (benchmarks read it)
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
        """Pauses the sender for `seconds`, widens the margin, and lowers the rate it is paced
        at when this FloodWait repeats an earlier one (see the top)."""
        now = self._time().monotonic()
        same_event = now < self._paused_until + _SAME_EVENT_S
        self.pause(seconds)
        if same_event:
            return self._learned
        self.transit.widen(now)
        before = self._learned.share_at(self._time().now())
        self._learned = self._learned.after_flood_wait(self._time().now())
        self._apply_learned()
        if self._learned.share < before:
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
        return self._capacity / self._window_s

    def _apply_learned(self) -> None:
        share = self._learned.share_at(self._time().now())
        self._window_s = self._base_window_s / share + self._late_s
        self._interval_s = self._window_s / self._capacity
        self._tolerance_s = (self._burst - 1) * self._interval_s
        spacing = BURST_SPACING_SHARE if self._burst > 1 else 1.0
        self._min_gap_s = self._interval_s * spacing

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
        Call `sent(chat_id)` when the request's answer is back: it tightens the window.
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
            entry = self._reserve(chat_id, group, now)
            try:
                if entry.slot - now > _TOLERANCE_S:
                    await time.sleep(entry.slot - now)
            except BaseException:  # cancelled while waiting: the slot goes back
                self._release(entry)
                raise
            woke = time.monotonic()
            self._overdue(woke)
            if entry.slot < self._paused_until - _TOLERANCE_S:
                # A FloodWait arrived while we waited for the slot: queue again behind the pause.
                self._release(entry)
                continue
            late = woke - entry.slot > self._late_s
            if (late or entry.loosened != self._loosened) and not self._still_allowed(entry, woke):
                # A send before it turned out to arrive later than planned with (a slow request,
                # or one woken late): take a fresh slot (usually at once).
                self._release(entry)
                self.retaken += 1
                continue
            self._grant(entry, woke)
            return None

    def sent(self, chat_id: int, answered_at: float | None = None) -> None:
        """The request granted last to `chat_id` was answered (at `answered_at` when the
        transport timed it, else now): its arrival bound becomes what the answer proves, and
        its round trip teaches the transit estimate."""
        entry = self._unanswered.pop(chat_id, None)
        if entry is None or entry.granted is None:
            return
        now = answer_time(self._time().monotonic(), entry.granted, answered_at)
        self.transit.observe(now - entry.granted, now)
        bound = self.transit.arrival_bound(entry.granted, now)
        if bound > entry.arrival + _TOLERANCE_S:
            self._loosened += 1  # slower than allowed for: slots planned since are checked
        self._move(entry, bound)

    def _ready_at(self, chat_id: int, group: bool, now: float) -> float:
        """Returns the earliest time the chat's own limits and any pause allow a send."""
        ready = self._paused_until
        if not group:
            last = self._chat_last.get(chat_id)
            return ready if last is None else max(ready, last.arrival + self._chat_gap_s)
        slots = self._group_slots.get(chat_id)
        if not slots:
            return ready
        while slots and slots[0].arrival + self._group_window_s <= now:
            slots.popleft()
        if slots:
            ready = max(ready, max(entry.arrival for entry in slots) + self._chat_gap_s)
        limit = self.profile.group_per_min
        if len(slots) >= limit:
            arrivals = sorted(entry.arrival for entry in slots)
            ready = max(ready, arrivals[-limit] + self._group_window_s)
        return ready

    def _reserve(self, chat_id: int, group: bool, now: float) -> _Entry:
        """Takes the next slot the pace and the global window allow; the caller has checked
        that the chat is ready by `now`."""
        self._overdue(now)
        self._prune_window(now)
        slot = max(now, self._tat - self._tolerance_s, self._last_slot + self._min_gap_s)
        if len(self._window) >= self._capacity:
            slot = max(slot, self._window[-self._capacity][0] + self._window_s)
        self._tat = max(self._tat, slot) + self._interval_s
        self._last_slot = slot
        previous = None if group else self._chat_last.get(chat_id)
        entry = _Entry(
            chat_id=chat_id,
            group=group,
            slot=slot,
            arrival=slot + self.transit.allowance(now),
            previous=previous,
            seq=next(self._seq),
            loosened=self._loosened,
        )
        self._insert(entry)
        if group:
            self._group_slots.setdefault(chat_id, deque()).append(entry)
        else:
            self._chat_last[chat_id] = entry
        self._prune(now)
        return entry

    def _grant(self, entry: _Entry, woke: float) -> None:
        """The send leaves now: its arrival is bounded from its real grant time."""
        entry.granted = woke
        bound = woke + self.transit.allowance(woke)
        if bound > entry.arrival + self._late_s:  # beyond what the windows' widening covers
            self._loosened += 1
            self._move(entry, bound)
        self._unanswered[entry.chat_id] = entry

    def _overdue(self, now: float) -> None:
        """Moves the bound of every request still unanswered past its allowance to `now`: it
        has not been seen to arrive, so it may arrive any moment (a stalled server, a socket
        that has not left the client). Sends planned since are checked at their wake-up."""
        if not self.transit.real:
            return  # no transit: a send arrives when it is granted
        for chat_id, entry in list(self._unanswered.items()):
            if entry.granted is None or entry.arrival >= now:
                continue
            if now - entry.granted > _MAX_UNANSWERED_S:
                del self._unanswered[chat_id]  # never reported (not sent after all, or lost)
                continue
            self._loosened += 1
            self._move(entry, now)

    def _still_allowed(self, entry: _Entry, now: float) -> bool:
        """Returns whether the sends before `entry` leave it room at `now` (checked when it
        woke late, or when one of their bounds moved later since it was reserved). A send woken
        late goes all the same when they do, and its bound moves: the sends after it, planned
        around it, check in turn."""
        counted = 0
        for arrival, seq, other in reversed(self._window):
            # The sends planned before it, and those after it that went first (it woke late).
            if seq < entry.seq or (other is not entry and other.granted is not None):
                counted += 1
                if counted == self._capacity:
                    if arrival + self._window_s > now + _TOLERANCE_S:
                        return False
                    break
        if not entry.group:
            previous = entry.previous
            return previous is None or previous.arrival + self._chat_gap_s <= now + _TOLERANCE_S
        before = [e.arrival for e in self._group_slots.get(entry.chat_id, ()) if e.seq < entry.seq]
        if before and max(before) + self._chat_gap_s > now + _TOLERANCE_S:
            return False
        limit = self.profile.group_per_min
        if len(before) >= limit:
            return sorted(before)[-limit] + self._group_window_s <= now + _TOLERANCE_S
        return True

    def _insert(self, entry: _Entry) -> None:
        entry.key = (entry.arrival, entry.seq, entry)
        bisect.insort(self._window, entry.key)

    def _move(self, entry: _Entry, arrival: float) -> None:
        if entry.key is not None:
            index = bisect.bisect_left(self._window, entry.key)
            if index < len(self._window) and self._window[index] == entry.key:
                del self._window[index]
        entry.arrival = arrival
        self._insert(entry)

    def _release(self, entry: _Entry) -> None:
        """Gives a slot back, and its step of the pace (the windows are what keep the limits;
        the pace only smooths), so slots retaken after late wake-ups cost no rate."""
        self._tat -= self._interval_s
        if entry.key is not None:
            index = bisect.bisect_left(self._window, entry.key)
            if index < len(self._window) and self._window[index] == entry.key:
                del self._window[index]
            entry.key = None
        chat_id = entry.chat_id
        if self._unanswered.get(chat_id) is entry:
            del self._unanswered[chat_id]
        if entry.group:
            slots = self._group_slots.get(chat_id)
            if slots is not None and entry in slots:
                slots.remove(entry)
            return
        if self._chat_last.get(chat_id) is not entry:
            return  # a later send to this chat was reserved after it; leave its spacing alone
        if entry.previous is None:
            del self._chat_last[chat_id]
        else:
            self._chat_last[chat_id] = entry.previous
        entry.previous = None

    def _prune_window(self, now: float) -> None:
        """Forgets arrival bounds that left the window (kept while their answer may move them)."""
        horizon = now - self._window_s
        window = self._window
        count = 0
        while count < len(window) and window[count][0] <= horizon:
            count += 1
        if count > 4 * self._capacity or (count and len(window) > 2 * self._capacity):
            del window[:count]

    def _prune(self, now: float) -> None:
        """Forgets chats whose last send can no longer constrain anything (bounds memory)."""
        if len(self._chat_last) + len(self._group_slots) <= self._prune_at:
            return
        self._chat_last = {
            chat: last
            for chat, last in self._chat_last.items()
            if last.arrival + self._chat_gap_s > now
        }
        for last in self._chat_last.values():
            last.previous = None
        self._group_slots = {
            chat: slots
            for chat, slots in self._group_slots.items()
            if slots and max(entry.arrival for entry in slots) + self._group_window_s > now
        }
        self._prune_at = max(_PRUNE_START, 2 * (len(self._chat_last) + len(self._group_slots)))

    def _time(self) -> Clock:
        return self._clock_override or get_clock()


def answer_time(now: float, granted: float, answered_at: float | None) -> float:
    """Returns when a request's answer came: the transport's time when it has one that is
    possible (after the grant, not in the future), else `now`."""
    if answered_at is None or not granted <= answered_at <= now:
        return now
    return answered_at


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
        self, sender_id: int, profile: telegram.SenderProfile, learned: LearnedRate | None = None
    ) -> SenderRateLimiter:
        limiter = self._limiters.get(sender_id)
        if limiter is None or limiter.profile != profile:
            limiter = self._limiters[sender_id] = SenderRateLimiter(profile, learned=learned)
        return limiter

    async def close(self) -> None:
        self._limiters.clear()


class UnlimitedSender:
    """No limits at all: only for measuring the pipeline's own speed (benchmarks)."""

    def __init__(self, profile: telegram.SenderProfile) -> None:
        self.profile = profile

    async def acquire(
        self, chat_id: int, chat_kind: str = "private", *, max_wait_s: float | None = None
    ) -> float | None:
        return None

    def sent(self, chat_id: int, answered_at: float | None = None) -> None:
        return None

    async def flood_wait(self, seconds: float) -> LearnedRate:
        return LearnedRate()

    async def learned(self) -> LearnedRate:
        return LearnedRate()


class NoRateLimits:
    """Hands out `UnlimitedSender`s (benchmarks of the pipeline, never production)."""

    def limiter(
        self, sender_id: int, profile: telegram.SenderProfile, learned: LearnedRate | None = None
    ) -> UnlimitedSender:
        return UnlimitedSender(profile)

    async def close(self) -> None:
        return None

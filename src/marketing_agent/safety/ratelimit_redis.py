"""The sender limits shared by every worker process through Redis (scale mode).

The same rule as `ratelimit.SenderRateLimiter`, kept in Redis: one Lua script, run atomically,
checks the chat's limits and the sender's global window and reserves the slot, so any number of
workers on one bot never exceed its limits together. The global window is a sorted set of the
latest each recent send can have reached Telegram (its slot plus the reserving process's
allowance: its measured transit excess, the time its reservations take to come back, and a
margin); a send is granted only when fewer than the profile allows lie within one window of it.
A FloodWait pauses the sender for all of them; a repeated one lowers the shared learned rate
(same rule as `ratelimit.LearnedRate`), which every later reservation of every worker uses.

Time is the wall clock of the callers (`clock.now()`, shared by the processes of one host and kept
within milliseconds across hosts by NTP), counted from `_ORIGIN` so that Lua's doubles keep
microseconds. A worker woken later than its allowance covers gives its slot back (global and
chat) and takes a fresh one, and learns that lateness into the allowance: a busy process or a
slow Redis costs it a little rate, never a stall.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import redis.asyncio as redis

from marketing_agent.core.clock import Clock, VirtualClock, get_clock
from marketing_agent.core.logging import get_logger
from marketing_agent.safety.ratelimit import (
    BURST_SHARE,
    BURST_SPACING_SHARE,
    EVIDENCE_WINDOW_S,
    FLOOD_WAIT_RATE_STEP,
    MIN_RATE_SHARE,
    RATE_RECOVERY_HALF_LIFE_S,
    LearnedRate,
    TransitEstimate,
    answer_time,
)

if TYPE_CHECKING:  # safety paces telegram's senders; the profile is telegram's read type
    from marketing_agent.telegram import service as telegram

log = get_logger(__name__)

_ORIGIN = 1_700_000_000.0  # seconds since the Unix epoch; Lua's doubles keep µs after it
_GROUP_WINDOW_S = 60.0
# On a virtual clock: clock.now() is a datetime, exact to the microsecond only.
_VIRTUAL_MARGIN_S = 5e-6
# On the real clock: windows are widened by this much, and a reservation's answer may come back
# this late (at least; the largest lateness seen lately counts too) and still use its slot.
_REAL_MARGIN_S = 0.002
_LATE_HALF_LIFE_S = 20.0
_MAX_LATE_S = 0.5
_RETAKES = 3  # fresh slots taken for one send at most; then the late one is used all the same
# A FloodWait reaching another worker stops ours before a slot further away than this.
_PAUSE_RECHECK_S = 0.010
_SAME_EVENT_S = 1.0

# KEYS[1] the sender's hash, KEYS[2] the chat's key, KEYS[3] the sender's global window.
# ARGV: now, base window, capacity, widening, allowance, chat gap, is group, group limit,
#       group window, half-life of the learned rate's recovery, burst, burst spacing, member.
# Returns {1, slot, previous chat bound or "", arrival bound} when reserved,
#         {0, seconds until ready} when not.
_RESERVE = """
local now = tonumber(ARGV[1])
local base_window = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local widen = tonumber(ARGV[4])
local allowance = tonumber(ARGV[5])
local gap = tonumber(ARGV[6])
local is_group = ARGV[7] == '1'
local limit = tonumber(ARGV[8])
local group_window = tonumber(ARGV[9])
local half_life = tonumber(ARGV[10])
local burst = tonumber(ARGV[11])
local spacing = tonumber(ARGV[12])
local member = ARGV[13]
local h = redis.call('HMGET', KEYS[1], 'tat', 'last', 'paused', 'share', 'learned_at')
local tat = tonumber(h[1]) or -1e18
local last = tonumber(h[2]) or -1e18
local ready = tonumber(h[3]) or -1e18
local share = tonumber(h[4]) or 1
if share < 1 then
  local learned_at = tonumber(h[5]) or now
  share = 1 - (1 - share) * math.pow(2, -math.max(now - learned_at, 0) / half_life)
end
local previous = ''
if is_group then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - group_window)
  local n = redis.call('ZCARD', KEYS[2])
  if n > 0 then
    local newest = tonumber(redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2])
    ready = math.max(ready, newest + gap)
    if n >= limit then
      local edge = tonumber(redis.call('ZRANGE', KEYS[2], n - limit, n - limit, 'WITHSCORES')[2])
      ready = math.max(ready, edge + group_window)
    end
  end
else
  previous = redis.call('GET', KEYS[2]) or ''
  if previous ~= '' then ready = math.max(ready, tonumber(previous) + gap) end
end
if ready > now + 1e-9 then
  return {0, string.format('%.9f', ready - now)}
end
local window = base_window / share + widen
local interval = window / capacity
local min_gap = interval
if burst > 1 then min_gap = interval * spacing end
local slot = math.max(now, tat - (burst - 1) * interval, last + min_gap)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window - 1)
local n = redis.call('ZCARD', KEYS[3])
if n >= capacity then
  local edge = tonumber(redis.call('ZRANGE', KEYS[3], n - capacity, n - capacity, 'WITHSCORES')[2])
  slot = math.max(slot, edge + window)
end
local arrival = slot + allowance
local arrival_s = string.format('%.9f', arrival)
redis.call('HSET', KEYS[1], 'tat', string.format('%.9f', math.max(tat, slot) + interval),
  'last', string.format('%.9f', slot))
redis.call('ZADD', KEYS[3], arrival, member)
redis.call('PEXPIRE', KEYS[3], math.ceil((arrival - now + window + 2) * 1000))
if is_group then
  redis.call('ZADD', KEYS[2], arrival, member)
  redis.call('PEXPIRE', KEYS[2], math.ceil((arrival - now + group_window + 1) * 1000))
else
  redis.call('SET', KEYS[2], arrival_s, 'PX', math.ceil((arrival - now + gap + 1) * 1000))
end
return {1, string.format('%.9f', slot), previous, arrival_s}
"""

# Gives a slot back (global window and chat); the pace's step stays spent, which is only slower.
# KEYS[2] the chat's key, KEYS[3] the global window; ARGV: member, arrival bound, previous chat
# bound or "", is group, the restored bound's expiry in ms.
_RELEASE = """
redis.call('ZREM', KEYS[3], ARGV[1])
if ARGV[4] == '1' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5])
end
return 1
"""

# KEYS[1] the sender's hash; ARGV: now, seconds, step, floor, half-life, evidence window,
# same-event grace. Returns {share, flood waits so far, 1 if this one taught anything}.
_FLOOD_WAIT = """
local now = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'paused', 'share', 'learned_at', 'flood_waits')
local paused = tonumber(h[1]) or -1e18
local share = tonumber(h[2]) or 1
local learned_at = tonumber(h[3])
local floods = tonumber(h[4]) or 0
local paused_until = math.max(paused, now + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'paused', string.format('%.9f', paused_until))
if now < paused + tonumber(ARGV[7]) then
  return {string.format('%.9f', share), floods, 0}
end
if share < 1 and learned_at then
  share = 1 - (1 - share) * math.pow(2, -math.max(now - learned_at, 0) / tonumber(ARGV[5]))
end
if learned_at and now - learned_at >= 0 and now - learned_at <= tonumber(ARGV[6]) then
  share = math.max(tonumber(ARGV[4]), share * tonumber(ARGV[3]))
end
floods = floods + 1
redis.call('HSET', KEYS[1], 'share', string.format('%.9f', share),
  'learned_at', string.format('%.9f', now), 'flood_waits', floods)
return {string.format('%.9f', share), floods, 1}
"""


class RedisSenderLimiter:
    """One sender's limits in Redis: any number of these, in any processes, keep them together."""

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        profile: telegram.SenderProfile,
        scripts: dict[str, Any],
        clock: Clock | None = None,
    ) -> None:
        self.profile = profile
        self._client = client
        self._key = key
        self._window_key = f"{key}:w"
        self._scripts = scripts
        self._clock_override = clock
        virtual = isinstance(clock or get_clock(), VirtualClock)
        self.transit = TransitEstimate(real=not virtual)
        self._widen_s = _VIRTUAL_MARGIN_S if virtual else _REAL_MARGIN_S
        self._base_window_s, self._capacity = profile.global_window()
        self._burst = max(1, round(self._capacity * BURST_SHARE))
        self._chat_gap_s = profile.private_per_chat_s + self._widen_s
        self._group_window_s = _GROUP_WINDOW_S + self._widen_s
        self._late_s = 0.0 if virtual else _REAL_MARGIN_S  # the largest lateness lately
        self._late_at = 0.0
        self._member = f"{secrets.token_hex(4)}:"
        self._members = 0
        self._granted: dict[int, float] = {}  # chat -> monotonic time of its latest grant

    async def acquire(
        self, chat_id: int, chat_kind: str = "private", *, max_wait_s: float | None = None
    ) -> float | None:
        """Waits for a slot and takes it (None), or returns the seconds until the chat is ready
        when that is beyond `max_wait_s` (nothing taken)."""
        group = chat_kind != "private"
        chat_key = f"{self._key}:{'g' if group else 'c'}:{chat_id}"
        time = self._time()
        retakes = 0
        while True:
            mono = time.monotonic()
            late_s = self._lateness(mono)
            allowance = self.transit.allowance(mono) + late_s
            now = _seconds(time.now())
            self._members += 1
            member = f"{self._member}{self._members}"
            reply = await self._scripts["reserve"](
                keys=[self._key, chat_key, self._window_key],
                args=[
                    f"{now:.9f}",
                    self._base_window_s,
                    self._capacity,
                    f"{self._widen_s:.9f}",
                    f"{allowance:.9f}",
                    f"{self._chat_gap_s:.9f}",
                    "1" if group else "0",
                    self.profile.group_per_min,
                    f"{self._group_window_s:.9f}",
                    RATE_RECOVERY_HALF_LIFE_S,
                    self._burst,
                    BURST_SPACING_SHARE,
                    member,
                ],
            )
            if int(reply[0]) == 0:
                wait_s = float(reply[1])
                if max_wait_s is not None and wait_s > max_wait_s:
                    return wait_s
                await time.sleep(wait_s)
                continue
            slot = float(reply[1])
            wait_s = slot - _seconds(time.now())
            if wait_s > 0:
                await time.sleep(wait_s)
            if wait_s > _PAUSE_RECHECK_S and await self._paused_past(slot):
                await self._release(chat_key, member, reply, group)
                continue
            late = _seconds(time.now()) - slot
            if late <= late_s + self._widen_s or retakes >= _RETAKES:
                self._granted[chat_id] = time.monotonic()
                return None
            # Woken later than the allowance covers: learn it, and take a fresh slot.
            self._learn_lateness(late, time.monotonic())
            log.info("ratelimit.late_slot_retaken", late_ms=round(late * 1000, 2))
            await self._release(chat_key, member, reply, group)
            retakes += 1

    def sent(self, chat_id: int, answered_at: float | None = None) -> None:
        """The request granted last to `chat_id` was answered (at `answered_at` when the
        transport timed it): its round trip teaches this process's transit estimate (and so the
        allowance of its next reservations)."""
        granted = self._granted.pop(chat_id, None)
        if granted is not None:
            now = answer_time(self._time().monotonic(), granted, answered_at)
            self.transit.observe(now - granted, now)

    async def flood_wait(self, seconds: float) -> LearnedRate:
        """Pauses the sender for every worker; a repeated FloodWait lowers the rate for all."""
        time = self._time()
        share, flood_waits, taught = await self._scripts["flood_wait"](
            keys=[self._key],
            args=[
                f"{_seconds(time.now()):.9f}",
                max(seconds, 0.0),
                FLOOD_WAIT_RATE_STEP,
                MIN_RATE_SHARE,
                RATE_RECOVERY_HALF_LIFE_S,
                EVIDENCE_WINDOW_S,
                _SAME_EVENT_S,
            ],
        )
        if int(taught):
            self.transit.widen(time.monotonic())
        learned = LearnedRate(
            share=float(share), learned_at=time.now(), flood_waits=int(flood_waits)
        )
        if learned.share < 1.0 and int(taught):
            log.warning(
                "ratelimit.rate_lowered",
                profile=self.profile.name,
                share=round(learned.share, 4),
                flood_waits=learned.flood_waits,
                shared=True,
            )
        return learned

    async def learned(self) -> LearnedRate:
        share, learned_at, flood_waits = await self._client.hmget(
            self._key, ["share", "learned_at", "flood_waits"]
        )
        if learned_at is None:
            return LearnedRate()
        return LearnedRate(
            share=float(share or 1.0),
            learned_at=datetime.fromtimestamp(float(learned_at) + _ORIGIN, UTC),
            flood_waits=int(flood_waits or 0),
        )

    def _lateness(self, now: float) -> float:
        elapsed = max(now - self._late_at, 0.0)
        decayed: float = self._late_s * 0.5 ** (elapsed / _LATE_HALF_LIFE_S)
        return max(decayed, self._widen_s)

    def _learn_lateness(self, late: float, now: float) -> None:
        late = min(late, _MAX_LATE_S)
        if late > self._lateness(now):
            self._late_s, self._late_at = late, now

    async def _paused_past(self, slot: float) -> bool:
        paused = await self._client.hget(self._key, "paused")
        return paused is not None and float(paused) > slot + 1e-9

    async def _release(self, chat_key: str, member: str, reply: list[Any], group: bool) -> None:
        previous, arrival = _text(reply[2]), _text(reply[3])
        expiry_ms = math.ceil((self._chat_gap_s + 1) * 1000)
        await self._scripts["release"](
            keys=[self._key, chat_key, self._window_key],
            args=[member, arrival, previous, "1" if group else "0", expiry_ms],
        )

    def _time(self) -> Clock:
        return self._clock_override or get_clock()


class RedisRateLimits:
    """Hands out limiters whose state lives in Redis under `prefix` (one per deployment)."""

    def __init__(self, url: str, *, prefix: str = "ma", clock: Clock | None = None) -> None:
        # A bounded pool that waits for a free connection: a chunk's hundreds of concurrent
        # reservations share a few connections instead of failing with "too many".
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=32, timeout=None)
        self.client: redis.Redis = redis.Redis(connection_pool=pool)
        self.prefix = prefix
        self._clock = clock
        self._scripts = {
            "reserve": self.client.register_script(_RESERVE),
            "release": self.client.register_script(_RELEASE),
            "flood_wait": self.client.register_script(_FLOOD_WAIT),
        }
        self._limiters: dict[int, RedisSenderLimiter] = {}

    def limiter(
        self, sender_id: int, profile: telegram.SenderProfile, learned: LearnedRate | None = None
    ) -> RedisSenderLimiter:
        """Returns the sender's shared limiter (the rate learned is read from Redis, not
        `learned`: Redis holds the figure every worker uses)."""
        limiter = self._limiters.get(sender_id)
        if limiter is None or limiter.profile != profile:
            # The hash tag keeps a sender's keys in one slot of a Redis cluster.
            key = f"{self.prefix}:rl:{{{sender_id}}}"
            limiter = RedisSenderLimiter(self.client, key, profile, self._scripts, self._clock)
            self._limiters[sender_id] = limiter
        return limiter

    async def close(self) -> None:
        self._limiters.clear()
        await self.client.aclose()


def _seconds(moment: datetime) -> float:
    return moment.timestamp() - _ORIGIN


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

"""The sender limits shared by every worker process through Redis (scale mode).

One Lua script, run atomically by Redis, reserves the next global slot of the sender and the
chat's slot together and returns when to send, so any number of workers on one bot never exceed
its limits together. A FloodWait pauses the sender for all of them and lowers the learned rate
(same rule as `ratelimit.LearnedRate`), which every later reservation of every worker uses.

Time is the wall clock of the callers (`clock.now()`, shared by the processes of one host and kept
within milliseconds across hosts by NTP), counted from `_ORIGIN` so that Lua's doubles keep
microseconds. A worker that wakes later than `_LATE_S` after its slot gives the slot back and
takes a new one, and every spacing is widened by `_REAL_MARGIN_S` per window, so that the sends,
as made, keep the limits even when processes are scheduled late.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis.asyncio as redis

from marketing_agent.core.clock import Clock, VirtualClock, get_clock
from marketing_agent.core.logging import get_logger
from marketing_agent.safety.ratelimit import (
    FLOOD_WAIT_RATE_STEP,
    MIN_RATE_SHARE,
    RATE_RECOVERY_HALF_LIFE_S,
    LearnedRate,
)
from marketing_agent.telegram.profiles import SenderProfile

log = get_logger(__name__)

_ORIGIN = 1_700_000_000.0  # seconds since the Unix epoch; Lua's doubles keep µs after it
_GROUP_WINDOW_S = 60.0
# On a virtual clock: clock.now() is a datetime, exact to the microsecond only.
_VIRTUAL_MARGIN_S = 5e-6
_VIRTUAL_LATE_S = 2e-6
# On the real clock: each one-second window of sends is widened by 10 ms, and a send granted
# more than 4 ms late is not made in its slot (so lateness can never eat the widening).
_REAL_MARGIN_S = 0.010
_LATE_S = 0.004
# A FloodWait reaching another worker stops ours before a slot further away than this.
_PAUSE_RECHECK_S = 0.010

# KEYS[1] the sender's hash, KEYS[2] the chat's key.
# ARGV: now, rate, margin, chat gap, is group, group limit, window, (unused), half-life of
#       the learned rate's recovery.
# Returns {1, slot, previous chat slot or ""} when reserved, {0, seconds until ready} when not.
_RESERVE = """
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local margin = tonumber(ARGV[3])
local gap = tonumber(ARGV[4])
local is_group = ARGV[5] == '1'
local limit = tonumber(ARGV[6])
local window = tonumber(ARGV[7])
local half_life = tonumber(ARGV[9])
local h = redis.call('HMGET', KEYS[1], 'next', 'paused', 'share', 'learned_at')
local next_slot = tonumber(h[1]) or -1e18
local ready = tonumber(h[2]) or -1e18
local share = tonumber(h[3]) or 1
if share < 1 then
  local learned_at = tonumber(h[4]) or now
  share = 1 - (1 - share) * math.pow(2, -math.max(now - learned_at, 0) / half_life)
end
local previous = ''
if is_group then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  local n = redis.call('ZCARD', KEYS[2])
  if n > 0 then
    local last = tonumber(redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2])
    ready = math.max(ready, last + gap)
    if n >= limit then
      local oldest = tonumber(redis.call('ZRANGE', KEYS[2], n - limit, n - limit, 'WITHSCORES')[2])
      ready = math.max(ready, oldest + window)
    end
  end
else
  previous = redis.call('GET', KEYS[2]) or ''
  if previous ~= '' then ready = math.max(ready, tonumber(previous) + gap) end
end
if ready > now + 1e-9 then
  return {0, string.format('%.9f', ready - now)}
end
local slot = math.max(now, next_slot)
local slot_s = string.format('%.9f', slot)
redis.call('HSET', KEYS[1], 'next', string.format('%.9f', slot + 1 / (rate * share) + margin))
local ttl_ms = math.ceil((slot - now + window + 1) * 1000)
if is_group then
  redis.call('ZADD', KEYS[2], slot, slot_s)
  redis.call('PEXPIRE', KEYS[2], ttl_ms)
else
  redis.call('SET', KEYS[2], slot_s, 'PX', math.ceil((slot - now + gap + 1) * 1000))
end
return {1, slot_s, previous}
"""

# Gives a chat's slot back (a late wake-up); the global slot stays spent, which is only slower.
# KEYS[2] the chat's key; ARGV: slot, previous slot or "", is group.
_RELEASE = """
if ARGV[3] == '1' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[2]) end
return 1
"""

# KEYS[1] the sender's hash; ARGV: now, seconds, step, floor, half-life.
# Returns {share, flood waits so far}.
_FLOOD_WAIT = """
local now = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'paused', 'share', 'learned_at', 'flood_waits')
local paused = tonumber(h[1]) or -1e18
local share = tonumber(h[2]) or 1
if share < 1 then
  local learned_at = tonumber(h[3]) or now
  share = 1 - (1 - share) * math.pow(2, -math.max(now - learned_at, 0) / tonumber(ARGV[5]))
end
share = math.max(tonumber(ARGV[4]), share * tonumber(ARGV[3]))
local floods = (tonumber(h[4]) or 0) + 1
local paused_until = math.max(paused, now + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'paused', string.format('%.9f', paused_until),
  'share', string.format('%.9f', share), 'learned_at', string.format('%.9f', now),
  'flood_waits', floods)
return {string.format('%.9f', share), floods}
"""


class RedisSenderLimiter:
    """One sender's limits in Redis: any number of these, in any processes, keep them together."""

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        profile: SenderProfile,
        scripts: dict[str, Any],
        clock: Clock | None = None,
    ) -> None:
        self.profile = profile
        self._client = client
        self._key = key
        self._scripts = scripts
        self._clock_override = clock
        virtual = isinstance(clock or get_clock(), VirtualClock)
        self._late_s = _VIRTUAL_LATE_S if virtual else _LATE_S
        widen_s = _VIRTUAL_MARGIN_S if virtual else _REAL_MARGIN_S
        # Spread the window's widening over the sends of one window.
        self._margin_s = widen_s / max(profile.global_per_s, 1.0)
        self._chat_gap_s = profile.private_per_chat_s + widen_s
        self._window_s = _GROUP_WINDOW_S + widen_s

    async def acquire(
        self, chat_id: int, chat_kind: str = "private", *, max_wait_s: float | None = None
    ) -> float | None:
        """Waits for a slot and takes it (None), or returns the seconds until the chat is ready
        when that is beyond `max_wait_s` (nothing taken)."""
        group = chat_kind != "private"
        chat_key = f"{self._key}:{'g' if group else 'c'}:{chat_id}"
        time = self._time()
        while True:
            now = _seconds(time.now())
            reply = await self._scripts["reserve"](
                keys=[self._key, chat_key],
                args=[
                    f"{now:.9f}",
                    self.profile.global_per_s,
                    f"{self._margin_s:.9f}",
                    f"{self._chat_gap_s:.9f}",
                    "1" if group else "0",
                    self.profile.group_per_min,
                    f"{self._window_s:.9f}",
                    0,
                    RATE_RECOVERY_HALF_LIFE_S,
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
                await self._release(chat_key, reply, group)
                continue
            late_s = _seconds(time.now()) - slot
            if late_s <= self._late_s:
                return None
            # Woken too late to use the slot without crowding the next ones: take a new one.
            log.info("ratelimit.late_slot_retaken", late_ms=round(late_s * 1000, 2))
            await self._release(chat_key, reply, group)

    async def flood_wait(self, seconds: float) -> LearnedRate:
        """Pauses the sender for every worker and lowers its rate for all of them."""
        time = self._time()
        share, flood_waits = await self._scripts["flood_wait"](
            keys=[self._key],
            args=[
                f"{_seconds(time.now()):.9f}",
                max(seconds, 0.0),
                FLOOD_WAIT_RATE_STEP,
                MIN_RATE_SHARE,
                RATE_RECOVERY_HALF_LIFE_S,
            ],
        )
        learned = LearnedRate(
            share=float(share), learned_at=time.now(), flood_waits=int(flood_waits)
        )
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
        if share is None:
            return LearnedRate()
        return LearnedRate(
            share=float(share),
            learned_at=datetime.fromtimestamp(float(learned_at or 0) + _ORIGIN, UTC),
            flood_waits=int(flood_waits or 0),
        )

    async def _paused_past(self, slot: float) -> bool:
        paused = await self._client.hget(self._key, "paused")
        return paused is not None and float(paused) > slot + 1e-9

    async def _release(self, chat_key: str, reply: list[Any], group: bool) -> None:
        previous = reply[2].decode() if isinstance(reply[2], bytes) else str(reply[2])
        slot_s = reply[1].decode() if isinstance(reply[1], bytes) else str(reply[1])
        await self._scripts["release"](
            keys=[self._key, chat_key], args=[slot_s, previous, "1" if group else "0"]
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
        self, sender_id: int, profile: SenderProfile, learned: LearnedRate | None = None
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

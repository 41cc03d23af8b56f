"""Login throttling: failed logins counted per account and per client address over a sliding
window, kept in this process or, in scale mode, in Redis so every API process shares them."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from marketing_agent.core import clock
from marketing_agent.core.errors import RateLimited, Unavailable
from marketing_agent.core.logging import get_logger

T = TypeVar("T")
log = get_logger(__name__)
MAX_MEMORY_KEYS = 10_000


class FailureLog(Protocol):
    """The timestamps of recent failures per key."""

    async def recent(self, key: str, *, since: float) -> list[float]: ...

    async def add(self, key: str, *, at: float, keep_s: float) -> None: ...

    async def clear(self, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryFailureLog:
    """Failures kept in this process (the one-process default)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}

    async def recent(self, key: str, *, since: float) -> list[float]:
        failures = self._failures.get(key)
        if failures is None:
            return []
        while failures and failures[0] < since:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return list(failures)

    async def add(self, key: str, *, at: float, keep_s: float) -> None:
        self._failures.setdefault(key, deque()).append(at)
        if len(self._failures) > MAX_MEMORY_KEYS:  # many addresses: drop the ones gone quiet
            stale = [k for k, v in self._failures.items() if not v or v[-1] < at - keep_s]
            for k in stale:
                del self._failures[k]

    async def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    async def close(self) -> None:
        return None


class RedisFailureLog:
    """Failures in a Redis sorted set per key (score: when), shared by every API process."""

    def __init__(self, url: str, *, prefix: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self._prefix}:login:{key}"

    async def _run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Runs a Redis call; without Redis logins are refused (503), never let through."""
        import redis.asyncio as redis

        try:
            return await call()
        except (OSError, redis.RedisError) as exc:
            raise Unavailable(
                "Logins are paused: the login throttle's Redis is unreachable."
            ) from exc

    async def recent(self, key: str, *, since: float) -> list[float]:
        async def read() -> list[Any]:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(self._key(key), "-inf", f"({since}")
                pipe.zrange(self._key(key), 0, -1, withscores=True)
                _, rows = await pipe.execute()
            return list(rows)

        return [float(score) for _, score in await self._run(read)]

    async def add(self, key: str, *, at: float, keep_s: float) -> None:
        async def write() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(self._key(key), {uuid.uuid4().hex: at})
                pipe.expire(self._key(key), max(1, int(keep_s) + 1))
                await pipe.execute()

        await self._run(write)

    async def clear(self, key: str) -> None:
        await self._run(lambda: self._redis.delete(self._key(key)))

    async def close(self) -> None:
        await self._redis.aclose()


class LoginThrottle:
    """Refuses logins for an account, or from an address, that failed too often lately.

    A locked account refuses even the right password until its oldest counted failure is older
    than the window; a successful login clears the account's count (not the address's)."""

    def __init__(
        self,
        log: FailureLog,
        *,
        window_s: float,
        max_per_account: int,
        max_per_address: int,
    ) -> None:
        self.log = log
        self.window_s = window_s
        self.limits = {"account": max_per_account, "address": max_per_address}

    @staticmethod
    def _keys(username: str, address: str) -> dict[str, str]:
        return {"account": f"account:{username.casefold()}", "address": f"address:{address}"}

    async def check(self, *, username: str, address: str) -> None:
        """Raises RateLimited, with the seconds to wait, while the account or address is locked."""
        now = clock.now().timestamp()
        wait_s = 0.0
        for kind, key in self._keys(username, address).items():
            failures = await self.log.recent(key, since=now - self.window_s)
            limit = self.limits[kind]
            if limit and len(failures) >= limit:
                # Free again when enough of the counted failures have left the window.
                frees_at = sorted(failures)[len(failures) - limit] + self.window_s
                wait_s = max(wait_s, frees_at - now)
        if wait_s > 0:
            log.warning("auth.login_locked", retry_after_s=round(wait_s))
            raise RateLimited(
                "Too many failed logins for this account or from this address; try again later.",
                retry_after_s=max(1, int(wait_s + 0.999)),
            )

    async def record_failure(self, *, username: str, address: str) -> None:
        now = clock.now().timestamp()
        for key in self._keys(username, address).values():
            await self.log.add(key, at=now, keep_s=self.window_s)

    async def record_success(self, *, username: str, address: str) -> None:
        await self.log.clear(self._keys(username, address)["account"])

    async def close(self) -> None:
        await self.log.close()


def open_login_throttle(
    *,
    redis_url: str | None,
    prefix: str,
    window_s: float,
    max_per_account: int,
    max_per_address: int,
) -> LoginThrottle:
    """Returns the throttle: shared through Redis when a URL is given, else in this process."""
    log: FailureLog = RedisFailureLog(redis_url, prefix=prefix) if redis_url else MemoryFailureLog()
    return LoginThrottle(
        log,
        window_s=window_s,
        max_per_account=max_per_account,
        max_per_address=max_per_address,
    )

"""The one source of time. The simulator and tests swap in a virtual clock.

Code calls `clock.now()` and `await clock.sleep(s)`, never `datetime.now()` or `asyncio.sleep`
for business time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta

__all__ = ["UTC", "Clock", "SystemClock", "VirtualClock", "get_clock", "now", "set_clock"]
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        # Not the event loop's time: uvloop's (uvicorn's loop) is cached once per loop iteration
        # in whole milliseconds, so a busy loop would date every request it handles in one
        # iteration alike and early; Telegram's limits and our pacing need the time of each.
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


class VirtualClock:
    """Time that moves only when someone sleeps: each sleep jumps straight to its wake-up time.

    A sleeper wakes when every other task is also asleep, so a campaign that would take hours
    of real pacing runs in the time its CPU work takes, in the same order.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._driver: asyncio.Future[None] | None = None
        self.idle_spins = 8

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose time has come."""
        self._elapsed += max(seconds, 0.0)
        while self._sleepers and self._sleepers[0][0] <= self._elapsed:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._seq), fut))
        if self._driver is None or self._driver.done():
            self._driver = asyncio.ensure_future(self._drive())
        await fut

    async def _drive(self) -> None:
        """Jump to the earliest wake-up whenever the runnable tasks have had their turn."""
        while self._sleepers:
            for _ in range(self.idle_spins):
                await asyncio.sleep(0)
            if self._sleepers:
                self.advance(self._sleepers[0][0] - self._elapsed)


_clock: Clock = SystemClock()


def get_clock() -> Clock:
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Install `clock` process-wide; returns the previous one so callers can restore it."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def now() -> datetime:
    return _clock.now()

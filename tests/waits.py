"""The tests' one way to wait: for a condition, never for a fixed time that carries an assertion.

`wait_until` polls a condition (plain or async) until it holds and returns what it returned, so
a test is as fast as the machine allows and as patient as its timeout; on a timeout it fails
saying what it waited for, and the last value seen.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


async def wait_until(
    condition: Callable[[], T | Awaitable[T]],
    *,
    timeout_s: float = 10.0,
    what: str = "the condition",
    interval_s: float = 0.02,
) -> T:
    """Polls `condition` every `interval_s` until it returns something true, and returns that;
    fails the test after `timeout_s` (real time: the machine may be loaded)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        value: T = await result if inspect.isawaitable(result) else result  # type: ignore[assignment]
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"not within {timeout_s} s: {what} (last: {value!r})")
        await asyncio.sleep(interval_s)


async def seconds_until(
    condition: Callable[[], object | Awaitable[object]],
    *,
    timeout_s: float = 10.0,
    what: str = "the condition",
    interval_s: float = 0.02,
) -> float:
    """Waits like `wait_until`; returns how many seconds it took."""
    started = time.monotonic()
    await wait_until(condition, timeout_s=timeout_s, what=what, interval_s=interval_s)
    return time.monotonic() - started

"""Scale mode: limiters in different workers share one sender's limits through Redis, so together
they never exceed them, and a FloodWait one of them gets pauses and slows all of them."""

from __future__ import annotations

import asyncio
import time

import pytest

from marketing_agent.core.clock import VirtualClock
from marketing_agent.safety.ratelimit import BURST_SHARE
from marketing_agent.safety.ratelimit_redis import RedisRateLimits
from marketing_agent.telegram.profiles import PROFILES, SenderProfile
from marketing_agent.telegram.simulator import (
    BehaviourModel,
    RecipientBehaviour,
    TelegramSimulator,
)
from marketing_agent.telegram.transport import OutgoingMessage, SendStatus
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.redis
QUIET = BehaviourModel(default=RecipientBehaviour(read_p=0.0))
FAST = SenderProfile(name="fast", global_per_s=200.0, private_per_chat_s=1.0, group_per_min=20)


async def test_two_workers_on_one_bot_never_exceed_its_rate_together(redis_prefix: str) -> None:
    worker_a = RedisRateLimits(REDIS_URL, prefix=redis_prefix)
    worker_b = RedisRateLimits(REDIS_URL, prefix=redis_prefix)
    telegram_side = TelegramSimulator(FAST, QUIET)  # judges by when each send arrives
    chats = iter(range(1, 10_000))
    sent = 0

    async def lane(limits: RedisRateLimits) -> None:
        nonlocal sent
        limiter = limits.limiter(7, FAST)
        for _ in range(25):
            await limiter.acquire(next(chats), "private")
            outcome = await telegram_side.send(OutgoingMessage(chat_id=next(chats), text="Hi"))
            assert outcome.status is SendStatus.SENT
            sent += 1

    started = time.monotonic()
    await asyncio.gather(*(lane(limits) for limits in (worker_a, worker_b) for _ in range(8)))
    elapsed = time.monotonic() - started

    assert sent == 400
    assert telegram_side.stats.flood_waits == 0
    assert telegram_side.stats.max_global_per_s <= 200
    # Together, not each at the full rate: after the burst an idle sender may catch up with
    # (a quarter of a window), the rest at 200/s.
    assert elapsed >= (400 - 200 * BURST_SHARE) / 200
    assert telegram_side.stats.achieved_per_s >= 0.9 * 200
    await worker_a.close()
    await worker_b.close()


async def test_chat_and_group_limits_hold_across_workers(
    redis_prefix: str, virtual_clock: VirtualClock
) -> None:
    workers = [RedisRateLimits(REDIS_URL, prefix=redis_prefix) for _ in range(2)]
    profile = PROFILES["bot"]
    telegram_side = TelegramSimulator(profile, QUIET)
    for n in range(26):
        limiter = workers[n % 2].limiter(3, profile)
        await limiter.acquire(-42, "group")
        assert (await telegram_side.send(OutgoingMessage(-42, "Hi", "group"))).delivered
        await limiter.acquire(99, "private")
        assert (await telegram_side.send(OutgoingMessage(99, "Hi"))).delivered

    assert telegram_side.stats.flood_waits == 0
    assert telegram_side.stats.max_group_per_min == 20
    assert telegram_side.stats.min_chat_gap_s is not None
    assert telegram_side.stats.min_chat_gap_s >= 1.0
    assert virtual_clock.monotonic() >= 60.0  # the 21st group message waited out the minute
    for limits in workers:
        await limits.close()


async def test_a_flood_wait_pauses_every_worker_and_a_repeated_one_lowers_the_shared_rate(
    redis_prefix: str, virtual_clock: VirtualClock
) -> None:
    worker_a = RedisRateLimits(REDIS_URL, prefix=redis_prefix)
    worker_b = RedisRateLimits(REDIS_URL, prefix=redis_prefix)
    profile = PROFILES["bot"]
    a, b = worker_a.limiter(5, profile), worker_b.limiter(5, profile)
    await a.acquire(1)

    learned = await a.flood_wait(7.0)
    assert (learned.share, learned.flood_waits) == (1.0, 1)  # one FloodWait lowers nothing
    # Answers of requests under way when it came are the same event, not new evidence.
    assert (await b.flood_wait(7.0)).flood_waits == 1

    started = virtual_clock.monotonic()
    busy_s = await b.acquire(2, max_wait_s=1.0)  # not worth waiting for inside a chunk
    assert busy_s == pytest.approx(7.0, abs=1e-3)
    await b.acquire(2)
    assert virtual_clock.monotonic() - started == pytest.approx(7.0, abs=1e-3)
    assert (await b.learned()).share == 1.0

    virtual_clock.advance(5.0)
    assert (await b.flood_wait(1.0)).share == pytest.approx(0.9)  # a second one: evidence
    virtual_clock.advance(2.0)
    # Worker a now paces at 90 % of the bot's rate too: 30 sends a window of 1/0.9 s.
    grants = []
    for chat in range(100, 190):
        await a.acquire(chat)
        grants.append(virtual_clock.monotonic())
    assert 30 / (grants[-1] - grants[-31]) == pytest.approx(27.0, rel=0.01)
    for _ in range(20):
        virtual_clock.advance(2.0)
        await a.flood_wait(1.0)
    assert (await b.learned()).share == pytest.approx(0.5)  # bounded below

    # ... and it comes back within minutes, for every worker.
    virtual_clock.advance(300.0)
    grants = []
    for chat in range(200, 290):
        await b.acquire(chat)
        grants.append(virtual_clock.monotonic())
    assert 30 / (grants[-1] - grants[-31]) >= 0.95 * 30
    await worker_a.close()
    await worker_b.close()


async def test_a_loaded_worker_keeps_sending_when_its_reservations_come_back_late(
    redis_prefix: str,
) -> None:
    """The stall of old: each reservation's answer came back later than the fixed lateness
    allowed, so every slot was given back and taken again, for ever. Now the lateness is
    learned and the sends go on, a few retakes at most, with no window broken."""
    limits = RedisRateLimits(REDIS_URL, prefix=redis_prefix)
    profile = PROFILES["bot"]
    limiter = limits.limiter(9, profile)
    telegram_side = TelegramSimulator(profile, QUIET)
    scripts = limiter._scripts
    reserve = scripts["reserve"]

    async def slow_reserve(**kwargs: object) -> object:
        answer = await reserve(**kwargs)
        await asyncio.sleep(0.05)  # a loaded Redis or connection pool: answers 50 ms late
        return answer

    scripts["reserve"] = slow_reserve
    chats = iter(range(1, 10_000))

    async def lane() -> None:
        for _ in range(15):
            chat = next(chats)
            await limiter.acquire(chat, "private")
            outcome = await telegram_side.send(OutgoingMessage(chat_id=chat, text="Hi"))
            assert outcome.status is SendStatus.SENT
            limiter.sent(chat)

    started = time.monotonic()
    await asyncio.wait_for(lane(), timeout=20)
    elapsed = time.monotonic() - started

    assert telegram_side.stats.sent == 15
    assert telegram_side.stats.flood_waits == 0
    assert elapsed < 5  # 15 answers 50 ms late take 0.75 s; a stall never ends
    scripts["reserve"] = reserve
    await limits.close()

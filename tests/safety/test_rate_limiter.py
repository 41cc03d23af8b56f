"""The rate limiter keeps every limit of a sender's profile at once, at close to the full rate."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import deque
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketing_agent.core.clock import VirtualClock
from marketing_agent.safety.ratelimit import (
    EVIDENCE_WINDOW_S,
    RATE_RECOVERY_HALF_LIFE_S,
    RETURN_SHARE,
    LearnedRate,
    SenderRateLimiter,
    TransitEstimate,
)
from marketing_agent.telegram.profiles import PROFILES, SenderProfile
from marketing_agent.telegram.simulator import (
    BehaviourModel,
    RecipientBehaviour,
    TelegramSimulator,
)
from marketing_agent.telegram.transport import OutgoingMessage, SendStatus

# Recipients who never react, so nobody blocks the bot halfway through a throughput test.
QUIET = BehaviourModel(default=RecipientBehaviour(read_p=0.0))


def _mixed_messages(count: int, *, seed: int) -> deque[OutgoingMessage]:
    """Messages to 500 private chats and 8 groups (5 % of the traffic), some chats repeating."""
    rng = random.Random(seed)
    messages: deque[OutgoingMessage] = deque()
    for _ in range(count):
        if rng.random() < 0.05:
            group = -rng.randint(1, 8)
            messages.append(OutgoingMessage(chat_id=group, text="Hi", chat_kind="group"))
        else:
            messages.append(OutgoingMessage(chat_id=rng.randint(1, 500), text="Hi"))
    return messages


async def _deliver_all(
    limiter: SenderRateLimiter,
    sim: TelegramSimulator,
    queue: deque[OutgoingMessage],
    *,
    workers: int = 16,
) -> None:
    """Sends the queue like the delivery workers do: pace, send, honour a FloodWait, retry."""

    async def worker() -> None:
        while queue:
            msg = queue.popleft()
            await limiter.acquire(msg.chat_id, msg.chat_kind)
            outcome = await sim.send(msg)
            if outcome.status is SendStatus.RETRY_AFTER:
                limiter.pause(outcome.retry_after_s or 1.0)
                queue.append(msg)
            else:
                assert outcome.status is SendStatus.SENT

    await asyncio.gather(*(worker() for _ in range(workers)))


async def test_3000_mixed_messages_go_out_at_the_bot_rate_without_a_single_flood_wait(
    virtual_clock: VirtualClock,
) -> None:
    profile = PROFILES["bot"]
    limiter = SenderRateLimiter(profile)
    sim = TelegramSimulator(profile, QUIET)

    await _deliver_all(limiter, sim, _mixed_messages(3000, seed=2026))

    assert sim.stats.flood_waits == 0
    assert sim.stats.sent == 3000
    assert sim.stats.max_global_per_s <= 30
    assert sim.stats.max_group_per_min <= 20
    assert sim.stats.min_chat_gap_s is not None and sim.stats.min_chat_gap_s >= 1.0
    assert sim.stats.achieved_per_s >= 0.95 * profile.global_per_s


async def test_paid_broadcast_goes_out_at_a_thousand_a_second(virtual_clock: VirtualClock) -> None:
    profile = PROFILES["paid_broadcast"]
    limiter = SenderRateLimiter(profile)
    sim = TelegramSimulator(profile, QUIET)
    queue = deque(OutgoingMessage(chat_id=i + 1, text="Hi") for i in range(5000))

    await _deliver_all(limiter, sim, queue, workers=64)

    assert sim.stats.flood_waits == 0
    assert sim.stats.achieved_per_s >= 0.95 * profile.global_per_s


async def test_flood_wait_pauses_the_whole_sender_for_exactly_the_time_asked(
    virtual_clock: VirtualClock,
) -> None:
    limiter = SenderRateLimiter(PROFILES["bot"])
    start = virtual_clock.monotonic()
    await limiter.acquire(1, "private")

    limiter.pause(7.0)
    assert limiter.paused_until == virtual_clock.now() + timedelta(seconds=7)
    grants: list[float] = []

    async def send(chat_id: int) -> None:
        await limiter.acquire(chat_id, "private")
        grants.append(virtual_clock.monotonic() - start)

    await asyncio.gather(*(send(chat) for chat in range(2, 12)))

    assert grants[0] == pytest.approx(7.0, abs=1e-6)  # not a moment later
    assert min(grants) >= 7.0 - 1e-9
    assert limiter.paused_until is None


async def test_sends_already_queued_wait_out_a_flood_wait_that_arrives_meanwhile(
    virtual_clock: VirtualClock,
) -> None:
    limiter = SenderRateLimiter(PROFILES["bot"])
    grants: list[float] = []
    paused_at: list[float] = []

    async def send(chat_id: int) -> None:
        await limiter.acquire(chat_id, "private")
        grants.append(virtual_clock.monotonic())
        if len(grants) == 5:  # Telegram answered the fifth with a FloodWait of 3 s
            limiter.pause(3.0)
            paused_at.append(virtual_clock.monotonic())

    await asyncio.gather(*(send(chat) for chat in range(1, 41)))

    pause_start = paused_at[0]
    assert not [t for t in grants[5:] if t < pause_start + 3.0 - 1e-9]
    assert len(grants) == 40


async def test_flood_waits_from_a_stricter_telegram_are_honoured_and_nothing_is_lost(
    virtual_clock: VirtualClock,
) -> None:
    # Telegram may be stricter than its published figures: here it allows 1/s, we pace at 30/s.
    limiter = SenderRateLimiter(PROFILES["bot"])
    sim = TelegramSimulator(PROFILES["user"], QUIET)

    queue = deque(OutgoingMessage(chat_id=i, text="Hi") for i in range(1, 41))

    await _deliver_all(limiter, sim, queue)

    assert sim.stats.flood_waits > 0
    assert sim.stats.ignored_flood_waits == 0  # never sent while a FloodWait was running
    assert sorted(sim.stats.received) == list(range(1, 41))
    assert sim.stats.max_received == 1


async def test_unknown_chat_kind_is_refused(virtual_clock: VirtualClock) -> None:
    limiter = SenderRateLimiter(PROFILES["bot"])

    with pytest.raises(ValueError, match="chat kind"):
        await limiter.acquire(1, "broadcast")


# -- the property: no window ever holds more than the profile allows ---------------------------

_requests = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=6),  # chat number
        st.booleans(),  # a group?
        st.floats(min_value=0.0, max_value=5.0, allow_nan=False),  # when it arrives
    ),
    min_size=1,
    max_size=60,
)
_pauses = st.lists(
    st.tuples(
        st.floats(min_value=0.0, max_value=8.0, allow_nan=False),  # when the FloodWait comes
        st.floats(min_value=0.0, max_value=4.0, allow_nan=False),  # its retry_after
    ),
    max_size=3,
)


@settings(max_examples=120, deadline=None)
@given(
    per_s=st.integers(min_value=1, max_value=40),
    per_chat_s=st.sampled_from([0.5, 1.0, 2.5]),
    group_per_min=st.integers(min_value=1, max_value=20),
    requests=_requests,
    pauses=_pauses,
)
def test_limiter_never_allows_more_than_the_profile_in_any_window(
    per_s: int,
    per_chat_s: float,
    group_per_min: int,
    requests: list[tuple[int, bool, float]],
    pauses: list[tuple[float, float]],
) -> None:
    profile = SenderProfile(
        name="property",
        global_per_s=per_s,
        private_per_chat_s=per_chat_s,
        group_per_min=group_per_min,
    )
    log = _run_on_virtual_clock(profile, requests, pauses)
    grants = [(t, chat) for kind, t, chat, _ in log if kind == "grant"]

    assert len(grants) == len(requests)  # every request was served
    times = sorted(t for t, _ in grants)
    for i in range(per_s, len(times)):  # any per_s + 1 sends span more than a second
        assert times[i] - times[i - per_s] > 1.0
    by_chat: dict[int, list[float]] = {}
    for t, chat in grants:
        by_chat.setdefault(chat, []).append(t)
    for chat, chat_times in by_chat.items():
        chat_times.sort()
        for earlier, later in itertools.pairwise(chat_times):
            assert later - earlier >= per_chat_s
        if chat < 0:  # a group: any group_per_min + 1 sends span more than a minute
            for i in range(group_per_min, len(chat_times)):
                assert chat_times[i] - chat_times[i - group_per_min] > 60.0
    pause_until = float("-inf")
    for kind, t, _, seconds in log:  # in the order things happened
        if kind == "pause":
            pause_until = max(pause_until, t + seconds)
        else:
            assert t >= pause_until - 1e-9


def _run_on_virtual_clock(
    profile: SenderProfile,
    requests: list[tuple[int, bool, float]],
    pauses: list[tuple[float, float]],
) -> list[tuple[str, float, int, float]]:
    """Runs requests and FloodWaits on a fresh virtual clock; returns what happened, in order."""
    clock = VirtualClock()
    limiter = SenderRateLimiter(profile, clock=clock)
    log: list[tuple[str, float, int, float]] = []

    async def request(chat: int, group: bool, at: float) -> None:
        await clock.sleep(at)
        chat_id = -chat if group else chat
        await limiter.acquire(chat_id, "group" if group else "private")
        log.append(("grant", clock.monotonic(), chat_id, 0.0))

    async def flood_wait(at: float, seconds: float) -> None:
        await clock.sleep(at)
        limiter.pause(seconds)
        log.append(("pause", clock.monotonic(), 0, seconds))

    async def main() -> None:
        await asyncio.gather(*(request(*r) for r in requests), *(flood_wait(*p) for p in pauses))

    # A loop of its own: hypothesis drives this test synchronously, example after example.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    return log


# -- the limit holds at the server, whatever the transit time does ------------------------------

_transits = st.lists(
    st.tuples(
        st.floats(min_value=0.0, max_value=0.04),  # the way out beyond the fastest
        st.floats(min_value=0.0, max_value=0.04),  # the way back beyond the fastest
    ),
    min_size=1,
    max_size=200,
)


@settings(max_examples=60, deadline=None)
@given(
    per_s=st.sampled_from([1, 5, 30]),
    fastest_one_way_s=st.floats(min_value=0.0, max_value=0.05),
    transits=_transits,
    chats=st.integers(min_value=1, max_value=400),
    in_flight=st.integers(min_value=1, max_value=32),
)
def test_no_window_at_the_server_ever_holds_more_than_the_profile(
    per_s: int,
    fastest_one_way_s: float,
    transits: list[tuple[float, float]],
    chats: int,
    in_flight: int,
) -> None:
    """Telegram counts a send when it arrives: requests whose transit varies by up to 40 ms
    each way never break a window there, because the limiter bounds each arrival by the
    request's answer (told by `sent`). Its one assumption holds: the way back takes at least
    half the fastest round trip seen (RETURN_SHARE)."""
    profile = SenderProfile(
        name="transit", global_per_s=per_s, private_per_chat_s=1.0, group_per_min=20
    )
    clock = VirtualClock()
    limiter = SenderRateLimiter(profile, clock=clock, transit=TransitEstimate(real=True))
    telegram_side = TelegramSimulator(profile, QUIET, clock=clock)
    requests = deque(enumerate(transits))
    gate = asyncio.Semaphore(in_flight)

    async def send(n: int, out_s: float, back_s: float) -> None:
        chat = n % chats + 1
        async with gate:
            await limiter.acquire(chat, "private")
            await clock.sleep(fastest_one_way_s + out_s)
            outcome = await telegram_side.send(OutgoingMessage(chat_id=chat, text="Hi"))
            assert outcome.status is SendStatus.SENT, outcome
            out = fastest_one_way_s + out_s
            fastest = limiter.transit.fastest_s
            back = fastest_one_way_s + back_s
            back = max(back, RETURN_SHARE * fastest if fastest else out)
            await clock.sleep(back)
            limiter.sent(chat)

    async def main() -> None:
        await asyncio.gather(*(send(n, *transit) for n, transit in requests))

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    assert telegram_side.stats.flood_waits == 0
    assert telegram_side.stats.max_global_per_s <= per_s


@settings(max_examples=200, deadline=None)
@given(
    gaps_s=st.lists(st.floats(min_value=0.0, max_value=4 * EVIDENCE_WINDOW_S), max_size=30),
)
def test_one_flood_wait_lowers_nothing_and_any_number_are_recovered_from_within_minutes(
    gaps_s: list[float],
) -> None:
    start = VirtualClock().now()
    learned = LearnedRate().after_flood_wait(start)
    assert learned.share == 1.0 and learned.flood_waits == 1  # a single one is not evidence
    at = start
    for gap_s in gaps_s:
        at += timedelta(seconds=gap_s)
        learned = learned.after_flood_wait(at)
        assert 0.5 <= learned.share <= 1.0
    five_half_lives = at + timedelta(seconds=5 * RATE_RECOVERY_HALF_LIFE_S)
    assert learned.share_at(five_half_lives) >= 1.0 - 0.5 / 32  # back within five minutes


@settings(max_examples=40, deadline=None)
@given(
    per_s=st.sampled_from([1, 5, 30]),
    flood_at=st.integers(min_value=0, max_value=60),
    retry_after_s=st.integers(min_value=1, max_value=5),
)
def test_after_a_single_flood_wait_the_sender_is_back_at_its_full_rate(
    per_s: int, flood_at: int, retry_after_s: int
) -> None:
    """One FloodWait costs its pause and nothing more: the sends after it go at the profile's
    rate, not at a learned lower one (it took a second FloodWait to lower it)."""
    profile = SenderProfile(name="p", global_per_s=per_s, private_per_chat_s=1.0, group_per_min=20)
    clock = VirtualClock()
    limiter = SenderRateLimiter(profile, clock=clock)
    grants: list[float] = []

    async def main() -> None:
        for chat in range(1, flood_at + 1):
            await limiter.acquire(chat)
        await limiter.flood_wait(retry_after_s)
        for chat in range(1000, 1000 + 4 * per_s + 1):
            await limiter.acquire(chat)
            grants.append(clock.monotonic())

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    assert limiter.rate_per_s == pytest.approx(per_s, rel=1e-4)
    steady = grants[-(2 * per_s) - 1 :]  # two whole windows after the catch-up
    assert (len(steady) - 1) / (steady[-1] - steady[0]) == pytest.approx(per_s, rel=1e-3)


def test_the_answers_time_not_the_callers_lag_bounds_the_next_window() -> None:
    """A caller that resumes late (a busy event loop) but reports when the transport had the
    answer costs the pace nothing: the 31st send of a bot goes one second after the first's
    answer, not one second after the caller resumed."""
    profile = PROFILES["bot"]
    lag_s, round_trip_s = 0.2, 0.002

    async def thirty_first(*, report_answer: bool) -> float:
        clock = VirtualClock()
        limiter = SenderRateLimiter(profile, clock=clock, transit=TransitEstimate(real=True))
        start = clock.monotonic()

        async def send(chat: int) -> None:
            await limiter.acquire(chat, "private")
            answered = clock.monotonic() + round_trip_s
            await clock.sleep(round_trip_s + lag_s)  # the caller resumes late
            limiter.sent(chat, answered_at=answered if report_answer else None)

        await asyncio.gather(*(send(chat) for chat in range(1, 31)))
        await limiter.acquire(31, "private")
        return clock.monotonic() - start

    loop = asyncio.new_event_loop()
    try:
        late = loop.run_until_complete(thirty_first(report_answer=False))
        on_time = loop.run_until_complete(thirty_first(report_answer=True))
    finally:
        loop.close()
    assert on_time == pytest.approx(1.0 + round_trip_s, abs=0.006)
    assert late == pytest.approx(1.0 + round_trip_s + lag_s, abs=0.006)

"""The simulator keeps Telegram's limits by itself and answers a breach with a FloodWait."""

from __future__ import annotations

from marketing_agent.core.clock import VirtualClock
from marketing_agent.telegram.profiles import PROFILES
from marketing_agent.telegram.simulator import TelegramSimulator
from marketing_agent.telegram.transport import SendStatus
from tests.telegram.factories import message


async def test_bot_sending_31_messages_in_one_second_gets_a_flood_wait(
    virtual_clock: VirtualClock,
) -> None:
    sim = TelegramSimulator(PROFILES["bot"])

    outcomes = [await sim.send(message(1000 + i)) for i in range(31)]

    assert [o.status for o in outcomes[:30]] == [SendStatus.SENT] * 30
    assert outcomes[30].status is SendStatus.RETRY_AFTER
    assert outcomes[30].retry_after_s == 1.0
    assert sim.stats.flood_waits == 1
    assert sim.stats.sent == 30
    assert 1030 not in sim.stats.received  # a refused send delivers nothing


async def test_thirty_messages_spread_over_a_second_are_all_delivered(
    virtual_clock: VirtualClock,
) -> None:
    sim = TelegramSimulator(PROFILES["bot"])

    for i in range(90):
        assert (await sim.send(message(i + 1))).status is SendStatus.SENT
        virtual_clock.advance(1 / 30 + 1e-6)

    assert sim.stats.flood_waits == 0
    assert sim.stats.max_global_per_s == 30


async def test_second_message_to_one_private_chat_within_a_second_gets_a_flood_wait(
    virtual_clock: VirtualClock,
) -> None:
    sim = TelegramSimulator(PROFILES["bot"])
    assert (await sim.send(message(7))).status is SendStatus.SENT

    virtual_clock.advance(0.4)
    too_soon = await sim.send(message(7))
    other_chat = await sim.send(message(8))
    virtual_clock.advance(1.0)
    after_waiting = await sim.send(message(7))

    assert too_soon.status is SendStatus.RETRY_AFTER
    assert too_soon.retry_after_s == 1.0
    assert other_chat.status is SendStatus.SENT  # the per-chat limit does not stop other chats
    assert after_waiting.status is SendStatus.SENT
    assert sim.stats.received[7] == 2


async def test_group_gets_a_flood_wait_after_twenty_messages_in_a_minute(
    virtual_clock: VirtualClock,
) -> None:
    sim = TelegramSimulator(PROFILES["bot"])
    group = -100123
    for _ in range(20):
        assert (await sim.send(message(group, chat_kind="group"))).status is SendStatus.SENT
        virtual_clock.advance(1.5)

    refused = await sim.send(message(group, chat_kind="group"))  # t = 30 s
    virtual_clock.advance(refused.retry_after_s or 0)
    accepted = await sim.send(message(group, chat_kind="group"))

    assert refused.status is SendStatus.RETRY_AFTER
    assert refused.retry_after_s == 30.0  # the first of the twenty leaves the window at t = 60 s
    assert accepted.status is SendStatus.SENT
    assert sim.stats.max_group_per_min == 20


async def test_ignoring_a_flood_wait_keeps_the_sender_refused_until_it_ends(
    virtual_clock: VirtualClock,
) -> None:
    sim = TelegramSimulator(PROFILES["bot"])
    for i in range(31):
        flood = await sim.send(message(i + 1))
    assert flood.status is SendStatus.RETRY_AFTER

    virtual_clock.advance(0.5)
    still_refused = await sim.send(message(500))
    virtual_clock.advance(0.5)
    after_the_wait = await sim.send(message(501))

    assert still_refused.status is SendStatus.RETRY_AFTER
    assert after_the_wait.status is SendStatus.SENT
    assert sim.stats.flood_waits == 2
    assert sim.stats.ignored_flood_waits == 1


async def test_paid_broadcast_sends_a_thousand_a_second(virtual_clock: VirtualClock) -> None:
    sim = TelegramSimulator(PROFILES["paid_broadcast"])

    outcomes = [await sim.send(message(i + 1)) for i in range(1001)]

    assert sum(o.status is SendStatus.SENT for o in outcomes) == 1000
    assert outcomes[-1].status is SendStatus.RETRY_AFTER


async def test_user_account_profile_is_one_message_a_second(virtual_clock: VirtualClock) -> None:
    sim = TelegramSimulator(PROFILES["user"])

    first = await sim.send(message(1))
    second = await sim.send(message(2))
    virtual_clock.advance(1.0)
    third = await sim.send(message(2))

    assert [first.status, second.status, third.status] == [
        SendStatus.SENT,
        SendStatus.RETRY_AFTER,
        SendStatus.SENT,
    ]

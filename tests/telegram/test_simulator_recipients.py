"""The simulator refuses what Telegram refuses, and never delivers one message twice."""

from __future__ import annotations

import pytest

from marketing_agent.core.clock import VirtualClock
from marketing_agent.telegram.profiles import PROFILES
from marketing_agent.telegram.simulator import (
    BehaviourModel,
    RecipientBehaviour,
    RecipientState,
    TelegramSimulator,
)
from marketing_agent.telegram.transport import SendStatus
from tests.telegram.factories import message


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("blocked", "blocked"),
        ("privacy_restricted", "privacy_restricted"),
        ("deactivated", "deactivated"),
        ("invalid", "invalid_peer"),
    ],
)
async def test_unreachable_recipient_is_a_permanent_failure_with_the_reason(
    virtual_clock: VirtualClock, state: RecipientState, reason: str
) -> None:
    sim = TelegramSimulator(PROFILES["bot"])
    sim.set_recipient_state(42, state)

    outcome = await sim.send(message(42))

    assert outcome.status is SendStatus.PERMANENT
    assert outcome.reason == reason
    assert 42 not in sim.stats.received
    assert sim.stats.permanent_failures == 1


async def test_without_an_audience_any_other_chat_is_an_ordinary_reachable_private_chat(
    virtual_clock: VirtualClock,
) -> None:
    sim = TelegramSimulator(PROFILES["bot"])  # started_chats=None: limits only, no people

    outcome = await sim.send(message(987654321))

    assert outcome.status is SendStatus.SENT
    assert outcome.message_id is not None


async def test_a_bot_reaches_only_people_who_started_it_and_groups_it_is_in(
    virtual_clock: VirtualClock,
) -> None:
    started: set[int] = set()
    sim = TelegramSimulator(PROFILES["bot"], started_chats=started)
    sim.add_started_chats([100, -1001])
    sim.simulate_user_action("start", 101, text="/start")
    sim.simulate_user_action("reply", 102, text="Hello?")  # writing to a bot starts it too

    outcomes = {chat: await sim.send(message(chat)) for chat in (100, 101, 102, -1001)}
    stranger = await sim.send(message(103))
    other_group = await sim.send(message(-1002, chat_kind="group"))

    assert all(o.status is SendStatus.SENT for o in outcomes.values())
    assert (stranger.status, stranger.reason) == (SendStatus.PERMANENT, "chat_not_found")
    assert (other_group.status, other_group.reason) == (SendStatus.PERMANENT, "chat_not_found")
    assert started == {100, 101, 102, -1001}  # the caller's set: a rebuilt simulator keeps it
    assert sim.stats.failure_reasons == {"chat_not_found": 2}


async def test_a_user_account_may_write_to_anyone(virtual_clock: VirtualClock) -> None:
    sim = TelegramSimulator(PROFILES["user"], started_chats=set())

    outcome = await sim.send(message(104))

    assert outcome.status is SendStatus.SENT


async def test_text_over_the_limit_is_refused_as_too_long(virtual_clock: VirtualClock) -> None:
    sim = TelegramSimulator(PROFILES["bot"])

    at_limit = await sim.send(message(1, "x" * 4096))
    over = await sim.send(message(2, "x" * 4097))
    # Telegram counts UTF-16 code units: 2049 emoji are 4098 of them.
    emoji_over = await sim.send(message(3, "😀" * 2049))

    assert at_limit.status is SendStatus.SENT
    assert (over.status, over.reason) == (SendStatus.PERMANENT, "too_long")
    assert (emoji_over.status, emoji_over.reason) == (SendStatus.PERMANENT, "too_long")


async def test_resend_with_the_same_random_id_delivers_nothing_new(
    virtual_clock: VirtualClock,
) -> None:
    sim = TelegramSimulator(PROFILES["bot"])

    first = await sim.send(message(5, random_id=111))
    again = await sim.send(message(5, random_id=111))  # no per-chat FloodWait either

    assert first.status is again.status is SendStatus.SENT
    assert again.message_id == first.message_id
    assert sim.stats.received[5] == 1
    assert sim.stats.deduplicated == 1


async def test_lost_answer_retried_with_its_random_id_is_received_once(
    virtual_clock: VirtualClock,
) -> None:
    sim = TelegramSimulator(PROFILES["bot"], lost_response_p=1.0)

    lost = await sim.send(message(5, random_id=222))
    sim.set_faults(transient_failure_p=0.0, lost_response_p=0.0)
    virtual_clock.advance(5)
    retried = await sim.send(message(5, random_id=222))

    assert (lost.status, lost.reason) == (SendStatus.RETRY_BACKOFF, "response_lost")
    assert retried.status is SendStatus.SENT
    assert sim.stats.received[5] == 1


async def test_transient_failure_delivers_nothing(virtual_clock: VirtualClock) -> None:
    sim = TelegramSimulator(PROFILES["bot"], transient_failure_p=1.0)

    outcome = await sim.send(message(5))

    assert outcome.status is SendStatus.RETRY_BACKOFF
    assert 5 not in sim.stats.received


async def test_recipient_who_stopped_the_bot_is_blocked_until_they_start_it_again(
    virtual_clock: VirtualClock,
) -> None:
    always_stops = RecipientBehaviour(read_p=1.0, click_p=0.0, reply_p=0.0, stop_p=1.0)
    sim = TelegramSimulator(PROFILES["bot"], BehaviourModel(default=always_stops))
    assert (await sim.send(message(9))).status is SendStatus.SENT

    virtual_clock.advance(86_400)
    stops = [e for e in await sim.fetch_updates() if e.kind == "stop"]
    after_stop = await sim.send(message(9))
    sim.simulate_user_action("start", 9, text="/start")
    after_start = await sim.send(message(9))

    assert len(stops) == 1
    assert (after_stop.status, after_stop.reason) == (SendStatus.PERMANENT, "blocked")
    assert after_start.status is SendStatus.SENT


async def test_restricted_sender_is_unhealthy_for_every_recipient(
    virtual_clock: VirtualClock,
) -> None:
    sim = TelegramSimulator(PROFILES["user"])
    sim.set_sender_health("peer_flood")

    outcome = await sim.send(message(1))

    assert (outcome.status, outcome.reason) == (SendStatus.SENDER_UNHEALTHY, "peer_flood")
    assert sim.stats.sent == 0


async def test_closed_simulator_sends_nothing(virtual_clock: VirtualClock) -> None:
    sim = TelegramSimulator(PROFILES["bot"])
    await sim.close()

    outcome = await sim.send(message(1))

    assert outcome.status is SendStatus.SENDER_UNHEALTHY

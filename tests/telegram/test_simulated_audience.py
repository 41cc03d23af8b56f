"""Simulated recipients react per variant, in a believable order, when their time comes."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from marketing_agent.core.clock import VirtualClock
from marketing_agent.telegram.profiles import PROFILES
from marketing_agent.telegram.simulator import (
    BehaviourModel,
    RecipientBehaviour,
    SenderKind,
    TelegramSimulator,
)
from marketing_agent.telegram.transport import Button, InboundEvent, OutgoingMessage, SendStatus
from tests.telegram.factories import message

TWO_VARIANTS = BehaviourModel(
    default=RecipientBehaviour(read_p=0.0),
    variants={
        "A": RecipientBehaviour(read_p=0.8, click_p=0.05, convert_p=0.5),
        "B": RecipientBehaviour(read_p=0.8, click_p=0.30, convert_p=0.5),
    },
)


async def _send_paced(
    sim: TelegramSimulator, clock: VirtualClock, messages: list[OutgoingMessage]
) -> dict[int, str]:
    """Sends each message within the bot's rate; returns message id -> variant."""
    variants: dict[int, str] = {}
    for msg in messages:
        outcome = await sim.send(msg)
        assert outcome.status is SendStatus.SENT and outcome.message_id is not None
        variants[outcome.message_id] = msg.tags.get("variant_key", "")
        clock.advance(0.04)
    return variants


async def test_variants_produce_clearly_different_click_rates(virtual_clock: VirtualClock) -> None:
    sim = TelegramSimulator(PROFILES["bot"], TWO_VARIANTS, seed=7)
    messages = [message(10_000 + i, variant="AB"[i % 2]) for i in range(2000)]
    variants = await _send_paced(sim, virtual_clock, messages)

    virtual_clock.advance(7 * 86_400)
    clicks: dict[str, int] = defaultdict(int)
    for event in await sim.fetch_updates():
        if event.kind == "click" and event.message_id is not None:
            clicks[variants[event.message_id]] += 1

    rate_a, rate_b = clicks["A"] / 1000, clicks["B"] / 1000
    assert abs(rate_a - 0.8 * 0.05) < 0.02
    assert abs(rate_b - 0.8 * 0.30) < 0.04
    assert rate_b > 3 * rate_a


async def test_untagged_messages_follow_the_default_behaviour(virtual_clock: VirtualClock) -> None:
    sim = TelegramSimulator(PROFILES["bot"], TWO_VARIANTS, seed=1)
    await _send_paced(sim, virtual_clock, [message(i + 1) for i in range(50)])

    virtual_clock.advance(86_400)

    assert await sim.fetch_updates() == []  # the default here never reads


async def test_events_are_released_only_once_their_time_has_come(
    virtual_clock: VirtualClock,
) -> None:
    sim = TelegramSimulator(PROFILES["bot"], TWO_VARIANTS, seed=3)
    await _send_paced(sim, virtual_clock, [message(i + 1, variant="B") for i in range(200)])
    pending_at_start = sim.pending_events

    released = await sim.fetch_updates()  # the quickest readers are already due
    assert all(e.occurred_at <= virtual_clock.now() for e in released)
    for _ in range(48):
        virtual_clock.advance(1800)
        batch = await sim.fetch_updates()
        assert all(e.occurred_at <= virtual_clock.now() for e in batch)
        assert all(e.occurred_at > virtual_clock.now() - timedelta(seconds=1800) for e in batch)
        released += batch

    assert pending_at_start > 0
    assert len(released) == pending_at_start
    assert sim.pending_events == 0


async def test_nothing_is_released_before_its_time(virtual_clock: VirtualClock) -> None:
    slow_reader = RecipientBehaviour(read_p=1.0, read_delay_s=3600.0)
    sim = TelegramSimulator(PROFILES["user"], BehaviourModel(default=slow_reader), seed=5)
    await sim.send(message(1))
    due_at = sim.next_event_at
    assert due_at is not None

    virtual_clock.advance((due_at - virtual_clock.now()).total_seconds() - 0.001)
    early = await sim.fetch_updates()
    virtual_clock.advance(0.002)
    on_time = await sim.fetch_updates()

    assert early == []
    assert [e.kind for e in on_time] == ["read"]


EAGER = BehaviourModel(
    default=RecipientBehaviour(read_p=0.7, click_p=0.5, convert_p=0.5, reply_p=0.2, stop_p=0.1)
)


def _messages_with_a_button(count: int) -> list[OutgoingMessage]:
    button = Button(text="Shop now", url="https://shop.example.com/spring")
    return [
        OutgoingMessage(chat_id=i + 1, text="Spring sale", buttons=((button,),))
        for i in range(count)
    ]


async def test_a_bot_gets_no_read_receipts_but_every_other_reaction(
    virtual_clock: VirtualClock,
) -> None:
    runs: dict[str, list[tuple[str, int, int | None]]] = {}
    kinds: tuple[SenderKind, ...] = ("bot", "user")
    for kind in kinds:
        sim = TelegramSimulator(PROFILES["bot"], EAGER, seed=11, sender_kind=kind)
        await _send_paced(sim, virtual_clock, _messages_with_a_button(200))
        virtual_clock.advance(30 * 86_400)
        runs[kind] = [(e.kind, e.chat_id, e.message_id) for e in await sim.fetch_updates()]

    assert runs["user"] and not any(kind == "read" for kind, _, _ in runs["bot"])
    # The same people do the same things; the bot is only not told who read.
    assert sorted(runs["bot"]) == sorted(e for e in runs["user"] if e[0] != "read")
    assert {kind for kind, _, _ in runs["bot"]} == {"click", "converted", "reply", "stop"}


async def test_clicks_follow_reads_and_conversions_follow_clicks(
    virtual_clock: VirtualClock,
) -> None:
    # A user account's recipients: only they send read receipts.
    sim = TelegramSimulator(PROFILES["bot"], EAGER, seed=11, sender_kind="user")
    messages = _messages_with_a_button(400)
    await _send_paced(sim, virtual_clock, messages)
    virtual_clock.advance(30 * 86_400)

    by_message: dict[int, dict[str, InboundEvent]] = defaultdict(dict)
    for event in await sim.fetch_updates():
        assert event.message_id is not None
        by_message[event.message_id][event.kind] = event

    kinds_seen = {kind for events in by_message.values() for kind in events}
    assert kinds_seen == {"read", "click", "converted", "reply", "stop"}
    for events in by_message.values():
        if "click" in events:
            assert events["read"].occurred_at <= events["click"].occurred_at
            assert events["click"].payload["url"] == "https://shop.example.com/spring"
        if "converted" in events:
            assert events["click"].occurred_at <= events["converted"].occurred_at
        if "reply" in events:
            assert events["reply"].text


async def test_the_same_seed_gives_the_same_reactions(virtual_clock: VirtualClock) -> None:
    runs = []
    for _ in range(2):
        sim = TelegramSimulator(PROFILES["bot"], TWO_VARIANTS, seed=42)
        messages = [message(i + 1, variant="AB"[i % 2]) for i in range(100)]
        for msg in messages:
            await sim.send(msg)
        virtual_clock.advance(30 * 86_400)
        runs.append([(e.kind, e.chat_id) for e in await sim.fetch_updates()])

    assert runs[0] == runs[1]
    assert runs[0]

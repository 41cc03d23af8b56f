"""Updates of a Bot API bot: long polling against the simulated Bot API over HTTP, and what each
update means (start with its deep-link source, stop, reply, a button press)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram.types import Update

from marketing_agent.telegram.botapi import BotApiTransport, events_of_update
from marketing_agent.telegram.profiles import get_profile_by_name
from marketing_agent.telegram.transport import Button, InboundEvent, OutgoingMessage
from tests.telegram.bot_api_server import People


async def fetch_until(transport: BotApiTransport, count: int) -> list[InboundEvent]:
    """Fetches as the scheduler does (every few tens of ms here, confirming each batch as
    stored) until `count` events came."""
    events: list[InboundEvent] = []
    for _ in range(200):
        events += await transport.fetch_updates()
        transport.confirm_updates()
        if len(events) >= count:
            return events
        await asyncio.sleep(0.02)
    raise AssertionError(f"only {len(events)} of {count} events arrived")


async def test_long_polling_receives_a_start_with_its_source_and_a_button_press(
    people: People,
) -> None:
    await people.started(61)
    transport = people.transport()
    try:
        assert await transport.fetch_updates() == []  # starts long polling
        sent = await transport.send(
            OutgoingMessage(
                chat_id=61, text="Sale!", buttons=((Button("More", callback_data="more"),),)
            )
        )
        await people.says(
            61, "/start shop_footer", first_name="Ann", username="ann", language_code="de"
        )
        await people.presses(61, "more")
        start, click = await fetch_until(transport, 2)
    finally:
        await transport.close()

    assert (start.kind, start.chat_id, start.text) == ("start", 61, "/start shop_footer")
    assert {k: start.payload[k] for k in ("source", "first_name", "username", "language")} == {
        "source": "shop_footer",
        "first_name": "Ann",
        "username": "ann",
        "language": "de",
    }
    assert (click.kind, click.chat_id, click.message_id) == ("click", 61, sent.message_id)
    assert (click.payload["data"], click.payload["message_text"]) == ("more", "Sale!")
    assert (await people.bot_state())["answered_callbacks"] == 1  # the spinner stops


async def _pending_updates(people: People, expected: int) -> int:
    for _ in range(100):
        pending: int = (await people.bot_state())["pending_updates"]
        if pending == expected:
            return pending
        await asyncio.sleep(0.02)
    return pending


async def test_an_update_is_confirmed_to_telegram_only_once_it_is_stored(people: People) -> None:
    transport = people.transport()
    try:
        await transport.fetch_updates()
        await people.says(62, "Hello")
        [reply] = await fetch_until_unconfirmed(transport)
        await asyncio.sleep(0.3)  # handed out, not confirmed: the poller does not ask again
        kept = await _pending_updates(people, 1)
        again = await transport.fetch_updates()  # storing failed, say: handed out once more
        transport.confirm_updates()  # stored
        confirmed = await _pending_updates(people, 0)
    finally:
        await transport.close()

    assert (reply.kind, reply.text, reply.update_id) == ("reply", "Hello", again[0].update_id)
    assert again == [reply]
    assert (kept, confirmed) == (1, 0)


async def fetch_until_unconfirmed(transport: BotApiTransport) -> list[InboundEvent]:
    """Fetches without confirming until something came."""
    for _ in range(200):
        events = await transport.fetch_updates()
        if events:
            return events
        await asyncio.sleep(0.02)
    raise AssertionError("nothing arrived")


async def test_polling_with_a_revoked_token_stops_and_reports_the_sender(people: People) -> None:
    problems: list[str] = []
    transport = BotApiTransport(
        lambda: "123456:revoked",
        server_url=people.server_url,
        profile=get_profile_by_name("bot"),
        on_unhealthy=problems.append,
    )
    try:
        await transport.fetch_updates()
        for _ in range(100):
            if problems:
                break
            await asyncio.sleep(0.02)
    finally:
        await transport.close()

    assert problems == ["unauthorized"]


def update(**body: Any) -> Update:
    return Update.model_validate({"update_id": 1, **body})


def message(text: str, *, chat: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "message_id": 9,
        "date": 1_790_000_000,
        "chat": chat or {"id": 70, "type": "private"},
        "from": {"id": 70, "is_bot": False, "first_name": "Bo"},
        "text": text,
        **extra,
    }


def press(data: str, shown: str = "Get news from @shop_bot?") -> dict[str, Any]:
    return {
        "id": "q1",
        "chat_instance": "c",
        "from": {"id": 70, "is_bot": False, "first_name": "Bo"},
        "data": data,
        "message": {
            "message_id": 5,
            "date": 1_790_000_000,
            "chat": {"id": 70, "type": "private"},
            "text": shown,
        },
    }


def test_stop_words_commands_and_the_unsubscribe_button_are_stops() -> None:
    texts = ["STOP", "stop!", "Unsubscribe.", "/stop", "/unsubscribe"]
    kinds = [events_of_update(update(message=message(t)))[0].kind for t in texts]
    button = events_of_update(update(callback_query=press("optout")))[0]

    assert kinds == ["stop"] * 5
    assert (button.kind, button.payload["data"]) == ("stop", "optout")


def test_the_opt_in_button_is_a_consent_with_the_text_the_person_saw() -> None:
    [event] = events_of_update(update(callback_query=press("optin:shop_footer")))

    assert (event.kind, event.chat_id, event.message_id) == ("consent_yes", 70, 5)
    assert event.payload["source"] == "shop_footer"
    assert event.payload["message_text"] == "Get news from @shop_bot?"


def test_start_without_a_valid_source_is_direct_and_other_words_are_replies() -> None:
    bare = events_of_update(update(message=message("/start")))[0]
    odd = events_of_update(update(message=message("/start ../../etc")))[0]
    answer = events_of_update(
        update(message=message("How much?", reply_to_message=message("Sale!", message_id=4)))
    )[0]

    assert (bare.kind, bare.payload["source"]) == ("start", "direct")
    assert odd.payload["source"] == "direct"
    assert (answer.kind, answer.text, answer.message_id) == ("reply", "How much?", 4)


def test_group_chatter_and_other_bots_are_not_people_answering_us() -> None:
    group = message("STOP", chat={"id": -100_5, "type": "supergroup", "title": "Fans"})
    bot = message("/start x") | {"from": {"id": 71, "is_bot": True, "first_name": "B"}}

    assert events_of_update(update(message=group)) == []
    assert events_of_update(update(message=bot)) == []
    assert events_of_update(update(edited_message=message("edited"))) == []


def test_a_business_message_is_a_reply_marked_with_its_business_connection() -> None:
    business = message("STOP", business_connection_id="bc-1")

    [event] = events_of_update(update(business_message=business))
    plain = events_of_update(update(message=message("Hello")))[0]

    assert event.kind == "reply", "a customer's STOP to a business is not a STOP to the bot"
    assert event.payload["business_connection_id"] == "bc-1"
    assert "business_connection_id" not in plain.payload


async def test_a_customers_message_to_a_connected_business_account_arrives_by_long_polling(
    people: People,
) -> None:
    transport = people.transport()
    try:
        assert await transport.fetch_updates() == []  # subscribes, as Telegram remembers
        await people.says(63, "Do you ship to Lyon?", business_connection_id="bc-7")
        await people.says(63, "Hello bot")
        business, plain = await fetch_until(transport, 2)
    finally:
        await transport.close()

    assert (business.kind, business.text) == ("reply", "Do you ship to Lyon?")
    assert business.payload["business_connection_id"] == "bc-7"
    assert "business_connection_id" not in plain.payload
    state = await people.bot_state()
    assert state["dropped_updates"] == 0, "Telegram dropped an update the bot did not ask for"
    assert "business_message" in state["allowed_updates"]


async def test_a_webhook_subscribes_to_business_messages_too(people: People) -> None:
    transport = people.transport()
    try:
        await transport.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret")
    finally:
        await transport.close()

    state = await people.bot_state()
    assert {"message", "callback_query", "business_message"} <= set(state["allowed_updates"])

"""The Bot API transport (aiogram) against the simulated Bot API over real HTTP: what it sends,
and the one outcome each of Telegram's answers becomes."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage

from marketing_agent.telegram.botapi import BotApiTransport, outcome_for_error
from marketing_agent.telegram.profiles import get_profile_by_name
from marketing_agent.telegram.transport import Button, Media, OutgoingMessage, SendStatus
from tests.telegram.bot_api_server import People


async def test_html_text_with_link_and_callback_buttons_reaches_the_person(
    people: People,
) -> None:
    await people.started(42)
    transport = people.transport()
    buttons = (
        (Button("Shop now", url="https://shop.example/boots"),),
        (Button("Later", callback_data="later"),),
    )
    try:
        outcome = await transport.send(
            OutgoingMessage(
                chat_id=42, text="<b>Boots</b> 20% off", parse_mode="HTML", buttons=buttons
            )
        )
    finally:
        await transport.close()

    assert outcome.status is SendStatus.SENT and outcome.message_id is not None
    [seen] = await people.received(42)
    assert (seen["text"], seen["raw_text"], seen["parse_mode"]) == (
        "Boots 20% off",
        "<b>Boots</b> 20% off",
        "HTML",
    )
    assert seen["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Shop now", "url": "https://shop.example/boots"}],
            [{"text": "Later", "callback_data": "later"}],
        ]
    }
    assert seen["message_id"] == outcome.message_id and seen["allow_paid_broadcast"] is False


async def test_photo_by_url_and_document_uploaded_from_disk_carry_their_captions(
    people: People, tmp_path: Path
) -> None:
    leaflet = tmp_path / "leaflet.pdf"
    leaflet.write_bytes(b"%PDF-1.4 boots" * 100)
    await people.started(43, 44)
    transport = people.transport()
    try:
        photo = await transport.send(
            OutgoingMessage(
                chat_id=43, text="New boots", media=Media("photo", url="https://cdn.example/b.jpg")
            )
        )
        document = await transport.send(
            OutgoingMessage(chat_id=44, text="", media=Media("document", path=str(leaflet)))
        )
    finally:
        await transport.close()

    assert photo.status is document.status is SendStatus.SENT
    [seen_photo] = await people.received(43)
    [seen_document] = await people.received(44)
    assert (seen_photo["kind"], seen_photo["text"]) == ("photo", "New boots")
    assert seen_photo["media"] == {"url": "https://cdn.example/b.jpg"}
    assert seen_document["kind"] == "document"
    assert seen_document["media"] == {"upload": "leaflet.pdf", "size": 1400}


async def test_caption_over_1024_characters_or_a_missing_file_is_refused_before_sending(
    people: People, tmp_path: Path
) -> None:
    transport = people.transport()
    try:
        long_caption = await transport.send(
            OutgoingMessage(
                chat_id=45, text="x" * 1025, media=Media("photo", url="https://e/p.jpg")
            )
        )
        missing = await transport.send(
            OutgoingMessage(chat_id=45, text="", media=Media("document", path=str(tmp_path / "no")))
        )
        fat_button = await transport.send(
            OutgoingMessage(
                chat_id=45, text="Hi", buttons=((Button("b", callback_data="x" * 65),),)
            )
        )
    finally:
        await transport.close()

    assert [(o.status, o.reason) for o in (long_caption, missing, fat_button)] == [
        (SendStatus.PERMANENT, "caption_too_long"),
        (SendStatus.PERMANENT, "media_unreadable"),
        (SendStatus.PERMANENT, "bad_button"),
    ]
    assert (await people.bot_state())["sent"] == 0


async def test_a_paid_broadcast_sender_sends_with_allow_paid_broadcast(people: People) -> None:
    await people.started(46)
    transport = people.transport(profile="paid_broadcast")
    try:
        outcome = await transport.send(OutgoingMessage(chat_id=46, text="Flash sale"))
    finally:
        await transport.close()

    assert outcome.status is SendStatus.SENT
    assert [m["allow_paid_broadcast"] for m in await people.received(46)] == [True]


async def test_exceeding_the_profile_is_a_floodwait_with_the_seconds_telegram_asked(
    people: People,
) -> None:
    await people.started(47, *range(1000, 1040))
    transport = people.transport()
    try:
        first = await transport.send(OutgoingMessage(chat_id=47, text="one"))
        second = await transport.send(OutgoingMessage(chat_id=47, text="two"))
        burst = await asyncio.gather(
            *(transport.send(OutgoingMessage(chat_id=1000 + n, text="Hi")) for n in range(40))
        )
    finally:
        await transport.close()

    # One message a second to a chat; 30 a second in bulk (the first one counts): the rest
    # wait for the second to pass, in Telegram's whole seconds.
    assert first.status is SendStatus.SENT
    assert (second.status, second.retry_after_s) == (SendStatus.RETRY_AFTER, 1.0)
    waits = [o for o in burst if o.status is SendStatus.RETRY_AFTER]
    assert sum(o.status is SendStatus.SENT for o in burst) == 29
    assert len(waits) == 11 and {(o.retry_after_s, o.reason) for o in waits} == {
        (1.0, "flood_wait")
    }
    assert (await people.bot_state())["flood_waits"] == 12


async def test_blocked_deactivated_too_long_and_unknown_chats_are_permanent(
    people: People,
) -> None:
    await people.started(50, 51, 52, 53, 54)
    await people.becomes(50, "blocked")
    await people.becomes(51, "deactivated")
    await people.becomes(52, "invalid")
    transport = people.transport()
    try:
        outcomes = [
            await transport.send(OutgoingMessage(chat_id=50, text="Hi")),
            await transport.send(OutgoingMessage(chat_id=51, text="Hi")),
            await transport.send(OutgoingMessage(chat_id=52, text="Hi")),
            await transport.send(OutgoingMessage(chat_id=53, text="x" * 4097)),
            # Telegram measures formatted text after parsing: 4096 visible characters fit.
            await transport.send(
                OutgoingMessage(chat_id=54, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
            ),
            await transport.send(OutgoingMessage(chat_id=55, text="Hi")),  # never started it
        ]
    finally:
        await transport.close()

    assert [(o.status, o.reason) for o in outcomes] == [
        (SendStatus.PERMANENT, "blocked"),
        (SendStatus.PERMANENT, "deactivated"),
        (SendStatus.PERMANENT, "chat_not_found"),
        (SendStatus.PERMANENT, "too_long"),
        (SendStatus.SENT, None),
        (SendStatus.PERMANENT, "chat_not_found"),
    ]


async def test_a_wrong_token_makes_the_sender_unhealthy(people: People) -> None:
    transport = people.transport(token="123456:not-a-token-of-this-server")
    try:
        outcome = await transport.send(OutgoingMessage(chat_id=55, text="Hi"))
    finally:
        await transport.close()

    assert (outcome.status, outcome.reason) == (SendStatus.SENDER_UNHEALTHY, "unauthorized")


async def test_server_errors_and_an_unreachable_server_are_retried_with_backoff(
    people: People,
) -> None:
    await people.started(56)
    await people.set_faults(transient_failure_p=1.0)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    flaky, unreachable = (
        people.transport(),
        BotApiTransport(
            lambda: people.bot.token,
            server_url=f"http://127.0.0.1:{closed_port}",
            profile=get_profile_by_name("bot"),
        ),
    )
    try:
        server_error = await flaky.send(OutgoingMessage(chat_id=56, text="Hi"))
        network_error = await unreachable.send(OutgoingMessage(chat_id=56, text="Hi"))
    finally:
        await flaky.close()
        await unreachable.close()

    assert (server_error.status, server_error.reason) == (SendStatus.RETRY_BACKOFF, "server_error")
    assert (network_error.status, network_error.reason) == (
        SendStatus.RETRY_BACKOFF,
        "network_error",
    )


async def test_a_closed_transport_sends_nothing(people: People) -> None:
    transport = people.transport()
    await transport.close()

    outcome = await transport.send(OutgoingMessage(chat_id=57, text="Hi"))

    assert (outcome.status, outcome.reason) == (SendStatus.SENDER_UNHEALTHY, "transport_closed")
    assert await transport.fetch_updates() == []


_METHOD = SendMessage(chat_id=1, text="Hi")


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (
            TelegramRetryAfter(_METHOD, "Too Many Requests: retry after 7", 7),
            "retry_after",
            "flood_wait",
        ),
        (
            TelegramForbiddenError(_METHOD, "Forbidden: bot was blocked by the user"),
            "permanent",
            "blocked",
        ),
        (
            TelegramForbiddenError(_METHOD, "Forbidden: user is deactivated"),
            "permanent",
            "deactivated",
        ),
        (
            TelegramForbiddenError(_METHOD, "Forbidden: bot was kicked from the supergroup chat"),
            "permanent",
            "kicked",
        ),
        (
            TelegramForbiddenError(
                _METHOD, "Forbidden: bot can't initiate conversation with a user"
            ),
            "permanent",
            "not_started",
        ),
        (TelegramForbiddenError(_METHOD, "Forbidden: something new"), "permanent", "forbidden"),
        (TelegramBadRequest(_METHOD, "Bad Request: chat not found"), "permanent", "chat_not_found"),
        (TelegramBadRequest(_METHOD, "Bad Request: message is too long"), "permanent", "too_long"),
        (
            TelegramBadRequest(_METHOD, "Bad Request: message caption is too long"),
            "permanent",
            "caption_too_long",
        ),
        (
            TelegramBadRequest(_METHOD, "Bad Request: can't parse entities: unclosed tag"),
            "permanent",
            "bad_formatting",
        ),
        (
            TelegramBadRequest(_METHOD, "Bad Request: wrong file identifier/HTTP URL specified"),
            "permanent",
            "bad_media",
        ),
        (
            TelegramBadRequest(_METHOD, "Bad Request: BUTTON_DATA_INVALID"),
            "permanent",
            "bad_button",
        ),
        (TelegramBadRequest(_METHOD, "Bad Request: something new"), "permanent", "bad_request"),
        (
            TelegramMigrateToChat(_METHOD, "Bad Request: group upgraded", -100999),
            "permanent",
            "chat_migrated",
        ),
        (
            TelegramEntityTooLarge(_METHOD, "Request Entity Too Large"),
            "permanent",
            "file_too_large",
        ),
        (TelegramUnauthorizedError(_METHOD, "Unauthorized"), "sender_unhealthy", "unauthorized"),
        (TelegramNotFound(_METHOD, "Not Found"), "sender_unhealthy", "bot_api_not_found"),
        (
            TelegramConflictError(_METHOD, "Conflict: terminated by other getUpdates request"),
            "retry_backoff",
            "conflict",
        ),
        (TelegramServerError(_METHOD, "Internal Server Error"), "retry_backoff", "server_error"),
        (RestartingTelegram(_METHOD, "Bad Gateway: restart"), "retry_backoff", "server_error"),
        (TelegramNetworkError(_METHOD, "Request timeout error"), "retry_backoff", "timeout"),
        (
            TelegramNetworkError(_METHOD, "ClientConnectorError: refused"),
            "retry_backoff",
            "network_error",
        ),
        (
            ClientDecodeError("Failed to decode object", ValueError("x"), "<html>"),
            "retry_backoff",
            "bad_response",
        ),
        (TelegramAPIError(_METHOD, "Too Many Requests"), "retry_backoff", "telegram_error"),
    ],
)
def test_every_aiogram_error_is_one_outcome(error: Exception, status: str, reason: str) -> None:
    outcome = outcome_for_error(error)

    assert outcome is not None
    assert (outcome.status.value, outcome.reason) == (status, reason)
    if isinstance(error, TelegramRetryAfter):
        assert outcome.retry_after_s == 7.0


def test_an_error_that_is_not_telegrams_is_not_hidden() -> None:
    assert outcome_for_error(KeyError("bug")) is None
    assert issubclass(TelegramEntityTooLarge, TelegramNetworkError)  # why its order matters


async def test_a_message_whose_answer_was_lost_still_shows_in_the_delivery_log(
    people: People,
) -> None:
    await people.started(91, 92)
    await people.set_faults(lost_response_p=1.0)
    transport = people.transport()
    try:
        lost = await transport.send(OutgoingMessage(chat_id=91, text="Sale!"))
        await people.set_faults(lost_response_p=0.0)
        resent = await transport.send(OutgoingMessage(chat_id=92, text="Sale!"))
    finally:
        await transport.close()

    assert lost.status is SendStatus.RETRY_BACKOFF  # the bot cannot know it arrived
    assert resent.status is SendStatus.SENT
    delivered = await people.delivered()
    assert [(m["chat_id"], m["response_lost"]) for m in delivered] == [(91, True), (92, False)]
    assert [m["text"] for m in await people.received(91)] == ["Sale!"]


async def test_a_send_carries_when_its_answer_reached_the_transport(people: People) -> None:
    """The limiter bounds a send's arrival by the answer's time: the transport times it when
    aiohttp has the response (before aiogram parses it and the caller resumes), for sends and
    for refusals alike."""
    await people.started(43)
    transport = people.transport()
    try:
        before = time.monotonic()
        sent = await transport.send(OutgoingMessage(chat_id=43, text="Boots 20% off"))
        resumed = time.monotonic()
        refused = await transport.send(OutgoingMessage(chat_id=999_043, text="Who?"))
    finally:
        await transport.close()

    assert sent.status is SendStatus.SENT
    assert sent.answered_at is not None and before < sent.answered_at <= resumed
    assert refused.status is SendStatus.PERMANENT and refused.answered_at is not None

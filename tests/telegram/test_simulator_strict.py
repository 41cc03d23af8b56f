"""The simulated Bot API refuses what Telegram refuses, checked over real HTTP with aiogram (the
project's client) and with raw httpx where the exact answer matters: chats that never started
the bot, join requesters once their request is processed or 5 minutes old, uploads in their own
field, broken markup, stale button presses, bad webhook secrets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest

from marketing_agent.core.clock import VirtualClock
from marketing_agent.telegram.simulator_http import SimulatedBotApi
from marketing_agent.telegram.transport import JoinRequest, OutgoingMessage, SendStatus
from tests.telegram.bot_api_server import People

STALE_PRESS = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@pytest.fixture
async def bot(people: People) -> AsyncIterator[Bot]:
    """aiogram's Bot for the people's bot, on the simulated server."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(people.server_url))
    client = Bot(people.bot.token, session=session)
    yield client
    await client.session.close()


@pytest.fixture
async def raw(people: People) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the people's bot's methods: /bot<token>/<method>."""
    async with httpx.AsyncClient(base_url=f"{people.server_url}/bot{people.bot.token}") as http:
        yield http


def refusal(response: httpx.Response) -> tuple[int, Any]:
    body = response.json()
    assert body["ok"] is False and body["error_code"] == response.status_code
    return response.status_code, body["description"]


async def test_a_bot_reaches_only_people_who_started_it_and_groups_it_is_in(
    people: People, raw: httpx.AsyncClient
) -> None:
    await people.says(60, "/start")
    await people.says(63, "Hello?")  # writing to a bot starts it too
    await people.started(-1001)  # a group the bot was added to
    transport = people.transport()
    try:
        outcomes = {
            chat: await transport.send(
                OutgoingMessage(
                    chat_id=chat, text="Hi", chat_kind="group" if chat < 0 else "private"
                )
            )
            for chat in (60, 63, 61, -1001, -1002)
        }
    finally:
        await transport.close()
    stranger = await raw.post("/sendMessage", json={"chat_id": 61, "text": "Hi"})

    assert {chat: (o.status, o.reason) for chat, o in outcomes.items()} == {
        60: (SendStatus.SENT, None),
        63: (SendStatus.SENT, None),
        61: (SendStatus.PERMANENT, "chat_not_found"),
        -1001: (SendStatus.SENT, None),
        -1002: (SendStatus.PERMANENT, "chat_not_found"),
    }
    assert refusal(stranger) == (400, "Bad Request: chat not found")
    assert await people.received(61) == []


async def test_a_photo_or_document_uploaded_in_its_own_field_is_sent_with_its_caption(
    people: People, raw: httpx.AsyncClient
) -> None:
    await people.started(62, 72)  # one message a second per chat: two chats
    photo = await raw.post(
        "/sendPhoto",
        data={"chat_id": "62", "caption": "<b>New</b> boots", "parse_mode": "HTML"},
        files={"photo": ("boots.jpg", b"\xff\xd8 jpeg bytes", "image/jpeg")},
    )
    document = await raw.post(
        "/sendDocument",
        data={"chat_id": "72"},
        files={"document": ("price-list.pdf", b"%PDF-1.4 prices", "application/pdf")},
    )
    empty = await raw.post(
        "/sendDocument",
        data={"chat_id": "62"},
        files={"document": ("empty.pdf", b"", "application/pdf")},
    )
    nothing = await raw.post("/sendPhoto", data={"chat_id": "62"})

    assert photo.status_code == 200, photo.text
    sent_photo = photo.json()["result"]
    assert sent_photo["photo"] and sent_photo["caption"] == "New boots"
    assert sent_photo["caption_entities"] == [{"type": "bold", "offset": 0, "length": 3}]
    assert document.status_code == 200 and "document" in document.json()["result"]
    assert [m["media"] for m in await people.received(62)] == [{"upload": "boots.jpg", "size": 13}]
    assert [m["media"] for m in await people.received(72)] == [
        {"upload": "price-list.pdf", "size": 15}
    ]
    assert refusal(empty) == (400, "Bad Request: file must be non-empty")
    assert refusal(nothing) == (400, "Bad Request: there is no photo in the request")


async def test_formatted_text_comes_back_with_its_entities_in_utf16_units(
    people: People, bot: Bot
) -> None:
    await people.started(64, 74)

    html = await bot.send_message(
        64, "😀 <b>Boots</b> &amp; <a href='https://shop.example/b'>shop</a>", parse_mode="HTML"
    )
    markdown = await bot.send_message(
        74,
        r"*20% off _all_ boots*\. `code_with_*` [see](https://shop.example/a\)b)",
        parse_mode="MarkdownV2",
    )

    assert html.text == "😀 Boots & shop"
    assert [e.model_dump(exclude_none=True) for e in html.entities or []] == [
        {"type": "bold", "offset": 3, "length": 5},  # the emoji is two UTF-16 units
        {"type": "text_link", "offset": 11, "length": 4, "url": "https://shop.example/b"},
    ]
    assert markdown.text == "20% off all boots. code_with_* see"
    assert [e.model_dump(exclude_none=True) for e in markdown.entities or []] == [
        {"type": "bold", "offset": 0, "length": 17},
        {"type": "italic", "offset": 8, "length": 3},
        {"type": "code", "offset": 19, "length": 11},
        {"type": "text_link", "offset": 31, "length": 3, "url": "https://shop.example/a)b"},
    ]


@pytest.mark.parametrize(
    ("parse_mode", "text", "description"),
    [
        ("HTML", "<b>Boots", "Can't find end tag corresponding to start tag b"),
        ("HTML", "<p>Boots</p>", 'Unsupported start tag "p" at byte offset 0'),
        (
            "HTML",
            "<b>Boots</i>",
            'Unmatched end tag at byte offset 8, expected "</b>", found "</i>"',
        ),
        ("HTML", "Boots</b>", "Unexpected end tag at byte offset 5"),
        ("HTML", "<a href=https://x.y>x</a>", "Unexpected end of name token at byte offset 8"),
        ("HTML", "Sizes <6 left", 'Unsupported start tag "6" at byte offset 6'),
        ("HTML", "Boots <b", "Unclosed start tag at byte offset 6"),
        (
            "MarkdownV2",
            "20% off. Today!",
            "Character '.' is reserved and must be escaped with the preceding '\\'",
        ),
        ("MarkdownV2", "*Boots", "Can't find end of Bold entity at byte offset 0"),
        ("MarkdownV2", "😀 _Boots", "Can't find end of Italic entity at byte offset 5"),
        ("MarkdownV2", "[Shop](https://shop.example", "Can't find end of a URL at byte offset 7"),
        ("Markdown", "price_list", "Can't find end of the entity starting at byte offset 5"),
    ],
)
async def test_broken_markup_is_refused_in_telegrams_words(
    people: People, raw: httpx.AsyncClient, parse_mode: str, text: str, description: str
) -> None:
    # Telegram parses the markup before it looks at the chat: nobody needs to have started it.
    response = await raw.post(
        "/sendMessage", json={"chat_id": 65, "text": text, "parse_mode": parse_mode}
    )

    assert refusal(response) == (400, f"Bad Request: can't parse entities: {description}")


async def test_broken_markup_is_a_permanent_bad_formatting_outcome(people: People) -> None:
    await people.started(66)
    transport = people.transport()
    try:
        broken = await transport.send(
            OutgoingMessage(chat_id=66, text="Sale ends 1.12!", parse_mode="MarkdownV2")
        )
        unknown_mode = await transport.send(
            OutgoingMessage(chat_id=66, text="Sale", parse_mode="Fancy")
        )
    finally:
        await transport.close()

    assert (broken.status, broken.reason) == (SendStatus.PERMANENT, "bad_formatting")
    assert (unknown_mode.status, unknown_mode.reason) == (SendStatus.PERMANENT, "bad_formatting")
    assert await people.received(66) == []


async def test_a_press_is_answered_once_and_an_unknown_id_is_refused(
    people: People, bot: Bot, raw: httpx.AsyncClient
) -> None:
    await people.started(67)
    await raw.post(
        "/sendMessage",
        json={
            "chat_id": 67,
            "text": "Sale",
            "reply_markup": {"inline_keyboard": [[{"text": "More", "callback_data": "more"}]]},
        },
    )
    await people.presses(67, "more")
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    query_id = update.callback_query.id

    assert await bot.answer_callback_query(query_id) is True
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query(query_id)  # answered already
    unknown = await raw.post("/answerCallbackQuery", json={"callback_query_id": "made-up"})
    assert refusal(unknown) == (400, STALE_PRESS)
    assert (await people.bot_state())["answered_callbacks"] == 1


async def test_a_press_answered_after_its_timeout_is_refused() -> None:
    clock = VirtualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    api = SimulatedBotApi(clock=clock)
    sim_bot = api.add_bot()
    transport = httpx.ASGITransport(app=api.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        await http.post("/sim/bots/" + sim_bot.username + "/chats", json={"chat_ids": [68]})
        markup = {"inline_keyboard": [[{"text": "More", "callback_data": "more"}]]}
        await http.post(
            f"/bot{sim_bot.token}/sendMessage",
            json={"chat_id": 68, "text": "Sale", "reply_markup": markup},
        )
        for _ in range(2):
            await http.post("/sim/users/68/send", json={"callback_data": "more"})
        first, second = [u["callback_query"]["id"] for u in sim_bot.updates]

        clock.advance(10)
        in_time = await http.post(
            f"/bot{sim_bot.token}/answerCallbackQuery", json={"callback_query_id": first}
        )
        clock.advance(10)  # 20 s after the press
        too_late = await http.post(
            f"/bot{sim_bot.token}/answerCallbackQuery", json={"callback_query_id": second}
        )

    assert in_time.json() == {"ok": True, "result": True}
    assert refusal(too_late) == (400, STALE_PRESS)


CANNOT_INITIATE = "Forbidden: bot can't initiate conversation with a user"


async def test_a_join_requester_may_be_written_to_for_five_minutes_while_pending() -> None:
    clock = VirtualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    api = SimulatedBotApi(clock=clock)
    sim_bot = api.add_bot()
    channel = -1001234567890
    transport = httpx.ASGITransport(app=api.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:

        async def send(chat_id: int) -> httpx.Response:
            return await http.post(
                f"/bot{sim_bot.token}/sendMessage", json={"chat_id": chat_id, "text": "Hi"}
            )

        async def process(method: str, user_id: int) -> httpx.Response:
            body = {"chat_id": channel, "user_id": user_id}
            return await http.post(f"/bot{sim_bot.token}/{method}", json=body)

        for person in (81, 82, 83, 84):
            await http.post(f"/sim/users/{person}/join", json={"chat_id": channel})
        clock.advance(299)
        in_time = await send(81)
        clock.advance(2)  # 301 s after the requests
        too_late = await send(82)
        approved_late = await process("approveChatJoinRequest", 82)  # still pending: allowed
        declined = await process("declineChatJoinRequest", 83)
        after_decline = await send(83)
        approved = await process("approveChatJoinRequest", 84)
        await http.post("/sim/users/84/send", json={"text": "/start"})  # they start the bot
        after_start = await send(84)
        twice = await process("approveChatJoinRequest", 84)
        stranger = await send(85)

    assert in_time.json()["ok"] is True
    assert refusal(too_late) == (403, CANNOT_INITIATE)
    assert (
        approved_late.json() == declined.json() == approved.json() == {"ok": True, "result": True}
    )
    assert refusal(after_decline) == (403, CANNOT_INITIATE)
    assert after_start.json()["ok"] is True
    assert refusal(twice) == (400, "Bad Request: HIDE_REQUESTER_MISSING")
    assert refusal(stranger) == (400, "Bad Request: chat not found")
    assert sim_bot.join_requests == {
        (channel, 81): "pending",
        (channel, 82): "approved",
        (channel, 83): "declined",
        (channel, 84): "approved",
    }


async def test_a_requester_is_reachable_while_any_of_their_requests_is_pending() -> None:
    clock = VirtualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    api = SimulatedBotApi(clock=clock)
    sim_bot = api.add_bot()
    transport = httpx.ASGITransport(app=api.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        await http.post("/sim/users/86/join", json={"chat_id": -1001})
        clock.advance(200)
        await http.post("/sim/users/86/join", json={"chat_id": -1002})  # a second chat, later
        await http.post(
            f"/bot{sim_bot.token}/approveChatJoinRequest", json={"chat_id": -1002, "user_id": 86}
        )
        clock.advance(2)
        one_pending = await http.post(
            f"/bot{sim_bot.token}/sendMessage", json={"chat_id": 86, "text": "Hi"}
        )
        clock.advance(100)  # the pending one is 302 s old
        expired = await http.post(
            f"/bot{sim_bot.token}/sendMessage", json={"chat_id": 86, "text": "Hi"}
        )

    assert one_pending.json()["ok"] is True
    assert refusal(expired) == (403, CANNOT_INITIATE)


async def test_a_message_to_a_processed_requester_is_a_permanent_not_started(
    people: People,
) -> None:
    await people.joins(87, -1001234567890, "Boot Shop News", "Winter ad")
    transport = people.transport()
    try:
        approval = await transport.approve_join(JoinRequest(chat_id=-1001234567890, user_id=87))
        outcome = await transport.send(OutgoingMessage(chat_id=87, text="Welcome"))
    finally:
        await transport.close()

    assert approval.status is SendStatus.SENT
    assert (outcome.status, outcome.reason) == (SendStatus.PERMANENT, "not_started")
    assert await people.received(87) == []


@pytest.mark.parametrize(
    ("secret", "description"),
    [
        ("not allowed!", "Bad Request: secret token contains unallowed characters"),
        ("päss", "Bad Request: secret token contains unallowed characters"),
        ("x" * 257, "Bad Request: secret token is too long"),
    ],
)
async def test_a_webhook_secret_outside_telegrams_alphabet_is_refused(
    people: People, bot: Bot, secret: str, description: str
) -> None:
    with pytest.raises(TelegramBadRequest) as refused:
        await bot.set_webhook("https://m.example.com/hook", secret_token=secret)

    assert refused.value.message == description
    assert (await people.bot_state())["webhook"] is None


async def test_a_webhook_secret_of_256_allowed_characters_is_kept(people: People, bot: Bot) -> None:
    secret = ("Aa0_-" * 52)[:256]

    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token=secret) is True

    assert (await people.bot_state())["webhook"] == {
        "url": "http://127.0.0.1:9/hook",
        "secret_token": secret,
    }
    await bot.delete_webhook()


async def test_delete_webhook_drops_pending_updates_only_when_asked(
    people: People, bot: Bot
) -> None:
    await people.says(69, "/start")
    await people.says(69, "Hello")
    assert await bot.delete_webhook(drop_pending_updates=False) is True
    kept = await bot.get_webhook_info()

    assert await bot.delete_webhook(drop_pending_updates=True) is True

    assert kept.pending_update_count == 2
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert await bot.get_updates() == []

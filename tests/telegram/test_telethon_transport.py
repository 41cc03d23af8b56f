"""The Telethon transport at the MTProto client boundary: Telethon's real errors, each mapped to
one outcome; random_id carried to the raw request; groups, consent-only members; inbound."""

from __future__ import annotations

import random

import pytest
from telethon import errors, types

from marketing_agent.core.clock import VirtualClock
from marketing_agent.telegram.consent_bot import is_stop_request
from marketing_agent.telegram.profiles import get_profile_by_name
from marketing_agent.telegram.telethon_transport import TelethonTransport
from marketing_agent.telegram.transport import Button, OutgoingMessage, SendStatus
from tests.telegram.mtproto import ScriptedTelegram

CHAT = 5551234


def transport_for(telegram: ScriptedTelegram, **kwargs: object) -> TelethonTransport:
    return TelethonTransport(
        lambda: telegram,
        get_profile_by_name("user"),
        label="sender:1",
        rng=random.Random(3),
        **kwargs,  # type: ignore[arg-type]
    )


def text(random_id: int | None = 1, **fields: object) -> OutgoingMessage:
    values: dict[str, object] = {"chat_id": CHAT, "text": "Spring sale", "random_id": random_id}
    values.update(fields)
    return OutgoingMessage(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (errors.SlowModeWaitError(request=None, capture=30), SendStatus.RETRY_AFTER, "slow_mode"),
        (errors.PeerFloodError(request=None), SendStatus.SENDER_UNHEALTHY, "peer_flood"),
        (
            errors.UserPrivacyRestrictedError(request=None),
            SendStatus.PERMANENT,
            "privacy_restricted",
        ),
        (errors.UserIsBlockedError(request=None), SendStatus.PERMANENT, "blocked"),
        (errors.InputUserDeactivatedError(request=None), SendStatus.PERMANENT, "deactivated"),
        (errors.PeerIdInvalidError(request=None), SendStatus.PERMANENT, "invalid_peer"),
        (
            errors.ChatWriteForbiddenError(request=None),
            SendStatus.PERMANENT,
            "chat_write_forbidden",
        ),
        (errors.MessageTooLongError(request=None), SendStatus.PERMANENT, "too_long"),
        (
            errors.AuthKeyUnregisteredError(request=None),
            SendStatus.SENDER_UNHEALTHY,
            "auth_key_unregistered",
        ),
        (errors.SessionRevokedError(request=None), SendStatus.SENDER_UNHEALTHY, "session_revoked"),
        (errors.UserDeactivatedBanError(request=None), SendStatus.SENDER_UNHEALTHY, "banned"),
        (
            ConnectionError("Cannot send requests while disconnected"),
            SendStatus.RETRY_BACKOFF,
            "connection_lost",
        ),
        (TimeoutError(), SendStatus.RETRY_BACKOFF, "timeout"),
        (
            errors.ServerError(request=None, message="INTERNAL", code=500),
            SendStatus.RETRY_BACKOFF,
            "server_error",
        ),
        (
            errors.RPCError(request=None, message="CHAT_RESTRICTED", code=400),
            SendStatus.RETRY_BACKOFF,
            "chat_restricted",
        ),
        (
            errors.BadRequestError(request=None, message="CHAT_RESTRICTED", code=400),
            SendStatus.PERMANENT,
            "chat_restricted",
        ),
    ],
)
async def test_each_telethon_error_maps_to_one_outcome(
    error: BaseException, status: SendStatus, reason: str, virtual_clock: VirtualClock
) -> None:
    telegram = ScriptedTelegram()
    telegram.errors.append(error)

    outcome = await transport_for(telegram).send(text())

    assert (outcome.status, outcome.reason) == (status, reason)
    assert telegram.delivered == {}


async def test_send_passes_the_callers_random_id_to_the_raw_request() -> None:
    telegram = ScriptedTelegram()

    outcome = await transport_for(telegram).send(text(random_id=-8_765_432_109_876))

    [request] = telegram.sent
    assert (request.random_id, request.message) == (-8_765_432_109_876, "Spring sale")
    assert request.peer == types.InputPeerUser(user_id=CHAT, access_hash=1)
    assert outcome.status is SendStatus.SENT
    assert outcome.message_id == telegram.delivered[-8_765_432_109_876]


async def test_a_resend_after_a_crash_is_treated_as_delivered_and_delivers_nothing() -> None:
    telegram = ScriptedTelegram()  # one Telegram, two processes: the first died after sending
    first = await transport_for(telegram).send(text(random_id=42))

    again = await transport_for(telegram).send(text(random_id=42))

    assert first.status is SendStatus.SENT and again.status is SendStatus.SENT
    assert len(telegram.sent) == 2  # the resend reached Telegram, which refused the duplicate
    assert list(telegram.delivered) == [42]


async def test_a_resend_in_the_same_process_does_not_reach_telegram() -> None:
    telegram = ScriptedTelegram()
    transport = transport_for(telegram)

    first = await transport.send(text(random_id=42))
    again = await transport.send(text(random_id=42))

    assert again == first
    assert len(telegram.sent) == 1


async def test_buttons_are_refused_because_user_accounts_cannot_send_them() -> None:
    telegram = ScriptedTelegram()
    with_button = text(buttons=((Button("Shop", url="https://example.com"),),))

    outcome = await transport_for(telegram).send(with_button)

    assert (outcome.status, outcome.reason) == (SendStatus.PERMANENT, "buttons_need_a_bot")
    assert telegram.requests == []


async def test_html_becomes_entities_and_markdown_v2_is_refused() -> None:
    telegram = ScriptedTelegram()
    transport = transport_for(telegram)

    sent = await transport.send(text(text="<b>Sale</b> today", parse_mode="HTML"))
    refused = await transport.send(text(random_id=2, text="*Sale*", parse_mode="MarkdownV2"))

    [request] = telegram.sent
    assert sent.status is SendStatus.SENT
    assert request.message == "Sale today"
    assert [type(e).__name__ for e in request.entities] == ["MessageEntityBold"]
    assert (refused.status, refused.reason) == (SendStatus.PERMANENT, "unsupported_parse_mode")


async def test_flood_wait_pauses_the_account_for_the_time_asked_plus_a_little_jitter(
    virtual_clock: VirtualClock,
) -> None:
    telegram = ScriptedTelegram()
    telegram.errors.append(errors.FloodWaitError(request=None, capture=7))
    transport = transport_for(telegram)

    asked = await transport.send(text(random_id=1))
    virtual_clock.advance(6.5)
    during = await transport.send(text(random_id=2))
    virtual_clock.advance(2.0)
    after = await transport.send(text(random_id=3))

    assert (asked.status, asked.reason) == (SendStatus.RETRY_AFTER, "flood_wait")
    assert asked.retry_after_s is not None and 7.0 <= asked.retry_after_s <= 8.0
    assert (during.status, during.reason) == (SendStatus.RETRY_AFTER, "flood_wait_pending")
    assert during.retry_after_s == pytest.approx(asked.retry_after_s - 6.5)
    assert after.status is SendStatus.SENT
    assert [r.random_id for r in telegram.sent] == [1, 3]  # nothing was sent during the wait


async def test_slow_mode_holds_only_that_chat(virtual_clock: VirtualClock) -> None:
    telegram = ScriptedTelegram()
    telegram.errors.append(errors.SlowModeWaitError(request=None, capture=30))
    transport = transport_for(telegram)

    await transport.send(text(random_id=1))
    same_chat = await transport.send(text(random_id=2))
    other_chat = await transport.send(text(random_id=3, chat_id=CHAT + 1))

    assert same_chat.status is SendStatus.RETRY_AFTER
    assert other_chat.status is SendStatus.SENT


async def test_a_revoked_session_stops_every_send_and_is_reported_once() -> None:
    telegram = ScriptedTelegram()
    telegram.errors.append(errors.SessionRevokedError(request=None))
    reported: list[str] = []
    transport = transport_for(telegram, on_unhealthy=reported.append)

    first = await transport.send(text(random_id=1))
    second = await transport.send(text(random_id=2))

    assert first.status is SendStatus.SENDER_UNHEALTHY
    assert (second.status, second.reason) == (SendStatus.SENDER_UNHEALTHY, "session_revoked")
    assert reported == ["session_revoked"]
    assert len(telegram.requests) == 1
    assert transport.state == "unhealthy"


async def test_peer_flood_is_left_to_the_pool_to_time_and_the_connection_stays() -> None:
    telegram = ScriptedTelegram()
    telegram.errors.append(errors.PeerFloodError(request=None))
    reported: list[str] = []
    transport = transport_for(telegram, on_unhealthy=reported.append)

    outcome = await transport.send(text(random_id=1))

    assert (outcome.status, outcome.reason) == (SendStatus.SENDER_UNHEALTHY, "peer_flood")
    assert reported == [] and transport.state == "connected"


async def test_a_session_that_is_no_longer_authorized_makes_the_sender_unhealthy() -> None:
    telegram = ScriptedTelegram(authorized=False)

    outcome = await transport_for(telegram).send(text())

    assert (outcome.status, outcome.reason) == (
        SendStatus.SENDER_UNHEALTHY,
        "session_not_authorized",
    )
    assert telegram.sent == []


async def test_a_chat_without_access_hash_loads_the_dialogs_once_then_is_permanent() -> None:
    telegram = ScriptedTelegram()
    telegram.unknown_peers = {CHAT, CHAT + 1}
    transport = transport_for(telegram)

    first = await transport.send(text(random_id=1))
    second = await transport.send(text(random_id=2, chat_id=CHAT + 1))

    assert (first.status, first.reason) == (SendStatus.PERMANENT, "unknown_peer")
    assert second.status is SendStatus.PERMANENT
    assert telegram.dialog_loads == 1


async def test_a_lost_connection_is_reopened_with_growing_jittered_waits(
    virtual_clock: VirtualClock,
) -> None:
    telegram = ScriptedTelegram()
    transport = transport_for(telegram)
    await transport.send(text(random_id=1))
    telegram.drop_connection()
    telegram.connect_errors.extend([ConnectionError("refused")] * 3)
    started = virtual_clock.monotonic()

    during = await transport.send(text(random_id=2))  # tries at once, then backs off
    await virtual_clock.sleep(60)
    after = await transport.send(text(random_id=3))

    assert (during.status, during.reason) == (SendStatus.RETRY_BACKOFF, "connection_lost")
    assert after.status is SendStatus.SENT
    assert telegram.connects == 1 + 4  # first connect, the immediate retry, two waits, success
    assert transport.state == "connected"
    assert virtual_clock.monotonic() - started >= 0.5 + 1 + 2  # at least half of each backoff


async def test_a_connection_that_never_comes_back_makes_the_sender_unhealthy(
    virtual_clock: VirtualClock,
) -> None:
    telegram = ScriptedTelegram()
    telegram.connect_errors.extend([OSError("network is unreachable")] * 10)
    reported: list[str] = []
    transport = transport_for(telegram, on_unhealthy=reported.append, reconnect_attempts=3)

    first = await transport.send(text(random_id=1))
    await virtual_clock.sleep(600)
    later = await transport.send(text(random_id=2))

    assert first.status is SendStatus.RETRY_BACKOFF
    assert (later.status, later.reason) == (SendStatus.SENDER_UNHEALTHY, "connection_lost")
    assert reported == ["connection_lost"]
    assert telegram.connects == 1 + 3


async def test_read_receipts_become_read_events_for_each_of_our_messages(
    virtual_clock: VirtualClock,
) -> None:
    telegram = ScriptedTelegram()
    transport = transport_for(telegram)
    first = await transport.send(text(random_id=1))
    second = await transport.send(text(random_id=2))
    assert first.message_id is not None and second.message_id is not None

    await telegram.push(
        types.UpdateReadHistoryOutbox(
            peer=types.PeerUser(CHAT), max_id=second.message_id, pts=1, pts_count=1
        )
    )
    await telegram.push(
        types.UpdateReadHistoryOutbox(
            peer=types.PeerUser(CHAT), max_id=second.message_id, pts=2, pts_count=1
        )
    )
    events = await transport.fetch_updates()

    assert [(e.kind, e.chat_id, e.message_id) for e in events] == [
        ("read", CHAT, first.message_id),
        ("read", CHAT, second.message_id),
    ]
    assert await transport.fetch_updates() == []


async def test_incoming_messages_become_replies_or_stops_attributed_to_our_message(
    virtual_clock: VirtualClock,
) -> None:
    telegram = ScriptedTelegram()
    transport = transport_for(telegram)
    sent = await transport.send(text(random_id=1))

    await telegram.push(
        types.UpdateShortMessage(
            id=9, user_id=CHAT, message="How much is it?", pts=1, pts_count=1, date=None
        )
    )
    await telegram.push(
        types.UpdateNewMessage(
            message=types.Message(
                id=10,
                peer_id=types.PeerUser(CHAT),
                date=None,
                message="STOP!",
                reply_to=types.MessageReplyHeader(reply_to_msg_id=sent.message_id),
            ),
            pts=2,
            pts_count=1,
        )
    )
    await telegram.push(  # our own message echoed back: not an answer
        types.UpdateShortMessage(
            id=11, user_id=CHAT, message="x", pts=3, pts_count=1, date=None, out=True
        )
    )
    events = await transport.fetch_updates()

    assert [(e.kind, e.chat_id, e.message_id, e.text) for e in events] == [
        ("reply", CHAT, sent.message_id, "How much is it?"),
        ("stop", CHAT, sent.message_id, "STOP!"),
    ]
    assert events[0].payload == {"incoming_message_id": "9"}


@pytest.mark.parametrize(
    ("words", "stop"),
    [
        ("stop", True),
        ("/stop", True),
        (" Unsubscribe. ", True),
        ("don't stop", False),
        (None, False),
    ],
)
def test_stop_requests_are_recognised(words: str | None, stop: bool) -> None:
    assert is_stop_request(words) is stop


async def test_the_account_creates_a_group_or_a_channel() -> None:
    telegram = ScriptedTelegram()
    transport = transport_for(telegram)

    group = await transport.create_chat(title="VIP offers", kind="group")
    channel = await transport.create_chat(title="News", about="Weekly", kind="channel")

    group_request, channel_request = telegram.requests
    assert (group_request.megagroup, group_request.broadcast) == (True, False)
    assert (channel_request.megagroup, channel_request.broadcast) == (False, True)
    assert group.outcome.status is SendStatus.SENT
    assert group.chat_id == -1_000_000_000_777
    assert (channel.kind, channel.chat_id) == ("channel", -1_000_000_000_777)


async def test_only_consenting_people_are_added_and_refusals_say_why() -> None:
    telegram = ScriptedTelegram()
    telegram.privacy_restricted = {3}
    transport = transport_for(telegram)
    group = await transport.create_chat(title="VIP offers")
    assert group.chat_id is not None

    result = await transport.add_members(group.chat_id, [1, 2, 3, 4], consenting_ids={1, 3, 4})

    invited = [r.users[0].user_id for r in telegram.requests[1:]]
    assert invited == [1, 3, 4]  # 2 never reached Telegram
    assert result.added == [1, 4]
    assert result.refused == {2: "no_consent", 3: "privacy_restricted"}
    assert result.stopped_by is None


async def test_a_flood_wait_while_adding_members_stops_the_run_and_returns_the_rest(
    virtual_clock: VirtualClock,
) -> None:
    telegram = ScriptedTelegram()
    transport = transport_for(telegram)
    group = await transport.create_chat(title="VIP offers")
    assert group.chat_id is not None
    telegram.errors.extend([errors.FloodWaitError(request=None, capture=60)])

    result = await transport.add_members(group.chat_id, [1, 2, 3], consenting_ids={1, 2, 3})

    assert result.added == []
    assert result.not_tried == [1, 2, 3]
    assert result.stopped_by is not None and result.stopped_by.status is SendStatus.RETRY_AFTER


async def test_closing_disconnects_and_later_sends_are_refused() -> None:
    telegram = ScriptedTelegram()
    transport = transport_for(telegram)
    await transport.send(text(random_id=1))

    await transport.close()
    outcome = await transport.send(text(random_id=2))

    assert telegram.disconnects == 1
    assert (outcome.status, outcome.reason) == (SendStatus.SENDER_UNHEALTHY, "transport_closed")

"""The consent conversation of a bot: what people's commands and button presses mean, what the bot
answers, and the proof kept of an opt-in.

The orchestrator's `flows.handle_inbound` acts on it (it owns contacts); this file only knows
Telegram's side: the deep link `https://t.me/<bot>?start=<source>` arrives as `/start <source>`,
a request to join a channel or group through one of its invite links arrives as a join request
(the bot answers the person, then approves it: join_request_of), double opt-in asks with a
"Yes, subscribe" button, and STOP (word, command or button) withdraws.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from marketing_agent.telegram.transport import Button, InboundEvent, JoinRequest, OutgoingMessage

# What a person writes to stop hearing from a sender (case-insensitive, trailing "." or "!").
STOP_WORDS = frozenset({"stop", "/stop", "unsubscribe", "/unsubscribe"})
OPT_IN_DATA_PREFIX = "optin:"  # callback data of the "Yes, subscribe" button: optin:<source>
OPT_OUT_DATA = "optout"  # callback data of the "Unsubscribe" button
CALLBACK_DATA_MAX_BYTES = 64  # Telegram's limit
# Telegram allows 1-64 of these in a deep link's start parameter.
_SOURCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DIRECT_SOURCE = "direct"  # /start without a deep-link parameter
JOIN_SOURCE_PREFIX = "join-"  # the source of a join request: join-<the invite link's name>
# The source carried by the opt-in button is cut to fit the callback data limit.
MAX_BUTTON_SOURCE_LEN = CALLBACK_DATA_MAX_BYTES - len(OPT_IN_DATA_PREFIX)

DEFAULT_OPT_IN_TEXT = (
    "Would you like news and offers from {name} here on Telegram? "
    "You can unsubscribe at any time: just send STOP."
)
SUBSCRIBE_BUTTON = "Yes, subscribe"
UNSUBSCRIBE_BUTTON = "Unsubscribe"
SUBSCRIBED_TEXT = "You're subscribed. Send STOP at any time to unsubscribe."
ALREADY_SUBSCRIBED_TEXT = "You're already subscribed. Send STOP at any time to unsubscribe."
UNSUBSCRIBED_TEXT = (
    "You're unsubscribed and will get no more messages from us. Send /start to subscribe again."
)
# Marks the bot's answers: transactional replies to a person's own command, not marketing.
REPLY_TAGS = {"purpose": "transactional", "conversation": "consent"}

ReplyKind = Literal["opt_in_prompt", "subscribed", "already_subscribed", "unsubscribed"]


def is_stop_request(text: str | None) -> bool:
    """Returns True when a person's message asks us to stop writing."""
    if not text:
        return False
    return text.strip().rstrip(".!").strip().lower() in STOP_WORDS


def source_of(parameter: str | None) -> str:
    """Returns the deep link's source as recorded: the parameter if valid, else "direct"."""
    if parameter and _SOURCE.match(parameter):
        return parameter
    return DIRECT_SOURCE


def source_of_invite_link(name: str | None) -> str:
    """Returns the source recorded for a join request through the invite link named `name`:
    "join-" and the name's letters, digits, "-" and "_" ("join" for a link without a name)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name or "").strip("-")
    return (JOIN_SOURCE_PREFIX + slug)[:64] if slug else "join"


def join_request_of(event: InboundEvent) -> JoinRequest | None:
    """Returns the join request an event is (to approve once the bot has answered it), or None."""
    if event.kind != "join_request" or "join_chat_id" not in event.payload:
        return None
    # user_chat_id is the person's id; updates stored before join_user_id was kept lack it.
    user_id = event.payload.get("join_user_id") or str(event.chat_id)
    return JoinRequest(chat_id=int(event.payload["join_chat_id"]), user_id=int(user_id))


def opt_in_data(source: str) -> str:
    """Returns the callback data of the opt-in button for `source`."""
    return OPT_IN_DATA_PREFIX + source[:MAX_BUTTON_SOURCE_LEN]


def source_of_opt_in_data(data: str | None) -> str | None:
    """Returns the source an opt-in button carries, or None when `data` is not one."""
    if data is None or not data.startswith(OPT_IN_DATA_PREFIX):
        return None
    return source_of(data.removeprefix(OPT_IN_DATA_PREFIX))


def opt_in_text(*, custom_text: str | None, name: str) -> str:
    """Returns the opt-in text a sender shows: its own, else the default naming it."""
    return custom_text or DEFAULT_OPT_IN_TEXT.format(name=name)


def reply(
    kind: ReplyKind, *, chat_id: int, source: str = DIRECT_SOURCE, shown_text: str = ""
) -> OutgoingMessage:
    """Returns the bot's answer of `kind` to a person (`shown_text`: the opt-in text, for the
    prompt and for a single opt-in's confirmation)."""
    if kind == "opt_in_prompt":
        buttons = ((Button(SUBSCRIBE_BUTTON, callback_data=opt_in_data(source)),),)
        return OutgoingMessage(chat_id=chat_id, text=shown_text, buttons=buttons, tags=REPLY_TAGS)
    if kind == "unsubscribed":
        return OutgoingMessage(chat_id=chat_id, text=UNSUBSCRIBED_TEXT, tags=REPLY_TAGS)
    text = SUBSCRIBED_TEXT if kind == "subscribed" else ALREADY_SUBSCRIBED_TEXT
    if shown_text:
        text = f"{shown_text}\n\n{text}"
    buttons = ((Button(UNSUBSCRIBE_BUTTON, callback_data=OPT_OUT_DATA),),)
    return OutgoingMessage(chat_id=chat_id, text=text, buttons=buttons, tags=REPLY_TAGS)


def consent_proof(
    *,
    event: InboundEvent,
    sender_id: int,
    bot: str,
    double_opt_in: bool,
    shown_text: str,
    recorded_at: datetime,
) -> dict[str, Any]:
    """Returns the proof of an opt-in: who, where from, when, and the exact text agreed to.

    With double opt-in the text is the prompt as Telegram returned it with the button press
    (what the person saw); with single opt-in it is the sender's opt-in text, which must be
    shown beside the deep link."""
    payload = event.payload
    proof: dict[str, Any] = {
        "bot": bot,
        "sender_id": sender_id,
        "telegram_user_id": event.chat_id,
        "source": payload.get("source", DIRECT_SOURCE),
        "method": "double_opt_in" if double_opt_in else "single_opt_in",
        "opt_in_text": shown_text,
        "at": event.occurred_at.isoformat(),
        "recorded_at": recorded_at.isoformat(),
    }
    if double_opt_in:
        proof["action"] = f"pressed '{SUBSCRIBE_BUTTON}'"
        proof["prompt_message_id"] = event.message_id
    else:
        proof["action"] = (event.text or "/start").strip()[:128]
    return proof


def join_request_proof(
    *, event: InboundEvent, sender_id: int, bot: str, shown_text: str, recorded_at: datetime
) -> dict[str, Any]:
    """Returns the proof of an opt-in by a join request: who asked to join which chat through
    which invite link, when (Telegram's time of the request), and the sender's opt-in text,
    which must be shown where the invite link is given out. (It is recorded before the bot
    approves the request: the confirmation goes out first, while Telegram lets it.)"""
    payload = event.payload
    title = payload.get("join_chat_title") or payload.get("join_chat_id", "")
    link_name = payload.get("invite_link_name") or None
    via = f" through the invite link '{link_name}'" if link_name else ""
    return {
        "bot": bot,
        "sender_id": sender_id,
        "telegram_user_id": event.chat_id,
        "source": payload.get("source", "join"),
        "method": "join_request",
        "opt_in_text": shown_text,
        "action": f"asked to join {title}{via}",
        "at": event.occurred_at.isoformat(),
        "recorded_at": recorded_at.isoformat(),
        "join_request": {
            "chat_id": int(payload.get("join_chat_id", 0)),
            "chat_title": payload.get("join_chat_title") or None,
            "chat_type": payload.get("join_chat_type") or None,
            "invite_link_name": link_name,
            "invite_link": payload.get("invite_link") or None,
            "requested_at": event.occurred_at.isoformat(),
        },
    }

"""The consent conversation of a stored sender: the opt-in text it shows, its replies, and the
proofs of an opt-in (consent_bot.py holds the conversation itself)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketing_agent.core import clock
from marketing_agent.telegram import consent_bot
from marketing_agent.telegram.sender_info import SenderInfo
from marketing_agent.telegram.transport import InboundEvent, JoinRequest, OutgoingMessage


def join_request_of(event: InboundEvent) -> JoinRequest | None:
    """Returns the join request an inbound event is (approve it after answering), or None."""
    return consent_bot.join_request_of(event)


def opt_in_text(sender: SenderInfo) -> str:
    """Returns the text a person agrees to by subscribing to the sender."""
    return consent_bot.opt_in_text(custom_text=sender.opt_in_text, name=sender.display_name)


def consent_reply(
    kind: consent_bot.ReplyKind,
    *,
    sender: SenderInfo,
    chat_id: int,
    source: str = consent_bot.DIRECT_SOURCE,
) -> OutgoingMessage:
    """Returns the bot's answer in the consent conversation (a transactional reply)."""
    shown = ""
    if kind == "opt_in_prompt" or (kind == "subscribed" and not sender.double_opt_in):
        shown = opt_in_text(sender)
    return consent_bot.reply(kind, chat_id=chat_id, source=source, shown_text=shown)


def consent_proof(*, sender: SenderInfo, event: InboundEvent) -> dict[str, Any]:
    """Returns the proof of an opt-in by `event` (a /start, or the opt-in button's press)."""
    double = event.kind == "consent_yes"
    payload: Mapping[str, str] = event.payload
    shown = payload.get("message_text") if double else None
    return consent_bot.consent_proof(
        event=event,
        sender_id=sender.id,
        bot=sender.display_name,
        double_opt_in=double,
        shown_text=shown or opt_in_text(sender),
        recorded_at=clock.now(),
    )


def join_request_proof(*, sender: SenderInfo, event: InboundEvent) -> dict[str, Any]:
    """Returns the proof of an opt-in by a join request: the chat, the invite link, the time."""
    return consent_bot.join_request_proof(
        event=event,
        sender_id=sender.id,
        bot=sender.display_name,
        shown_text=opt_in_text(sender),
        recorded_at=clock.now(),
    )

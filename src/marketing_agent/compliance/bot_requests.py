"""Data-subject requests made inside Telegram, to the bot that messages the person: /mydata sends
their export as a document, /forgetme erases them after a confirmation press. The Telegram account
that writes is the identity proof. /myconsent answers with a consent receipt (what they agreed
to, when, how to withdraw). This file says what the commands are, what the bot answers and
how often /mydata may be asked; orchestrator/privacy_bot.py carries them out (it owns contacts).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance.models import PrivacyRequest
from marketing_agent.telegram import service as telegram

MYDATA_COMMAND = "/mydata"
FORGETME_COMMAND = "/forgetme"
RECEIPT_COMMAND = "/myconsent"
# Callback data of the "Yes, erase my data" button: forgetme:<unix seconds the prompt was sent>.
FORGET_CONFIRM_PREFIX = "forgetme:"
FORGET_CONFIRM_VALID = timedelta(hours=1)  # a prompt older than this asks again
MYDATA_INTERVAL = timedelta(hours=24)  # one export a day per person: exports are not free
CHANNEL = "telegram"
REPLY_TAGS = {"purpose": "transactional", "conversation": "privacy"}

Command = Literal["mydata", "forgetme", "forgetme_confirm", "forgetme_expired", "myconsent"]

NOTHING_HELD_TEXT = "We hold no personal data about you."
EXPORT_CAPTION = (
    "Everything we hold about you, as JSON (identity: your Telegram account). {summary}"
)
TOO_SOON_TEXT = (
    "You asked for your data at {at} UTC; we send one copy a day. "
    "You can ask again from {next} UTC."
)
FORGET_PROMPT_TEXT = (
    "This erases everything we hold about you: your profile, your consents, the messages we sent "
    "you and what you did with them. It cannot be undone and you will get no more messages from "
    "us. Erase your data?"
)
FORGET_BUTTON = "Yes, erase my data"
FORGOTTEN_TEXT = (
    "Your data is erased. We keep only a one-way code of your Telegram id, so that no list can "
    "add you back; send /start if you ever want to subscribe again."
)
EXPIRED_TEXT = "That confirmation has expired. Send /forgetme again to erase your data."


def command_of(*, kind: str, text: str | None, data: str | None, now: datetime) -> Command | None:
    """Returns the privacy command an inbound event is, or None when it is not one."""
    if kind == "click" and data is not None and data.startswith(FORGET_CONFIRM_PREFIX):
        sent_at = data.removeprefix(FORGET_CONFIRM_PREFIX)
        if not sent_at.isdigit():
            return None
        age = now.timestamp() - int(sent_at)
        return (
            "forgetme_confirm"
            if 0 <= age <= FORGET_CONFIRM_VALID.total_seconds()
            else ("forgetme_expired")
        )
    if kind != "reply" or not text:
        return None
    command = text.strip().split(" ", 1)[0].split("@", 1)[0].lower()
    if command == MYDATA_COMMAND:
        return "mydata"
    if command == FORGETME_COMMAND:
        return "forgetme"
    if command == RECEIPT_COMMAND:
        return "myconsent"
    return None


def confirm_data(now: datetime) -> str:
    """Returns the callback data of the confirmation button of a prompt sent `now`."""
    return f"{FORGET_CONFIRM_PREFIX}{int(now.timestamp())}"


def export_caption(summary: str) -> str:
    """Returns the caption of the export document, within Telegram's limit."""
    caption = EXPORT_CAPTION.format(summary=summary)
    return telegram.cut_to_telegram_length(caption, telegram.CAPTION_MAX_UTF16)


def too_soon_text(last: datetime) -> str:
    """Returns the answer to a /mydata asked again within the interval."""
    return TOO_SOON_TEXT.format(
        at=f"{last:%Y-%m-%d %H:%M}", next=f"{last + MYDATA_INTERVAL:%Y-%m-%d %H:%M}"
    )


async def last_export_in_telegram(*, session: AsyncSession, contact_id: int) -> datetime | None:
    """Returns when the person last asked for their data through a bot, if ever."""
    last: datetime | None = await session.scalar(
        select(PrivacyRequest.received_at)
        .where(
            PrivacyRequest.contact_id == contact_id,
            PrivacyRequest.kind == "access",
            PrivacyRequest.channel == CHANNEL,
        )
        .order_by(PrivacyRequest.received_at.desc())
        .limit(1)
    )
    return last

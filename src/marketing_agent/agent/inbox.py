"""The reply inbox: every recipient's reply, classified the moment it comes in.

An opt-out ("stop", "unsubscribe", "отпишите меня", "keine Nachrichten mehr"... in the six
languages) is turned into a STOP for the inbound flow, which withdraws consent in the same
transaction, before any person sees it. Everything else waits in the inbox with a suggested
answer; a person edits it if they like and sends it. Replies are untrusted input: they are
classified by local rules, never obeyed, and never given to an LLM from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent.models import InboxReply
from marketing_agent.agent.replies import ReplyIntent, classify_reply
from marketing_agent.agent.schemas import InboxReplyRead, InboxStatus
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.errors import (
    Conflict,
    MarketingAgentError,
    NotFound,
    RateLimited,
    Unavailable,
    ValidationFailed,
    field_error,
)
from marketing_agent.safety import service as safety
from marketing_agent.telegram import service as telegram


class InboundMessage(Protocol):
    """What the inbox reads of the telegram module's `InboundEvent` (a frozen dataclass)."""

    @property
    def kind(self) -> str: ...
    @property
    def chat_id(self) -> int: ...
    @property
    def text(self) -> str | None: ...
    @property
    def payload(self) -> Mapping[str, str]: ...
    @property
    def occurred_at(self) -> datetime: ...


Event = TypeVar("Event", bound=InboundMessage)
REPLY_OPT_OUT = "reply_opt_out"  # the payload mark of a reply the inbox turned into a STOP
MAX_TEXT_CHARS = 4096


async def triage_reply(
    *,
    session: AsyncSession,
    event: Event,
    contact_id: int,
    sender_id: int,
    campaign_id: int | None,
    language: str | None,
) -> Event:
    """Files a contact's reply in the inbox; returns the event the inbound flow goes on with:
    an opt-out reply comes back as a STOP (consent is withdrawn at once), anything else as is."""
    if event.kind != "reply" or not (event.text or "").strip():
        return event
    text = (event.text or "").strip()[:MAX_TEXT_CHARS]
    found = classify_reply(text, language=language)
    opt_out = found.intent == ReplyIntent.OPT_OUT
    first_name = event.payload.get("first_name") or ""
    session.add(
        InboxReply(
            contact_id=contact_id,
            sender_id=sender_id,
            campaign_id=campaign_id,
            chat_id=event.chat_id,
            text=text,
            intent=found.intent.value,
            matched=(found.matched or "")[:200] or None,
            language=found.language,
            suggested_answer=_personal(found.suggested_answer, first_name),
            status=(InboxStatus.OPTED_OUT if opt_out else InboxStatus.OPEN).value,
            business_connection=bool(event.payload.get("business_connection_id")),
            received_at=event.occurred_at,
        )
    )
    await session.flush()
    if not opt_out:
        return event
    payload = {**event.payload, REPLY_OPT_OUT: found.matched or "opt-out"}
    stop: Event = dataclasses.replace(cast(Any, event), kind="stop", payload=payload)
    return stop


def _personal(answer: str | None, first_name: str) -> str | None:
    """Fills the suggested answer's name, or leaves the name out when the reply has none."""
    if answer is None:
        return None
    if first_name:
        return answer.replace("{first_name}", first_name).strip()
    return answer.replace(", {first_name}", "").replace(" {first_name}", "").strip()


async def list_replies(
    *,
    session: AsyncSession,
    status: InboxStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[InboxReply], int]:
    """Returns the newest replies first (of one status when given) and how many there are."""
    query = select(InboxReply)
    count = select(func.count(InboxReply.id))
    if status is not None:
        query = query.where(InboxReply.status == status.value)
        count = count.where(InboxReply.status == status.value)
    rows = await session.scalars(
        query.order_by(InboxReply.received_at.desc(), InboxReply.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), int(await session.scalar(count) or 0)


async def get_reply_or_raise(*, session: AsyncSession, reply_id: int) -> InboxReply:
    row = await session.get(InboxReply, reply_id)
    if row is None:
        raise NotFound(f"Reply {reply_id} does not exist.")
    return row


def ensure_open(row: InboxReply) -> None:
    """Raises unless a person may still answer or dismiss the reply."""
    if row.status != InboxStatus.OPEN:
        raise Conflict(f"Reply {row.id} is '{row.status}': only an open reply can be handled.")


async def answer_reply(
    *,
    session: AsyncSession,
    reply_id: int,
    text: str,
    actor: str,
    transports: telegram.TransportPool,
    limits: safety.RateLimits | None,
) -> InboxReply:
    """Sends a person's answer to a reply (after the safety check of its exact text) through
    the sender that received it, its slot taken from that sender's one limiter (the process's
    `limits`, shared with campaigns and the consent bot); records who sent what."""
    row = await get_reply_or_raise(session=session, reply_id=reply_id)
    ensure_open(row)
    text = text.strip()
    verdict = await safety.check_content(session=session, text=text)
    if not verdict.allowed:
        why = "; ".join(r.message for r in verdict.reasons) or "refused by the safety guard"
        raise ValidationFailed([field_error(("body", "text"), why)])
    outcome = await telegram.send_answer(
        session=session,
        transports=transports,
        sender_id=row.sender_id,
        chat_id=row.chat_id,
        text=text,
        limits=limits,
    )
    if not outcome.delivered:
        raise _undelivered(outcome)
    row.status = InboxStatus.ANSWERED.value
    row.answer_text, row.answered_by, row.answered_at = text, actor, clock.now()
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="inbox.answered",
        entity_type="inbox_reply",
        entity_id=row.id,
        data={"contact_id": row.contact_id, "intent": row.intent},
    )
    return row


def _undelivered(outcome: telegram.SendOutcome) -> MarketingAgentError:
    """Returns the problem an answer Telegram did not take is to the person who sent it: a
    chat that can never get it (blocked, never started the bot) or a restricted sender is a
    409 to act on, a FloodWait a 429 with Retry-After; only a transient failure is a 503."""
    reason = outcome.status.value + (f": {outcome.reason}" if outcome.reason else "")
    if outcome.status is telegram.SendStatus.PERMANENT:
        return Conflict(
            f"Telegram will not deliver to this chat ({reason}): the person blocked the bot "
            "or never started it. The reply is still open; dismiss it."
        )
    if outcome.status is telegram.SendStatus.SENDER_UNHEALTHY:
        return Conflict(f"The sender cannot send now ({reason}); see its health on Senders.")
    if outcome.status is telegram.SendStatus.RETRY_AFTER:
        return RateLimited(
            "The sender is at Telegram's limit; the reply is still open, try again shortly.",
            retry_after_s=max(1, round(outcome.retry_after_s or 1)),
        )
    return Unavailable(f"Telegram did not take the answer ({reason}). It is still open; try again.")


async def dismiss(*, session: AsyncSession, reply_id: int, actor: str) -> InboxReply:
    """Closes a reply without answering it."""
    row = await get_reply_or_raise(session=session, reply_id=reply_id)
    ensure_open(row)
    row.status = InboxStatus.DISMISSED.value
    row.answered_by, row.answered_at = actor, clock.now()
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="inbox.dismissed",
        entity_type="inbox_reply",
        entity_id=row.id,
        data={"contact_id": row.contact_id, "intent": row.intent},
    )
    return row


async def erase_contact(*, session: AsyncSession, contact_id: int) -> int:
    """Deletes every reply of an erased person; returns how many."""
    result = await session.execute(delete(InboxReply).where(InboxReply.contact_id == contact_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_replies_before(*, session: AsyncSession, cutoff: datetime) -> int:
    """Deletes every reply received before `cutoff`, with its drafted and sent answer text
    (retention); returns how many."""
    result = await session.execute(delete(InboxReply).where(InboxReply.received_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def read(row: InboxReply) -> InboxReplyRead:
    return InboxReplyRead.model_validate(row, from_attributes=True)

"""Sending through a sender's transport: one message (refused while the sender is held back,
FloodWaits counted), a test message and a person's answer paced by the sender's limiter, and
the approval of a join request."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram.bots import keep_username, report_refusal
from marketing_agent.telegram.metrics import FLOOD_WAIT_SECONDS, FLOOD_WAITS
from marketing_agent.telegram.pool import TransportPool
from marketing_agent.telegram.schemas import SenderTestResult, TransportKind
from marketing_agent.telegram.sender_info import SenderInfo, info_of
from marketing_agent.telegram.senders import load_sender, loaded_row, record_sender_health
from marketing_agent.telegram.transport import (
    JoinRequest,
    OutgoingMessage,
    SendOutcome,
    SendStatus,
    chat_kind_of,
)

log = get_logger(__name__)

# Outcome reasons that are a wait Telegram asked for (not one we keep by ourselves meanwhile).
_TELEGRAM_WAITS = frozenset({"flood_wait", "slow_mode"})


TEST_MAX_WAIT_S = 5.0  # a test message waits this long for its slot, else says "rate_limited"


async def send_message(
    *, transports: TransportPool, sender_id: int, profile_name: str, message: OutgoingMessage
) -> SendOutcome:
    """Sends one message through the sender's transport; the caller paces and retries.

    A paused or unhealthy sender is refused here (SENDER_UNHEALTHY) without reaching Telegram;
    each FloodWait is counted and logged; a sender-level problem pauses (PEER_FLOOD) or marks
    the sender unhealthy, to be recorded in the database when senders are next loaded."""
    held = transports.refusal(sender_id)
    if held is not None:
        return held
    transport = transports.get(sender_id, profile_name=profile_name)
    outcome = await transport.send(message)
    if outcome.status is SendStatus.RETRY_AFTER and outcome.reason in _TELEGRAM_WAITS:
        _record_flood_wait(transports, sender_id, outcome)
    elif outcome.status is SendStatus.SENDER_UNHEALTHY:
        transports.report_problem(sender_id, outcome.reason)
    if outcome.status is not SendStatus.SENT:
        # Never the chat id or the text: both identify a person.
        log.info(
            "telegram.send_refused",
            sender_id=sender_id,
            status=outcome.status.value,
            reason=outcome.reason,
            retry_after_s=outcome.retry_after_s,
        )
    return outcome


async def approve_join_request(
    *, transports: TransportPool, sender_id: int, request: JoinRequest
) -> SendOutcome:
    """Lets a person into the channel or group they asked to join, through the sender's
    transport. Call it after the bot's message to them (its confirmation, or its double opt-in
    question): Telegram lets a bot write to a requester who never started it only until the
    request is processed, and for 5 minutes at most."""
    transport = transports.get(sender_id)
    outcome = await transport.approve_join(request)
    if outcome.status is SendStatus.SENDER_UNHEALTHY:
        transports.report_problem(sender_id, outcome.reason)
    log.info(
        "telegram.join_approved" if outcome.delivered else "telegram.join_not_approved",
        sender_id=sender_id,
        status=outcome.status.value,
        reason=outcome.reason,
    )
    return outcome


async def send_test_message(
    *,
    session: AsyncSession,
    transports: TransportPool,
    sender_id: int,
    chat_id: int,
    text: str,
    actor: str = "system",
    limits: Any = None,
) -> SenderTestResult:
    """Sends one test message (a bot first asks getMe, even while held back, to tell what is
    wrong with it); Telegram's refusal is a result, not an error. Audited. `limits` is the
    process's senders' limits (the runtime's safety RateLimits): the test message takes its
    slot there like every other message of the sender, and a FloodWait it meets pauses them."""
    from marketing_agent.telegram.botapi import BotApiRefused

    sender = await loaded_row(session, transports, sender_id)
    outcome: SendOutcome | None = None
    if sender.transport == TransportKind.BOTAPI.value:
        try:
            identity = await transports.botapi(sender_id).get_me()
        except BotApiRefused as refused:
            report_refusal(transports, sender_id, refused.outcome)
            outcome = refused.outcome  # the bot itself is refused: nothing to send
        else:
            await keep_username(session, sender, identity.username)
    if outcome is None:
        message = OutgoingMessage(
            chat_id=chat_id,
            text=text,
            chat_kind=chat_kind_of(chat_id),
            tags={"purpose": "test"},
        )
        outcome = await _send_paced(transports, limits, info_of(sender), message)
    await compliance.audit(
        session=session,
        actor=actor,
        action="sender.tested",
        entity_type="sender",
        entity_id=sender_id,
        data={"chat_id": chat_id, "status": outcome.status.value, "reason": outcome.reason},
    )
    await record_sender_health(session=session, transports=transports)  # what it found
    return SenderTestResult(
        ok=outcome.delivered,
        status=outcome.status.value,
        reason=outcome.reason,
        message_id=outcome.message_id,
        retry_after_s=outcome.retry_after_s,
        bot_username=sender.bot_username,
    )


async def send_answer(
    *,
    session: AsyncSession,
    transports: TransportPool,
    sender_id: int,
    chat_id: int,
    text: str,
    limits: Any = None,
) -> SendOutcome:
    """Sends a person's answer to someone who wrote to the sender (a reply, not marketing), its
    slot taken from the sender's limiter when `limits` (the runtime's) is given."""
    sender = await load_sender(session=session, transports=transports, sender_id=sender_id)
    message = OutgoingMessage(chat_id=chat_id, text=text)
    return await _send_paced(transports, limits, sender, message)


async def _send_paced(
    transports: TransportPool, limits: Any, sender: SenderInfo, message: OutgoingMessage
) -> SendOutcome:
    """Sends one message, its slot taken from the sender's limiter when `limits` is given."""
    limiter = None if limits is None else limits.limiter(sender.id, sender.profile)
    if limiter is not None:
        busy_s = await limiter.acquire(
            message.chat_id, message.chat_kind, max_wait_s=TEST_MAX_WAIT_S
        )
        if busy_s is not None:
            return SendOutcome(SendStatus.RETRY_AFTER, retry_after_s=busy_s, reason="rate_limited")
    outcome = await send_message(
        transports=transports,
        sender_id=sender.id,
        profile_name=sender.profile.name,
        message=message,
    )
    if limiter is not None:
        # The answer bounds when Telegram counted the send.
        limiter.sent(message.chat_id, answered_at=outcome.answered_at)
    if limiter is not None and outcome.status is SendStatus.RETRY_AFTER:
        await limiter.flood_wait(outcome.retry_after_s or 1.0)
    return outcome


def _record_flood_wait(transports: TransportPool, sender_id: int, outcome: SendOutcome) -> None:
    """Counts a FloodWait and logs it as an event of its own (independent of analytics)."""
    transport = transports.transport_of(sender_id)
    wait_s = outcome.retry_after_s or 0.0
    FLOOD_WAITS.labels(sender_id=str(sender_id), transport=transport).inc()
    FLOOD_WAIT_SECONDS.labels(transport=transport).observe(wait_s)
    log.warning(
        "telegram.flood_wait",
        sender_id=sender_id,
        transport=transport,
        retry_after_s=wait_s,
        reason=outcome.reason,
    )

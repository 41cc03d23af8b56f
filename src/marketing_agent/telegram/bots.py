"""Bot API bots: checking a token, the bot's identity, and its webhook (set, deleted, the secret
checked on each call, the update read)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core.errors import (
    Forbidden,
    MarketingAgentError,
    Unauthorized,
    Unavailable,
    ValidationFailed,
    field_error,
)
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram.models import Sender
from marketing_agent.telegram.pool import TransportPool
from marketing_agent.telegram.profiles import get_profile_by_name
from marketing_agent.telegram.schemas import TransportKind
from marketing_agent.telegram.sender_info import SenderInfo, info_of
from marketing_agent.telegram.senders import loaded_row, remember
from marketing_agent.telegram.transport import InboundEvent, SendOutcome, SendStatus

if TYPE_CHECKING:
    from marketing_agent.telegram.botapi import BotIdentity

log = get_logger(__name__)

# Where Telegram posts a bot's updates, under the API's public address (telegram/api.py).
WEBHOOK_PATH = "/api/v1/telegram/webhook/{sender_id}"


async def check_bot_token(
    *, transports: TransportPool, token: str, bot_api_url: str | None = None
) -> BotIdentity:
    """Asks the Bot API whom a token belongs to, before it is stored; raises ValidationFailed
    when it is refused and Unavailable when the server cannot be reached."""
    from marketing_agent.telegram.botapi import BotApiRefused, BotApiTransport

    transport = BotApiTransport(
        lambda: token,
        server_url=bot_api_url or transports.default_bot_api_url(),
        profile=get_profile_by_name("bot"),
        receive_by_polling=False,
        label="token-check",
    )
    try:
        return await transport.get_me()
    except BotApiRefused as refused:
        raise _refusal_problem(refused.outcome, ("body", "secret")) from None
    finally:
        await transport.close()


async def identify_bot(
    *, session: AsyncSession, transports: TransportPool, sender_id: int
) -> BotIdentity:
    """Asks Telegram whom the sender's token belongs to and keeps the bot's username."""
    from marketing_agent.telegram.botapi import BotApiRefused

    sender = await _bot_or_raise(session, transports, sender_id)
    try:
        identity = await transports.botapi(sender_id).get_me()
    except BotApiRefused as refused:
        report_refusal(transports, sender_id, refused.outcome)
        raise _refusal_problem(refused.outcome, ("path", "sender_id")) from None
    await keep_username(session, sender, identity.username)
    return identity


async def set_webhook(
    *,
    session: AsyncSession,
    transports: TransportPool,
    sender_id: int,
    public_url: str,
    actor: str = "system",
) -> SenderInfo:
    """Makes Telegram post the bot's updates to this API (with a new secret it must present)
    instead of long polling; audited."""
    from marketing_agent.telegram.botapi import BotApiRefused

    sender = await _bot_or_raise(session, transports, sender_id)
    url = public_url.rstrip("/") + WEBHOOK_PATH.format(sender_id=sender_id)
    secret = secrets.token_urlsafe(32)  # Telegram allows A-Z a-z 0-9 _ -, up to 256
    try:
        await transports.botapi(sender_id).set_webhook(url, secret_token=secret)
    except BotApiRefused as refused:
        report_refusal(transports, sender_id, refused.outcome)
        raise _refusal_problem(refused.outcome, ("body", "public_url")) from None
    sender.webhook_url = url
    sender.webhook_secret_sha256 = _sha256(secret)
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="sender.webhook_set",
        entity_type="sender",
        entity_id=sender_id,
        data={"url": url},
    )
    await remember(transports, sender)  # a changed spec: rebuilt without its poller
    log.info("sender.webhook_set", sender_id=sender_id)
    return info_of(sender)


async def delete_webhook(
    *, session: AsyncSession, transports: TransportPool, sender_id: int, actor: str = "system"
) -> SenderInfo:
    """Goes back to long polling for the bot's updates; audited."""
    from marketing_agent.telegram.botapi import BotApiRefused

    sender = await _bot_or_raise(session, transports, sender_id)
    try:
        await transports.botapi(sender_id).delete_webhook()
    except BotApiRefused as refused:
        report_refusal(transports, sender_id, refused.outcome)
        raise _refusal_problem(refused.outcome, ("path", "sender_id")) from None
    sender.webhook_url = None
    sender.webhook_secret_sha256 = None
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="sender.webhook_deleted",
        entity_type="sender",
        entity_id=sender_id,
    )
    await remember(transports, sender)
    log.info("sender.webhook_deleted", sender_id=sender_id)
    return info_of(sender)


async def check_webhook_secret(
    *, session: AsyncSession, sender_id: int, presented: str | None
) -> None:
    """Accepts a webhook call only with the secret its sender's webhook was set with (compared
    in constant time); raises Unauthorized without one, Forbidden with any other, or for a
    sender without a webhook (the same answer: the caller learns nothing about senders)."""
    if not presented:
        raise Unauthorized("The X-Telegram-Bot-Api-Secret-Token header is missing")
    expected = await session.scalar(
        select(Sender.webhook_secret_sha256).where(Sender.id == sender_id)
    )
    if not hmac.compare_digest(_sha256(presented), expected or "-" * 64):
        log.warning("telegram.webhook_refused", sender_id=sender_id)
        raise Forbidden("Wrong webhook secret")


def read_webhook_update(data: Any) -> tuple[list[InboundEvent], dict[str, Any]]:
    """Returns what a webhook's update says people did, and the body to answer it with."""
    from marketing_agent.telegram.botapi import events_of_update, parse_update, webhook_answer

    update = parse_update(data)
    if update is None:
        raise ValidationFailed([field_error(("body",), "not a Telegram update")])
    return events_of_update(update), webhook_answer(update)


async def _bot_or_raise(session: AsyncSession, transports: TransportPool, sender_id: int) -> Sender:
    sender = await loaded_row(session, transports, sender_id)
    if sender.transport != TransportKind.BOTAPI.value:
        raise ValidationFailed(
            [field_error(("path", "sender_id"), "this sender is not a Bot API bot (botapi)")]
        )
    return sender


async def keep_username(session: AsyncSession, sender: Sender, username: str | None) -> None:
    if username and sender.bot_username != username:
        sender.bot_username = username
        await session.flush()


def report_refusal(transports: TransportPool, sender_id: int, outcome: SendOutcome) -> None:
    if outcome.status is SendStatus.SENDER_UNHEALTHY:
        transports.report_problem(sender_id, outcome.reason)


def _refusal_problem(outcome: SendOutcome, loc: tuple[str, ...]) -> MarketingAgentError:
    """Returns the problem a refused Bot API call (other than a send) is to the caller."""
    reason = outcome.reason or outcome.status.value
    if outcome.status is SendStatus.SENDER_UNHEALTHY:
        return ValidationFailed([field_error(loc, f"Telegram refused the bot's token ({reason})")])
    if outcome.status is SendStatus.PERMANENT:
        return ValidationFailed([field_error(loc, f"Telegram refused it ({reason})")])
    return Unavailable(f"The Bot API server did not answer as expected ({reason}); try again")


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

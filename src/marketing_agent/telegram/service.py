"""The telegram module's public API: senders, their profiles, sending through their transports."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.crypto import SecretBox, SecretUnreadable
from marketing_agent.core.db import IN_LIST_CHUNK, in_chunks
from marketing_agent.core.errors import (
    Conflict,
    Forbidden,
    MarketingAgentError,
    NotFound,
    Unauthorized,
    Unavailable,
    ValidationFailed,
    field_error,
)
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram import consent_bot
from marketing_agent.telegram.metrics import FLOOD_WAIT_SECONDS, FLOOD_WAITS
from marketing_agent.telegram.models import BotChat, InboundUpdate, Sender
from marketing_agent.telegram.pool import SenderHealth, SenderSpec
from marketing_agent.telegram.pool import TransportPool as TransportPool

# The read types and message types other modules use with this service, re-exported here so
# nothing outside the module imports deeper than its service.
from marketing_agent.telegram.profiles import CAPTION_MAX_UTF16 as CAPTION_MAX_UTF16
from marketing_agent.telegram.profiles import PROFILES, get_profile_by_name
from marketing_agent.telegram.profiles import TEXT_MAX_UTF16 as TEXT_MAX_UTF16
from marketing_agent.telegram.profiles import SenderProfile as SenderProfile
from marketing_agent.telegram.profiles import cut_to_telegram_length as cut_to_telegram_length
from marketing_agent.telegram.profiles import telegram_text_length as telegram_text_length
from marketing_agent.telegram.schemas import (
    SenderCreate,
    SenderKind,
    SenderStatus,
    SenderTestResult,
    TransportKind,
)
from marketing_agent.telegram.sender_info import SenderInfo as SenderInfo
from marketing_agent.telegram.sender_info import info_of
from marketing_agent.telegram.transport import Button as Button
from marketing_agent.telegram.transport import ChatKind as ChatKind
from marketing_agent.telegram.transport import InboundEvent as InboundEvent
from marketing_agent.telegram.transport import JoinRequest as JoinRequest
from marketing_agent.telegram.transport import Media as Media
from marketing_agent.telegram.transport import MediaKind as MediaKind
from marketing_agent.telegram.transport import OutgoingMessage as OutgoingMessage
from marketing_agent.telegram.transport import SendOutcome as SendOutcome
from marketing_agent.telegram.transport import SendStatus as SendStatus
from marketing_agent.telegram.transport import chat_kind_of as chat_kind_of
from marketing_agent.telegram.transport import is_group_chat as is_group_chat

if TYPE_CHECKING:
    from marketing_agent.telegram.botapi import BotIdentity
    from marketing_agent.telegram.telethon_transport import (
        ChatCreationKind,
        CreatedChat,
        MembershipResult,
    )

log = get_logger(__name__)

DEMO_SENDER_NAME = "Demo bot (simulator)"
# The columns of a sender holding SecretBox tokens (key rotation re-encrypts each of them).
ENCRYPTED_COLUMNS = ("secret_encrypted", "api_hash_encrypted")
# Outcome reasons that are a wait Telegram asked for (not one we keep by ourselves meanwhile).
_TELEGRAM_WAITS = frozenset({"flood_wait", "slow_mode"})
TEST_MAX_WAIT_S = 5.0  # a test message waits this long for its slot, else says "rate_limited"


def open_transports(
    *, secret_box: SecretBox | None = None, bot_api_url: str | None = None
) -> TransportPool:
    """Returns a new transport pool: one per process, built by its runtime (Runtime.transports)
    and handed to every function here that reaches a transport."""
    return TransportPool(secret_box=secret_box, bot_api_url=bot_api_url)


async def create_sender(
    *,
    session: AsyncSession,
    sender_in: SenderCreate,
    secret_box: SecretBox | None = None,
    actor: str = "system",
    bot_username: str | None = None,
) -> SenderInfo:
    """Creates a sender with its secret encrypted; raises Conflict when the name is taken."""
    if await get_sender_by_name(session=session, name=sender_in.name) is not None:
        raise Conflict(f"A sender named '{sender_in.name}' already exists")
    secret = sender_in.secret.get_secret_value() if sender_in.secret is not None else ""
    if secret and secret_box is None:
        raise ValidationFailed(
            [field_error(("body", "secret"), "no encryption key is configured to store secrets")]
        )
    sender = Sender(
        name=sender_in.name,
        kind=sender_in.kind.value,
        transport=sender_in.transport.value,
        profile=sender_in.profile,
        secret_encrypted=secret_box.encrypt(secret) if secret and secret_box else None,
        status=SenderStatus.ACTIVE.value,
        bot_api_url=sender_in.bot_api_url,
        bot_username=bot_username,
        double_opt_in=sender_in.double_opt_in,
        opt_in_text=sender_in.opt_in_text,
    )
    await _insert_sender(
        session=session,
        sender=sender,
        actor=actor,
        audit_data={
            "has_secret": sender.has_secret,
            "bot_api_url": sender.bot_api_url,
            "double_opt_in": sender.double_opt_in,
        },
    )
    return info_of(sender)


async def get_sender(*, session: AsyncSession, sender_id: int) -> SenderInfo | None:
    """Returns the sender, or None. A read: it writes nothing (health is recorded by
    `record_sender_health`, which the scheduler and the worker run)."""
    sender = await _row(session, sender_id)
    return None if sender is None else info_of(sender)


async def get_sender_or_raise(*, session: AsyncSession, sender_id: int) -> SenderInfo:
    """Returns the sender, or raises NotFound."""
    return info_of(await _row_or_raise(session, sender_id))


async def get_sender_by_name(*, session: AsyncSession, name: str) -> SenderInfo | None:
    """Returns the sender called `name`, or None."""
    sender = await session.scalar(select(Sender).where(Sender.name == name))
    return None if sender is None else info_of(sender)


async def list_senders(*, session: AsyncSession) -> list[SenderInfo]:
    """Returns every sender, oldest first; writes nothing."""
    senders = (await session.scalars(select(Sender).order_by(Sender.id))).all()
    return [info_of(sender) for sender in senders]


async def list_active_senders(*, session: AsyncSession) -> list[SenderInfo]:
    """Returns the senders that may send now, oldest first."""
    return [sender for sender in await list_senders(session=session) if sender.is_active]


async def load_senders(*, session: AsyncSession, transports: TransportPool) -> list[SenderInfo]:
    """Returns every sender, oldest first, and tells the process's transports what is stored
    (how to reach each sender, its status): what sends loads its senders so, every round."""
    senders = (await session.scalars(select(Sender).order_by(Sender.id))).all()
    for sender in senders:
        await _remember(transports, sender)
    return [info_of(sender) for sender in senders]


async def load_sender(
    *, session: AsyncSession, transports: TransportPool, sender_id: int
) -> SenderInfo:
    """Returns the sender, told to the process's transports; raises NotFound."""
    return info_of(await _loaded_row(session, transports, sender_id))


async def _row(session: AsyncSession, sender_id: int) -> Sender | None:
    """Returns the stored sender (the module's own row), or None."""
    return await session.get(Sender, sender_id)


async def _row_or_raise(session: AsyncSession, sender_id: int) -> Sender:
    sender = await _row(session, sender_id)
    if sender is None:
        raise NotFound(f"Sender {sender_id} not found")
    return sender


async def _loaded_row(session: AsyncSession, transports: TransportPool, sender_id: int) -> Sender:
    """Returns the stored sender, told to the transports (which then may reach it)."""
    sender = await _row_or_raise(session, sender_id)
    await _remember(transports, sender)
    return sender


async def set_sender_status(
    *,
    session: AsyncSession,
    transports: TransportPool,
    sender_id: int,
    status: SenderStatus,
    paused_until: datetime | None = None,
    actor: str = "system",
    reason: str | None = None,
) -> SenderInfo:
    """Marks a sender active, paused (until a time) or unhealthy, and audits the change."""
    transports.forget_unsaved_health(sender_id)  # this decision supersedes a pending report
    sender = await _row_or_raise(session, sender_id)
    await _apply_status(session, sender, status, paused_until, actor=actor, reason=reason)
    await _remember(transports, sender)
    return info_of(sender)


async def record_sender_health(*, session: AsyncSession, transports: TransportPool) -> int:
    """Writes what transports found about their senders (PEER_FLOOD, a revoked session, a
    connection given up on) to the database, audited, and resumes the senders whose pause has
    run out; returns how many senders changed.

    The health job: the scheduler runs it every tick, the worker every round, and what sends on
    behalf of a request (a test message, adding members) right after; reads never do."""
    now = clock.now()
    elapsed = (
        await session.scalars(
            select(Sender).where(
                Sender.status == SenderStatus.PAUSED.value,
                Sender.paused_until.is_not(None),
                Sender.paused_until <= now,
            )
        )
    ).all()
    for resumed in elapsed:
        await _apply_status(
            session, resumed, SenderStatus.ACTIVE, None, actor="system", reason="pause_elapsed"
        )
        await _remember(transports, resumed)
    unsaved = transports.take_unsaved_health()
    for sender_id, health in unsaved.items():
        sender = await session.get(Sender, sender_id)
        if sender is None:
            continue
        await _apply_status(
            session,
            sender,
            health.status,
            health.paused_until,
            actor="system:telegram",
            reason=health.reason,
        )
    return len(unsaved) + len(elapsed)


async def _apply_status(
    session: AsyncSession,
    sender: Sender,
    status: SenderStatus,
    paused_until: datetime | None,
    *,
    actor: str,
    reason: str | None,
) -> None:
    sender.status = status.value
    sender.paused_until = paused_until if status is SenderStatus.PAUSED else None
    sender.status_reason = reason if status is not SenderStatus.ACTIVE else None
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action=f"sender.{status.value}",
        entity_type="sender",
        entity_id=sender.id,
        data={
            "paused_until": paused_until.isoformat() if paused_until else None,
            "reason": reason,
        },
    )
    log.info("sender.status_changed", sender_id=sender.id, status=sender.status, reason=reason)


async def ensure_demo_sender(*, session: AsyncSession) -> SenderInfo:
    """Returns the demo's simulator bot, creating it the first time."""
    sender = await get_sender_by_name(session=session, name=DEMO_SENDER_NAME)
    if sender is not None:
        return sender
    return await create_sender(
        session=session,
        sender_in=SenderCreate(
            name=DEMO_SENDER_NAME,
            kind=SenderKind.BOT,
            transport=TransportKind.SIMULATOR,
            profile="bot",
        ),
    )


def list_profiles() -> list[SenderProfile]:
    """Returns every sender profile."""
    return list(PROFILES.values())


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


def join_request_of(event: InboundEvent) -> JoinRequest | None:
    """Returns the join request an inbound event is (approve it after answering), or None."""
    return consent_bot.join_request_of(event)


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


async def fetch_updates(*, transports: TransportPool, sender_id: int) -> list[InboundEvent]:
    """Returns the sender's inbound events whose time has come and that are not yet confirmed
    stored (confirm_updates)."""
    return await transports.get(sender_id).fetch_updates()


def confirm_updates(*, transports: TransportPool, sender_id: int) -> None:
    """Tells the sender's transport that what it handed out is stored (`store_inbound`
    committed): Telegram may forget it."""
    transports.get(sender_id).confirm_updates()


@dataclass(frozen=True)
class StoredUpdate:
    """An inbound update kept in the store, claimed to be applied."""

    id: int
    sender_id: int
    event: InboundEvent


INBOUND_MAX_FAILURES = 5  # applications of one update that failed before it is set aside
_INBOUND: Table = InboundUpdate.__table__  # type: ignore[assignment]


async def store_inbound(
    *, session: AsyncSession, sender_id: int, events: Sequence[InboundEvent]
) -> None:
    """Stores what people did, to be applied later; an update stored before (the same
    update_id) is not stored again."""
    if not events:
        return
    now = clock.now()
    rows = [
        {
            "sender_id": sender_id,
            "update_id": e.update_id,
            "event": _event_json(e),
            "received_at": now,
            "failures": 0,
        }
        for e in events
    ]
    dialect = session.get_bind().dialect.name
    insert_of = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_of(InboundUpdate).on_conflict_do_nothing(
        index_elements=["sender_id", "update_id"]
    )
    for start in range(0, len(rows), 1000):
        await session.execute(statement, rows[start : start + 1000])


async def claim_inbound(
    *,
    session: AsyncSession,
    limit: int,
    after_id: int = 0,
    sender_id: int | None = None,
    update_ids: Sequence[int] | None = None,
) -> list[StoredUpdate]:
    """Marks stored updates not yet applied as applied and returns them, oldest first: the
    caller applies them in the same transaction, so the mark and the effects commit together
    (or neither does). Updates another transaction holds are skipped, never applied twice."""
    table = _INBOUND.c
    pending = (
        select(table.id)
        .where(
            table.applied_at.is_(None),
            table.failures < INBOUND_MAX_FAILURES,
            table.id > after_id,
        )
        .order_by(table.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if sender_id is not None:
        pending = pending.where(table.sender_id == sender_id)
    if update_ids is not None:
        pending = pending.where(table.id.in_(update_ids))
    rows = await session.execute(
        update(_INBOUND)
        .where(table.id.in_(pending.scalar_subquery()), table.applied_at.is_(None))
        .values(applied_at=clock.now())
        .returning(table.id, table.sender_id, table.event)
    )
    claimed = [StoredUpdate(r.id, r.sender_id, _event_of(r.event)) for r in rows]
    claimed.sort(key=lambda u: u.id)
    return claimed


async def record_inbound_failure(*, session: AsyncSession, update_id: int, error: str) -> None:
    """Counts a failed application of a stored update (it is retried on the next round, and
    set aside after INBOUND_MAX_FAILURES)."""
    await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.id == update_id)
        .values(failures=InboundUpdate.failures + 1, last_error=error[:255])
    )


async def delete_inbound_before(*, session: AsyncSession, cutoff: datetime) -> int:
    """Deletes the stored updates applied before the cutoff, and those set aside (failed too
    often) received before it (retention); an update still to be applied stays. Returns how
    many went."""
    table = _INBOUND.c
    result = await session.execute(
        delete(InboundUpdate).where(
            or_(
                table.applied_at < cutoff,
                and_(
                    table.applied_at.is_(None),
                    table.failures >= INBOUND_MAX_FAILURES,
                    table.received_at < cutoff,
                ),
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _event_json(event: InboundEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "chat_id": event.chat_id,
        "occurred_at": event.occurred_at.isoformat(),
        "message_id": event.message_id,
        "text": event.text,
        "payload": dict(event.payload),
        "update_id": event.update_id,
    }


def _event_of(data: dict[str, Any]) -> InboundEvent:
    occurred_at = datetime.fromisoformat(data["occurred_at"])
    return InboundEvent(
        kind=data["kind"],
        chat_id=int(data["chat_id"]),
        occurred_at=occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=clock.UTC),
        message_id=data.get("message_id"),
        text=data.get("text"),
        payload=data.get("payload") or {},
        update_id=data.get("update_id"),
    )


async def create_user_account(
    *,
    session: AsyncSession,
    name: str,
    api_id: int,
    api_hash: str,
    session_string: str,
    secret_box: SecretBox,
    actor: str = "system",
) -> SenderInfo:
    """Stores a logged-in user account as a telethon sender, its session and api_hash
    encrypted; raises Conflict when the name is taken."""
    if await get_sender_by_name(session=session, name=name) is not None:
        raise Conflict(f"A sender named '{name}' already exists")
    sender = Sender(
        name=name,
        kind=SenderKind.USER.value,
        transport=TransportKind.TELETHON.value,
        profile="user",
        secret_encrypted=secret_box.encrypt(session_string),
        api_id=api_id,
        api_hash_encrypted=secret_box.encrypt(api_hash),
        status=SenderStatus.ACTIVE.value,
    )
    await _insert_sender(
        session=session, sender=sender, actor=actor, audit_data={"has_secret": True, "via": "login"}
    )
    return info_of(sender)


async def reencrypt_secrets(
    *, session: AsyncSession, secret_box: SecretBox, actor: str = "system"
) -> tuple[int, int]:
    """Re-encrypts every sender's secrets with the box's newest key, all or nothing; returns
    (senders, secrets). Raises SecretUnreadable, changing nothing, if any secret resists."""
    senders = (await session.scalars(select(Sender).order_by(Sender.id).with_for_update())).all()
    unreadable = sorted(
        {
            sender.id
            for sender in senders
            for column in ENCRYPTED_COLUMNS
            if (token := getattr(sender, column)) and not secret_box.can_decrypt(token)
        }
    )
    if unreadable:
        raise SecretUnreadable(
            f"No known key opens the secrets of senders {unreadable}; nothing was re-encrypted"
        )
    secrets = 0
    for sender in senders:
        for column in ENCRYPTED_COLUMNS:
            token = getattr(sender, column)
            if token:
                setattr(sender, column, secret_box.rotate(token))
                secrets += 1
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="secrets.reencrypted",
        entity_type="secret_key",
        entity_id="senders",
        data={"senders": len(senders), "secrets": secrets},
    )
    log.info("secrets.reencrypted", senders=len(senders), secrets=secrets)
    return len(senders), secrets


async def create_chat(
    *,
    session: AsyncSession,
    transports: TransportPool,
    sender_id: int,
    title: str,
    about: str = "",
    kind: ChatCreationKind,
) -> CreatedChat:
    """Creates a group (supergroup) or a channel owned by a user account; audited."""
    await _loaded_row(session, transports, sender_id)
    created = await transports.telethon(sender_id).create_chat(title=title, about=about, kind=kind)
    if created.chat_id is not None:
        await compliance.audit(
            session=session,
            actor="system:telegram",
            action="telegram.chat_created",
            entity_type="sender",
            entity_id=sender_id,
            data={"chat_id": created.chat_id, "kind": kind},
        )
    return created


async def add_chat_members(
    *,
    session: AsyncSession,
    transports: TransportPool,
    sender_id: int,
    chat_id: int,
    telegram_ids: Sequence[int],
    consenting_ids: Collection[int],
) -> MembershipResult:
    """Adds people to a user account's group or channel: only those in `consenting_ids`, which
    the caller has checked are consenting now (see TelethonTransport.add_members); audited."""
    await _loaded_row(session, transports, sender_id)
    result = await transports.telethon(sender_id).add_members(
        chat_id, telegram_ids, consenting_ids=consenting_ids
    )
    if result.stopped_by is not None and result.stopped_by.status is SendStatus.SENDER_UNHEALTHY:
        transports.report_problem(sender_id, result.stopped_by.reason)
        await record_sender_health(session=session, transports=transports)
    await compliance.audit(
        session=session,
        actor="system:telegram",
        action="telegram.members_added",
        entity_type="sender",
        entity_id=sender_id,
        data={
            "chat_id": chat_id,
            "added": len(result.added),
            "refused": len(result.refused),
            "not_tried": len(result.not_tried),
        },
    )
    return result


# -- bots (Bot API) ------------------------------------------------------------------------------

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
        _report_refusal(transports, sender_id, refused.outcome)
        raise _refusal_problem(refused.outcome, ("path", "sender_id")) from None
    await _keep_username(session, sender, identity.username)
    return identity


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

    sender = await _loaded_row(session, transports, sender_id)
    outcome: SendOutcome | None = None
    if sender.transport == TransportKind.BOTAPI.value:
        try:
            identity = await transports.botapi(sender_id).get_me()
        except BotApiRefused as refused:
            _report_refusal(transports, sender_id, refused.outcome)
            outcome = refused.outcome  # the bot itself is refused: nothing to send
        else:
            await _keep_username(session, sender, identity.username)
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
        _report_refusal(transports, sender_id, refused.outcome)
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
    await _remember(transports, sender)  # a changed spec: rebuilt without its poller
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
        _report_refusal(transports, sender_id, refused.outcome)
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
    await _remember(transports, sender)
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


# Updates that come from a person in the bot's chat (a read receipt or a purchase on a website
# does not); a group's update says the bot is in it.
_KINDS_FROM_THE_CHAT = frozenset({"start", "consent_yes", "reply", "click", "stop"})


async def record_chats_seen(
    *, session: AsyncSession, sender_id: int, events: Sequence[InboundEvent]
) -> int:
    """Remembers the chats an update came from (Telegram lets a bot write only to those);
    returns how many chats the events named."""
    seen: dict[int, datetime] = {}
    for event in events:
        if event.kind in _KINDS_FROM_THE_CHAT and event.chat_id != 0:
            seen[event.chat_id] = max(seen.get(event.chat_id, event.occurred_at), event.occurred_at)
    await _upsert_chats(session, sender_id, seen)
    return len(seen)


async def record_chats_started(
    *, session: AsyncSession, sender_id: int, chat_ids: Collection[int], at: datetime
) -> None:
    """Records chats that started the bot before the product heard from them (a demo's people
    whose /start was handled elsewhere)."""
    await _upsert_chats(session, sender_id, dict.fromkeys(chat_ids, at))


async def count_unreachable(
    *, session: AsyncSession, sender_id: int, telegram_ids: Collection[int]
) -> int:
    """Returns how many of `telegram_ids` never started the sender's bot (no update of theirs
    has reached it), so a send to them would fail with `chat_not_found`; 0 for a user account,
    which may write to anyone."""
    sender = await session.get(Sender, sender_id)
    if sender is None:
        raise NotFound(f"Sender {sender_id} not found")
    if sender.kind != SenderKind.BOT.value:
        return 0
    wanted = sorted(set(telegram_ids))
    known = 0
    for chunk in in_chunks(wanted):
        known += (
            await session.scalar(
                select(func.count())
                .select_from(BotChat)
                .where(BotChat.sender_id == sender_id, BotChat.chat_id.in_(chunk))
            )
            or 0
        )
    return len(wanted) - known


async def _upsert_chats(
    session: AsyncSession, sender_id: int, seen: Mapping[int, datetime]
) -> None:
    if not seen:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {"sender_id": sender_id, "chat_id": chat_id, "first_seen_at": at, "last_seen_at": at}
        for chat_id, at in sorted(seen.items())
    ]
    for chunk in in_chunks(rows, IN_LIST_CHUNK // 4):  # four parameters a row
        statement = insert(BotChat).values(chunk)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[BotChat.sender_id, BotChat.chat_id],
                set_={"last_seen_at": statement.excluded.last_seen_at},
            )
        )


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


async def _bot_or_raise(session: AsyncSession, transports: TransportPool, sender_id: int) -> Sender:
    sender = await _loaded_row(session, transports, sender_id)
    if sender.transport != TransportKind.BOTAPI.value:
        raise ValidationFailed(
            [field_error(("path", "sender_id"), "this sender is not a Bot API bot (botapi)")]
        )
    return sender


async def _keep_username(session: AsyncSession, sender: Sender, username: str | None) -> None:
    if username and sender.bot_username != username:
        sender.bot_username = username
        await session.flush()


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


def _report_refusal(transports: TransportPool, sender_id: int, outcome: SendOutcome) -> None:
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


async def _remember(transports: TransportPool, sender: Sender) -> None:
    """Tells the transports what is stored: how to reach the sender, and its status."""
    await transports.register(
        SenderSpec(
            sender_id=sender.id,
            transport=sender.transport,
            profile_name=sender.profile,
            secret_encrypted=sender.secret_encrypted,
            api_id=sender.api_id,
            api_hash_encrypted=sender.api_hash_encrypted,
            bot_api_url=sender.bot_api_url,
            webhook=sender.webhook_url is not None,
        )
    )
    await transports.observe_health(
        sender.id,
        SenderHealth(SenderStatus(sender.status), sender.paused_until, sender.status_reason),
    )


async def _insert_sender(
    *, session: AsyncSession, sender: Sender, actor: str, audit_data: dict[str, Any]
) -> None:
    """Inserts a new sender and audits it (the transports learn it when it is loaded)."""
    session.add(sender)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the name between check and insert
        raise Conflict(f"A sender named '{sender.name}' already exists") from exc
    await compliance.audit(
        session=session,
        actor=actor,
        action="sender.created",
        entity_type="sender",
        entity_id=sender.id,
        data={
            "name": sender.name,
            "kind": sender.kind,
            "transport": sender.transport,
            "profile": sender.profile,
            **audit_data,
        },
    )
    log.info(
        "sender.created",
        sender_id=sender.id,
        kind=sender.kind,
        transport=sender.transport,
        profile=sender.profile,
    )


async def erase_chat(*, session: AsyncSession, chat_id: int) -> int:
    """Forgets a person's chat (erasure): the record that they started a bot and the stored
    updates they sent, applied or not. Returns how many rows went."""
    chats = await session.execute(delete(BotChat).where(BotChat.chat_id == chat_id))
    updates = await session.execute(
        # As a float: a Telegram id outgrows a 32-bit integer cast; a double holds it exactly.
        delete(InboundUpdate).where(InboundUpdate.event["chat_id"].as_float() == float(chat_id))
    )
    await session.flush()
    return int(getattr(chats, "rowcount", 0) or 0) + int(getattr(updates, "rowcount", 0) or 0)

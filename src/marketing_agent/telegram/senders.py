"""Senders: creating and reading them (as SenderInfo), their status and health, and telling the
process's transports what is stored about each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.errors import Conflict, NotFound, ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram.models import Sender
from marketing_agent.telegram.pool import SenderHealth, SenderSpec, TransportPool
from marketing_agent.telegram.profiles import PROFILES, SenderProfile
from marketing_agent.telegram.schemas import SenderCreate, SenderKind, SenderStatus, TransportKind
from marketing_agent.telegram.sender_info import SenderInfo, info_of

log = get_logger(__name__)

DEMO_SENDER_NAME = "Demo bot (simulator)"


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
        await remember(transports, sender)
    return [info_of(sender) for sender in senders]


async def load_sender(
    *, session: AsyncSession, transports: TransportPool, sender_id: int
) -> SenderInfo:
    """Returns the sender, told to the process's transports; raises NotFound."""
    return info_of(await loaded_row(session, transports, sender_id))


async def _row(session: AsyncSession, sender_id: int) -> Sender | None:
    """Returns the stored sender (the module's own row), or None."""
    return await session.get(Sender, sender_id)


async def _row_or_raise(session: AsyncSession, sender_id: int) -> Sender:
    sender = await _row(session, sender_id)
    if sender is None:
        raise NotFound(f"Sender {sender_id} not found")
    return sender


async def loaded_row(session: AsyncSession, transports: TransportPool, sender_id: int) -> Sender:
    """Returns the stored sender, told to the transports (which then may reach it)."""
    sender = await _row_or_raise(session, sender_id)
    await remember(transports, sender)
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
    await remember(transports, sender)
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
        await remember(transports, resumed)
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


async def remember(transports: TransportPool, sender: Sender) -> None:
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

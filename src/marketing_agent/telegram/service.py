"""The telegram module's public API: senders, their profiles, sending through their transports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.errors import Conflict, NotFound, ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram.models import Sender
from marketing_agent.telegram.pool import SenderSpec, TransportPool
from marketing_agent.telegram.profiles import PROFILES, SenderProfile, get_profile_by_name
from marketing_agent.telegram.schemas import (
    SenderCreate,
    SenderKind,
    SenderStatus,
    TransportKind,
)
from marketing_agent.telegram.transport import (
    InboundEvent,
    OutgoingMessage,
    SendOutcome,
    SendStatus,
)

log = get_logger(__name__)

DEMO_SENDER_NAME = "Demo bot (simulator)"

_pool = TransportPool()


def pool() -> TransportPool:
    """Returns this process's transport pool (the demo configures simulators through it)."""
    return _pool


async def shutdown() -> None:
    """Closes every transport of this process."""
    await _pool.close_all()


async def create_sender(
    *,
    session: AsyncSession,
    sender_in: SenderCreate,
    secret_box: SecretBox | None = None,
    actor: str = "system",
) -> Sender:
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
    )
    session.add(sender)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the name between check and insert
        raise Conflict(f"A sender named '{sender_in.name}' already exists") from exc
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
            "has_secret": sender.has_secret,
        },
    )
    await _pool.forget(sender.id)  # a new row never inherits a transport left under its id
    await _remember(sender)
    log.info(
        "sender.created",
        sender_id=sender.id,
        kind=sender.kind,
        transport=sender.transport,
        profile=sender.profile,
    )
    return sender


async def get_sender(*, session: AsyncSession, sender_id: int) -> Sender | None:
    """Returns the sender, or None."""
    sender = await session.get(Sender, sender_id)
    if sender is not None:
        await _remember(sender)
    return sender


async def get_sender_or_raise(*, session: AsyncSession, sender_id: int) -> Sender:
    """Returns the sender, or raises NotFound."""
    sender = await get_sender(session=session, sender_id=sender_id)
    if sender is None:
        raise NotFound(f"Sender {sender_id} not found")
    return sender


async def get_sender_by_name(*, session: AsyncSession, name: str) -> Sender | None:
    """Returns the sender called `name`, or None."""
    sender = await session.scalar(select(Sender).where(Sender.name == name))
    if sender is not None:
        await _remember(sender)
    return sender


async def list_senders(*, session: AsyncSession) -> Sequence[Sender]:
    """Returns every sender, oldest first."""
    senders = (await session.scalars(select(Sender).order_by(Sender.id))).all()
    for sender in senders:
        await _remember(sender)
    return senders


async def set_sender_status(
    *,
    session: AsyncSession,
    sender_id: int,
    status: SenderStatus,
    paused_until: datetime | None = None,
    actor: str = "system",
) -> Sender:
    """Marks a sender active, paused (until a time) or unhealthy, and audits the change."""
    sender = await get_sender_or_raise(session=session, sender_id=sender_id)
    sender.status = status.value
    sender.paused_until = paused_until if status is SenderStatus.PAUSED else None
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action=f"sender.{status.value}",
        entity_type="sender",
        entity_id=sender.id,
        data={"paused_until": paused_until.isoformat() if paused_until else None},
    )
    log.info("sender.status_changed", sender_id=sender.id, status=sender.status)
    return sender


async def ensure_demo_sender(*, session: AsyncSession) -> Sender:
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


def get_profile(sender: Sender) -> SenderProfile:
    """Returns the limits the sender must keep."""
    return get_profile_by_name(sender.profile)


def list_profiles() -> list[SenderProfile]:
    """Returns every sender profile."""
    return list(PROFILES.values())


async def send_message(
    *, sender_id: int, profile_name: str, message: OutgoingMessage
) -> SendOutcome:
    """Sends one message through the sender's transport; the caller paces and retries."""
    transport = _pool.get(sender_id, profile_name=profile_name)
    outcome = await transport.send(message)
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


async def fetch_updates(*, sender_id: int) -> list[InboundEvent]:
    """Returns, and forgets, the sender's inbound events whose time has come."""
    return await _pool.get(sender_id).fetch_updates()


async def _remember(sender: Sender) -> None:
    await _pool.register(
        SenderSpec(
            sender_id=sender.id,
            transport=sender.transport,
            profile_name=sender.profile,
            secret_encrypted=sender.secret_encrypted,
        )
    )

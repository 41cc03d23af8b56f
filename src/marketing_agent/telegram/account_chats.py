"""Groups and channels a user account owns: creating them and adding consenting members."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.telegram.pool import TransportPool
from marketing_agent.telegram.senders import loaded_row, record_sender_health
from marketing_agent.telegram.transport import SendStatus

if TYPE_CHECKING:
    from marketing_agent.telegram.telethon_transport import (
        ChatCreationKind,
        CreatedChat,
        MembershipResult,
    )


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
    await loaded_row(session, transports, sender_id)
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
    await loaded_row(session, transports, sender_id)
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

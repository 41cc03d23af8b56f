"""The chats that started a bot (Telegram lets a bot write only to those): recorded from its
updates, counted before a send, erased with the person."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core.db import IN_LIST_CHUNK, in_chunks
from marketing_agent.core.errors import NotFound
from marketing_agent.telegram.models import BotChat, InboundUpdate, Sender
from marketing_agent.telegram.schemas import SenderKind
from marketing_agent.telegram.transport import InboundEvent

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

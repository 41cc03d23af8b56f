"""Phrase lists managed by the workspace: create, rename, switch off, add and remove phrases.

Every change bumps the list's version and is written to the audit log in the same transaction.
Phrases are unique within a list by their matching form, so "free-money" and "FREE money" are
one phrase, as the matcher would treat them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from marketing_agent.compliance import service as compliance
from marketing_agent.core.errors import Conflict, NotFound, ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.safety.models import ListedPhrase, PhraseList
from marketing_agent.safety.normalise import normalise_phrase
from marketing_agent.safety.phrases import Phrase
from marketing_agent.safety.schemas import (
    PhraseCreate,
    PhraseListCreate,
    PhraseListRead,
    PhraseListUpdate,
    Severity,
)

log = get_logger(__name__)


async def list_phrase_lists(*, session: AsyncSession) -> list[PhraseListRead]:
    """Returns every phrase list with its phrase count, by name."""
    counts = (
        select(ListedPhrase.list_id, func.count().label("n"))
        .group_by(ListedPhrase.list_id)
        .subquery()
    )
    rows = await session.execute(
        select(PhraseList, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.list_id == PhraseList.id)
        .order_by(PhraseList.name)
    )
    return [_read(row, count) for row, count in rows]


async def get_phrase_list(*, session: AsyncSession, list_id: int) -> PhraseListRead:
    """Returns one list; raises NotFound."""
    row = await _get_or_raise(session, list_id)
    return _read(row, await _count(session, list_id))


async def create_phrase_list(
    *, session: AsyncSession, list_in: PhraseListCreate, actor: str
) -> PhraseListRead:
    """Creates a list with its first phrases; raises Conflict on a taken name, ValidationFailed
    naming every phrase that is empty or given twice."""
    await _ensure_name_free(session, list_in.name)
    keys = _phrase_keys(list_in.phrases)
    row = PhraseList(
        name=list_in.name,
        category=list_in.category,
        description=list_in.description,
        default_severity=list_in.default_severity,
        enabled=list_in.enabled,
        version=1,
    )
    session.add(row)
    await _flush_or_conflict(session, f"A phrase list named '{list_in.name}' already exists")
    for text, key in keys:
        session.add(
            ListedPhrase(list_id=row.id, text=text, key=key, severity=list_in.default_severity)
        )
    await session.flush()
    await _audit(session, actor, "phrase_list.created", row, {"phrases": len(keys)})
    return _read(row, len(keys))


async def update_phrase_list(
    *, session: AsyncSession, list_id: int, list_in: PhraseListUpdate, actor: str
) -> PhraseListRead:
    """Changes a list's name, category, description, default severity or state."""
    row = await _get_or_raise(session, list_id)
    changes: dict[str, Any] = {}
    for field, value in list_in.model_dump(exclude_unset=True).items():
        if value is None or getattr(row, field) == value:
            continue
        if field == "name":
            await _ensure_name_free(session, value)
        changes[field] = {"from": getattr(row, field), "to": value}
        setattr(row, field, value)
    if changes:
        row.version += 1
        await _flush_or_conflict(session, f"A phrase list named '{row.name}' already exists")
        await _audit(session, actor, "phrase_list.updated", row, {"changes": changes})
    return _read(row, await _count(session, list_id))


async def delete_phrase_list(*, session: AsyncSession, list_id: int, actor: str) -> None:
    """Deletes a list and its phrases; raises NotFound."""
    row = await _get_or_raise(session, list_id)
    count = await _count(session, list_id)
    for phrase in await session.scalars(
        select(ListedPhrase).where(ListedPhrase.list_id == list_id)
    ):
        await session.delete(phrase)
    await session.delete(row)
    await session.flush()
    await _audit(session, actor, "phrase_list.deleted", row, {"phrases": count})


async def list_phrases(*, session: AsyncSession, list_id: int) -> Sequence[ListedPhrase]:
    """Returns a list's phrases alphabetically; raises NotFound for a missing list."""
    await _get_or_raise(session, list_id)
    return (
        await session.scalars(
            select(ListedPhrase).where(ListedPhrase.list_id == list_id).order_by(ListedPhrase.text)
        )
    ).all()


async def add_phrase(
    *, session: AsyncSession, list_id: int, phrase_in: PhraseCreate, actor: str
) -> ListedPhrase:
    """Adds a phrase; raises Conflict when the list has it in any spelling matched alike."""
    row = await _get_or_raise(session, list_id)
    ((text, key),) = _phrase_keys([phrase_in.text], loc=("body", "text"))
    existing = await session.scalar(
        select(ListedPhrase.text).where(ListedPhrase.list_id == list_id, ListedPhrase.key == key)
    )
    if existing is not None:
        raise Conflict(f"'{text}' is already on the list as '{existing}'")
    phrase = ListedPhrase(
        list_id=list_id, text=text, key=key, severity=phrase_in.severity or row.default_severity
    )
    session.add(phrase)
    await _flush_or_conflict(session, f"'{text}' is already on the list")
    row.version += 1
    await session.flush()
    await _audit(
        session,
        actor,
        "phrase_list.phrase_added",
        row,
        {"phrase_id": phrase.id, "text": text, "severity": phrase.severity},
    )
    return phrase


async def remove_phrase(*, session: AsyncSession, list_id: int, phrase_id: int, actor: str) -> None:
    """Removes a phrase from a list; raises NotFound for a missing list or phrase."""
    row = await _get_or_raise(session, list_id)
    phrase = await session.get(ListedPhrase, phrase_id)
    if phrase is None or phrase.list_id != list_id:
        raise NotFound(f"Phrase {phrase_id} not found in list {list_id}")
    await session.delete(phrase)
    row.version += 1
    await session.flush()
    await _audit(
        session,
        actor,
        "phrase_list.phrase_removed",
        row,
        {"phrase_id": phrase_id, "text": phrase.text},
    )


async def enabled_phrases(*, session: AsyncSession) -> list[Phrase]:
    """Returns the phrases of every enabled list, for the content policy."""
    rows = await session.execute(
        select(ListedPhrase.text, ListedPhrase.severity, PhraseList.category)
        .join(PhraseList, PhraseList.id == ListedPhrase.list_id)
        .where(PhraseList.enabled.is_(True))
        .order_by(ListedPhrase.id)
    )
    return [Phrase(text, _severity(severity), category) for text, severity, category in rows]


def _phrase_keys(
    phrases: Sequence[str], loc: tuple[str, ...] = ("body", "phrases")
) -> list[tuple[str, str]]:
    errors = []
    seen: dict[str, int] = {}
    keys: list[tuple[str, str]] = []
    for index, raw in enumerate(phrases):
        text = " ".join(raw.split())
        key = normalise_phrase(text)
        where: list[str | int] = list(loc) if loc[-1] == "text" else [*loc, index]
        if not key or len(text) > 200:
            errors.append(field_error(where, "a phrase needs a letter or digit, at most 200"))
        elif key in seen:
            errors.append(field_error(where, f"the same phrase as number {seen[key] + 1}"))
        else:
            seen[key] = index
            keys.append((text, key))
    if errors:
        raise ValidationFailed(errors)
    return keys


async def _get_or_raise(session: AsyncSession, list_id: int) -> PhraseList:
    row = await session.get(PhraseList, list_id)
    if row is None:
        raise NotFound(f"Phrase list {list_id} not found")
    return row


async def _count(session: AsyncSession, list_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(ListedPhrase).where(ListedPhrase.list_id == list_id)
    )
    return int(count or 0)


async def _ensure_name_free(session: AsyncSession, name: str) -> None:
    if await session.scalar(select(PhraseList.id).where(PhraseList.name == name)):
        raise Conflict(f"A phrase list named '{name}' already exists")


async def _flush_or_conflict(session: AsyncSession, message: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent insert between the check and this one
        raise Conflict(message) from exc
    except StaleDataError as exc:  # deleted by another request meanwhile
        raise NotFound("The phrase list was deleted meanwhile") from exc


async def _audit(
    session: AsyncSession, actor: str, action: str, row: PhraseList, data: dict[str, Any]
) -> None:
    await compliance.audit(
        session=session,
        actor=actor,
        action=action,
        entity_type="phrase_list",
        entity_id=row.id,
        data={"name": row.name, "version": row.version, **data},
    )
    log.info(action, list_id=row.id, version=row.version)


def _read(row: PhraseList, count: int) -> PhraseListRead:
    return PhraseListRead(
        id=row.id,
        name=row.name,
        category=row.category,
        description=row.description,
        default_severity=_severity(row.default_severity),
        enabled=row.enabled,
        version=row.version,
        phrase_count=count,
        created_at=row.created_at,
    )


def _severity(value: str) -> Severity:
    if value == "info":
        return "info"
    if value == "block":
        return "block"
    return "warn"

"""The user's blacklist: terms are kept normalised, duplicates refused, every change audited."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core.errors import Conflict, NotFound
from marketing_agent.safety import service as safety
from marketing_agent.safety.schemas import BlacklistTermCreate


async def test_terms_are_added_listed_and_removed(session: AsyncSession) -> None:
    added = await safety.add_blacklist_term(
        session=session, term_in=BlacklistTermCreate(term="  Flash   SALE ", severity="block")
    )
    await safety.add_blacklist_term(session=session, term_in=BlacklistTermCreate(term="bargain"))

    listed = await safety.list_blacklist(session=session)
    await safety.remove_blacklist_term(session=session, term_id=added.id)
    after = await safety.list_blacklist(session=session)

    assert [(t.term, t.severity) for t in listed] == [("bargain", "warn"), ("flash sale", "block")]
    assert [t.term for t in after] == ["bargain"]


async def test_the_same_term_in_another_case_or_spacing_is_a_duplicate(
    session: AsyncSession,
) -> None:
    await safety.add_blacklist_term(session=session, term_in=BlacklistTermCreate(term="Act fast"))

    with pytest.raises(Conflict):
        await safety.add_blacklist_term(
            session=session, term_in=BlacklistTermCreate(term="ACT   FAST")
        )


async def test_removing_a_missing_term_says_not_found(session: AsyncSession) -> None:
    with pytest.raises(NotFound):
        await safety.remove_blacklist_term(session=session, term_id=12345)


def test_blank_terms_and_unknown_severities_are_rejected() -> None:
    with pytest.raises(ValidationError):
        BlacklistTermCreate(term="   ")
    with pytest.raises(ValidationError):
        BlacklistTermCreate(term="sale", severity="critical")  # type: ignore[arg-type]


async def test_blacklist_changes_are_audited(session: AsyncSession) -> None:
    term = await safety.add_blacklist_term(
        session=session, term_in=BlacklistTermCreate(term="bargain"), actor="user:bob"
    )
    await safety.remove_blacklist_term(session=session, term_id=term.id, actor="user:bob")

    entries, _ = await compliance.list_audit(session=session, entity_type="blacklist_term")

    assert [(e.action, e.actor) for e in reversed(entries)] == [
        ("blacklist.term_added", "user:bob"),
        ("blacklist.term_removed", "user:bob"),
    ]

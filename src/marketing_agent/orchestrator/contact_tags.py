"""Contacts' tags as rows (`orchestrator_contact_tags`), so a segment's tag rule seeks an index
instead of parsing every contact's JSON. Every writer of `Contact.tags` calls `replace_tags` in
its own transaction, set-based: one DELETE per 900 contacts (skipped for new ones) and one
executemany INSERT for the batch, so a 100,000-row import pays two statements a batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from sqlalchemy import Table, delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core.db import in_chunks
from marketing_agent.orchestrator.models import ContactTag


async def replace_tags(
    session: AsyncSession, tags_by_contact: Mapping[int, Sequence[str]], *, new: bool = False
) -> None:
    """Makes the tag rows of these contacts exactly their given tags (`new`: contacts just
    inserted, which have none yet)."""
    if not tags_by_contact:
        return
    if not new:
        for chunk in in_chunks(list(tags_by_contact)):
            await session.execute(delete(ContactTag).where(ContactTag.contact_id.in_(chunk)))
    rows = [
        {"contact_id": contact_id, "tag": tag}
        for contact_id, tags in tags_by_contact.items()
        for tag in dict.fromkeys(tags or ())
    ]
    if rows:
        await session.execute(insert(cast(Table, ContactTag.__table__)), rows)

"""The right to erasure across modules: the orchestrator owns contacts, so the flow that erases
a person lives here and asks each module to erase what it holds (compliance cannot import the
orchestrator). Its HTTP routes sit under /api/v1/compliance, where a privacy officer looks.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.suppression import SuppressionKey
from marketing_agent.core import clock
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.db import Database
from marketing_agent.core.deps import CurrentSettings, DbSession, get_database
from marketing_agent.core.errors import NotFound
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator.models import Contact, Delivery

log = get_logger(__name__)

# Stand-ins for an erased contact's deliveries lie far below any real id (SQLite reuses the
# highest id after a delete, so the old id itself must not stay behind).
_STAND_IN_BASE = 2**40


class ErasureCreate(BaseModel):
    contact_id: int = Field(gt=0)
    request_id: int | None = Field(None, gt=0, description="The data-subject request, if any.")


class ErasureResult(BaseModel):
    """What was erased: counts only, never the person's data."""

    contact_id: int
    deliveries_anonymised: int
    deliveries_stopped: int
    events_anonymised: int
    consent_records_anonymised: int
    requests_cleared: int
    suppressed: bool = True


async def erase_contact(
    *,
    session: AsyncSession,
    key: SuppressionKey,
    contact_id: int,
    actor: str,
    request_id: int | None = None,
) -> ErasureResult:
    """Erases a person everywhere, in one transaction: each module anonymises its own rows
    (aggregates survive), the contact row goes, a suppression entry keeps an import from
    re-adding them, and the audit log records the fact without the data."""
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"Contact {contact_id} does not exist.")
    await compliance.suppress(session=session, key=key, telegram_id=contact.telegram_id)
    anonymised, stopped = await _erase_deliveries(session, contact_id)
    events = await analytics.erase_contact(session=session, contact_id=contact_id)
    held = await compliance.erase_contact(session=session, contact_id=contact_id)
    # The agent keeps no transcripts and its usage rows name campaigns, never people; review
    # items are about campaigns: neither holds anything of this person.
    await session.delete(contact)
    await session.flush()
    result = ErasureResult(
        contact_id=contact_id,
        deliveries_anonymised=anonymised,
        deliveries_stopped=stopped,
        events_anonymised=events,
        consent_records_anonymised=held["consent_records"],
        requests_cleared=held["requests"],
    )
    data = result.model_dump(exclude={"contact_id"})
    if request_id is not None:
        data["request_id"] = request_id
    await compliance.audit(
        session=session,
        actor=actor,
        action="contact.erased",
        entity_type="contact",
        entity_id=contact_id,
        data=data,
    )
    log.info("contact.erased", contact_id=contact_id, events=events, deliveries=anonymised)
    return result


async def _erase_deliveries(session: AsyncSession, contact_id: int) -> tuple[int, int]:
    """Gives each delivery a random stand-in for the contact and drops the message ids; the
    ones not sent yet are skipped (the worker skips a contact it cannot find, too)."""
    rows = (await session.scalars(select(Delivery).where(Delivery.contact_id == contact_id))).all()
    stopped = 0
    now = clock.now()
    for delivery in rows:
        delivery.contact_id = -(_STAND_IN_BASE + secrets.randbelow(2**62))
        delivery.message_id = None
        if delivery.status == "queued":
            delivery.status, delivery.reason, delivery.updated_at = "skipped", "contact_erased", now
            stopped += 1
    await session.flush()
    return len(rows), stopped


# HTTP ------------------------------------------------------------------------------------------

router = APIRouter(prefix="/api/v1/compliance", tags=["compliance"])
CanWrite = Annotated[Principal, Depends(authorize(Permission.COMPLIANCE_WRITE))]


@router.post("/erasures")
async def create_erasure(
    erasure_in: ErasureCreate,
    session: DbSession,
    db: Annotated[Database, Depends(get_database)],
    settings: CurrentSettings,
    principal: CanWrite,
) -> ErasureResult:
    """Erases a contact now (GDPR art. 17, CCPA right to delete): irreversible."""
    result = await erase_contact(
        session=session,
        key=SuppressionKey.from_settings(settings),
        contact_id=erasure_in.contact_id,
        actor=principal.actor,
        request_id=erasure_in.request_id,
    )
    await session.commit()
    await flush_erased_pages(db)
    return result


async def flush_erased_pages(db: Database) -> None:
    """On SQLite, moves the write-ahead log into the file and truncates it, so the erased rows'
    old pages do not linger in the -wal file (secure_delete zeroes them in the file itself).
    Best effort: a long-running reader can hold the log; the next checkpoint then does it."""
    if not db.is_sqlite:
        return
    async with db.engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# CLI -------------------------------------------------------------------------------------------


async def erase_from_cli(settings: Settings, *, contact_id: int, actor: str) -> ErasureResult:
    """Erases a contact for `marketing-agent contacts erase` in a transaction of its own."""
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            result = await erase_contact(
                session=session,
                key=SuppressionKey.from_settings(settings),
                contact_id=contact_id,
                actor=actor,
            )
        await flush_erased_pages(db)
        return result
    finally:
        await db.dispose()

"""Retention: the purge erases contacts inactive past the rule and deletes old access exports,
and reports what it removed; nothing is purged while a rule is 0 (keep)."""

from __future__ import annotations

from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.schemas import (
    PrivacyRequestCreate,
    RequestKind,
)
from marketing_agent.compliance.suppression import SuppressionKey
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import privacy
from marketing_agent.orchestrator import service as orchestrator
from tests.factories import make_contacts, make_sender

DAY_S = 86_400
KEY = SuppressionKey.from_secrets("retention-test")


async def test_purge_erases_inactive_contacts_and_old_exports(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    sender_id = await make_sender(db)
    idle, active = await make_contacts(db, 2, sender_id=sender_id)
    async with db.session() as session:
        request = await compliance.create_request(
            session=session,
            request_in=PrivacyRequestCreate(kind=RequestKind.ACCESS, contact_id=active),
            actor="test",
        )
        await compliance.verify_request_identity(
            session=session, request_id=request.id, method="bot account", actor="test"
        )
        await privacy.complete_request(session=session, key=KEY, request_id=request.id, actor="t")
    virtual_clock.advance(60 * DAY_S)
    async with db.session() as session:  # the active one decides something later on
        await compliance.withdraw_consent(
            session=session,
            contact_id=active,
            sender_id=sender_id,
            purposes=None,
            source="telegram_stop",
            actor="test",
        )
    virtual_clock.advance(40 * DAY_S)

    keep_all = settings.model_copy(
        update={"retention_inactive_contacts_days": 0, "retention_dsr_exports_days": 0}
    )
    async with db.session() as session:
        report = await privacy.purge_expired(session=session, key=KEY, settings=keep_all)
    assert report.model_dump() == {"contacts_erased": 0, "exports_deleted": 0}

    rules = settings.model_copy(
        update={"retention_inactive_contacts_days": 90, "retention_dsr_exports_days": 30}
    )
    async with db.session() as session:
        report = await privacy.purge_expired(session=session, key=KEY, settings=rules)
    assert report.model_dump() == {"contacts_erased": 1, "exports_deleted": 1}
    async with db.session() as session:
        assert await orchestrator.get_contact(session=session, contact_id=idle) is None
        assert await orchestrator.get_contact(session=session, contact_id=active) is not None
        kept = await compliance.get_request_or_raise(session=session, request_id=request.id)
        assert kept.export is None and kept.status == "completed"
        entries, _ = await compliance.list_audit(session=session, entity_type="retention")
        assert [e.data for e in entries] == [
            {
                "contacts_erased": 1,
                "exports_deleted": 1,
                "inactive_contacts_days": 90,
                "dsr_exports_days": 30,
            }
        ]
        assert (await compliance.verify_audit_chain(session=session)).ok

"""Retention: the purge erases contacts inactive past the rule, deletes old access exports,
unlinks old events from their contacts (the figures stay), deletes old replies and the old
stored Telegram updates (the inbound log), each on its own period, and reports what it removed;
nothing is purged while a rule is 0 (keep). The strategist's chat keeps no transcript at all."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from marketing_agent.agent.models import InboxReply
from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.schemas import EventCreate
from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.schemas import (
    PrivacyRequestCreate,
    RequestKind,
)
from marketing_agent.compliance.suppression import SuppressionKey
from marketing_agent.core import clock
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import privacy
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.models import InboundUpdate
from marketing_agent.telegram.transport import InboundEvent
from tests.compliance.test_erasure import _cells
from tests.factories import database_of, headers_for, make_contacts, make_sender

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
    assert not any(report.model_dump().values())

    rules = settings.model_copy(
        update={"retention_inactive_contacts_days": 90, "retention_dsr_exports_days": 30}
    )
    async with db.session() as session:
        report = await privacy.purge_expired(session=session, key=KEY, settings=rules)
    assert (report.contacts_erased, report.exports_deleted) == (1, 1)
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
                "events_anonymised": 0,
                "replies_deleted": 0,
                "inbound_updates_deleted": 0,
                "inactive_contacts_days": 90,
                "dsr_exports_days": 30,
                "events_days": 0,
                "replies_days": 0,
                "inbound_log_days": 30,
            }
        ]
        assert (await compliance.verify_audit_chain(session=session)).ok


async def test_events_are_unlinked_and_replies_deleted_on_their_own_periods_figures_kept(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    sender_id = await make_sender(db)
    old_reader, new_reader = await make_contacts(db, 2, sender_id=sender_id)

    async def events(contact_id: int, campaign_id: int) -> None:
        async with db.session() as session:
            await analytics.record_events(
                session=session,
                events=[
                    EventCreate(
                        type=kind,
                        campaign_id=campaign_id,
                        variant_key="A",
                        contact_id=contact_id,
                        sender_id=sender_id,
                    )
                    for kind in ("sent", "read")
                ],
            )
            session.add(
                InboxReply(
                    contact_id=contact_id,
                    sender_id=sender_id,
                    chat_id=contact_id,
                    text="Do the boots come in 44?",
                    intent="question",
                    language="en",
                    status="open",
                    received_at=clock.now(),
                )
            )

    await events(old_reader, 1)
    virtual_clock.advance(100 * DAY_S)
    await events(new_reader, 2)
    async with db.session() as session:
        before = await analytics.campaign_stats(session=session, campaign_id=1)
    virtual_clock.advance(DAY_S)

    rules = settings.model_copy(
        update={
            "retention_events_days": 90,
            "retention_replies_days": 30,
            "retention_dsr_exports_days": 0,
        }
    )
    async with db.session() as session:
        report = await privacy.purge_expired(session=session, key=KEY, settings=rules)

    assert report.events_anonymised == 2 and report.replies_deleted == 1
    assert report.contacts_erased == 0
    async with db.session() as session:
        assert await analytics.contact_events(session=session, contact_id=old_reader) == []
        assert len(await analytics.contact_events(session=session, contact_id=new_reader)) == 2
        after = await analytics.campaign_stats(session=session, campaign_id=1)
        assert after.model_dump() == before.model_dump()  # the campaign's figures stay
        replies = (await session.scalars(select(InboxReply.contact_id))).all()
        assert replies == [new_reader]
        entries, _ = await compliance.list_audit(session=session, entity_type="retention")
        assert entries[0].data["events_anonymised"] == 2
        assert entries[0].data["replies_deleted"] == 1
        assert (entries[0].data["events_days"], entries[0].data["replies_days"]) == (90, 30)
        assert (await compliance.verify_audit_chain(session=session)).ok


async def test_the_inbound_log_is_deleted_after_its_period_an_update_still_to_apply_stays(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    sender_id = await make_sender(db)

    def said(update_id: int, text: str) -> InboundEvent:
        return InboundEvent(
            kind="message",
            chat_id=5550000 + update_id,
            occurred_at=clock.now(),
            text=text,
            update_id=update_id,
        )

    async def store(*events: InboundEvent) -> None:
        async with db.session() as session:
            await telegram.store_inbound(session=session, sender_id=sender_id, events=events)

    async def apply(*update_ids: int) -> None:
        async with db.session() as session:
            ids = list(
                await session.scalars(
                    select(InboundUpdate.id).where(InboundUpdate.update_id.in_(update_ids))
                )
            )
            await telegram.claim_inbound(session=session, limit=10, update_ids=ids)

    await store(said(1, "old and applied"), said(2, "old, failed too often"), said(3, "old, due"))
    await apply(1)
    async with db.session() as session:
        [failing] = await session.scalars(
            select(InboundUpdate.id).where(InboundUpdate.update_id == 2)
        )
        for _ in range(telegram.INBOUND_MAX_FAILURES):
            await telegram.record_inbound_failure(session=session, update_id=failing, error="x")
    virtual_clock.advance(31 * DAY_S)
    await store(said(4, "new and applied"))
    await apply(4)

    keep = settings.model_copy(update={"retention_inbound_log_days": 0})
    async with db.session() as session:
        assert (await privacy.purge_expired(session=session, key=KEY, settings=keep)) == (
            privacy.RetentionReport()
        )
    rules = settings.model_copy(update={"retention_inbound_log_days": 30})
    async with db.session() as session:
        report = await privacy.purge_expired(session=session, key=KEY, settings=rules)

    assert report.inbound_updates_deleted == 2
    async with db.session() as session:
        left = (await session.scalars(select(InboundUpdate.update_id))).all()
        entries, _ = await compliance.list_audit(session=session, entity_type="retention")
    assert sorted(left) == [3, 4]  # the one still to be applied, and the recent one
    assert entries[0].data["inbound_updates_deleted"] == 2
    assert entries[0].data["inbound_log_days"] == 30


async def test_the_strategists_chat_keeps_no_transcript(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    question = "Which campaign did Zebulon Quartermaine like best?"
    answered = await client.post(
        "/api/v1/agent/chat",
        json={"messages": [{"role": "user", "content": question}]},
        headers=headers,
    )

    assert answered.status_code == 200, answered.text
    stored = [cell for cell in await _cells(db) if "zebulon" in cell[2]]
    assert stored == []  # the turns live in the browser; the server kept tokens and cost only

"""Invariant 1: a message goes only to a contact whose consent is in force at send time."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.compliance import service as compliance
from marketing_agent.orchestrator import flows, scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.worker import DeliveryWorker
from tests.factories import (
    database_of,
    headers_for,
    make_contacts,
    make_sender,
    runtime_of,
    simulator_of,
    transports_of,
)
from tests.orchestrator.test_flows import SAFE, create, run_until_idle


async def test_contact_without_consent_is_skipped_with_the_reason(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 3, sender_id=sender_id)
    await make_contacts(db, 2, sender_id=None)
    headers = await headers_for(client, db)
    campaign = await create(client, headers, name="Gate", goal="Boots", variants=SAFE)
    await client.post(f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers)
    await run_until_idle(db)

    skipped = (
        await client.get(
            f"/api/v1/orchestrator/campaigns/{campaign['id']}/deliveries?status=skipped",
            headers=headers,
        )
    ).json()
    assert skipped["total"] == 2
    assert {d["reason"] for d in skipped["items"]} == {"no_consent"}
    final = (
        await client.get(f"/api/v1/orchestrator/campaigns/{campaign['id']}", headers=headers)
    ).json()
    assert final["delivery_counts"]["sent"] == 3
    # The worker's decision not to send is in the audit log: which deliveries, and why.
    audit = (
        await client.get(
            "/api/v1/compliance/audit",
            params={"action": "deliveries.not_sent", "entity_id": str(campaign["id"])},
            headers=headers,
        )
    ).json()
    decided = [entry["data"]["skipped"] for entry in audit["items"]]
    assert sorted(i for reasons in decided for i in reasons["no_consent"]) == sorted(
        d["id"] for d in skipped["items"]
    )
    assert all(entry["actor"].startswith("worker:") for entry in audit["items"])


async def test_withdrawn_consent_blocks_send_already_queued(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    contact_ids = await make_contacts(db, 4, sender_id=sender_id)
    headers = await headers_for(client, db)
    campaign = await create(client, headers, name="Gate", goal="Boots", variants=SAFE)
    await client.post(f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers)
    async with db.session() as session:  # the audience is built: four queued deliveries
        await flows.start_due_campaigns(session=session)
    async with db.session() as session:  # ...then one person sends /stop
        await compliance.withdraw_consent(
            session=session,
            contact_id=contact_ids[0],
            sender_id=sender_id,
            purposes=None,
            source="telegram_stop",
            actor="test",
        )
    await run_until_idle(db)

    async with db.session() as session:
        rows, _ = await orchestrator.list_deliveries(session=session, campaign_id=campaign["id"])
    by_contact = {d.contact_id: (d.status, d.reason) for d in rows}
    assert by_contact[contact_ids[0]] == ("skipped", "no_consent")
    assert [by_contact[c][0] for c in contact_ids[1:]] == ["sent"] * 3


async def test_second_worker_run_sends_nothing_twice(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 30, sender_id=sender_id)
    headers = await headers_for(client, db)
    campaign = await create(client, headers, name="Once", goal="Boots", variants=SAFE)
    await client.post(f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers)
    await run_until_idle(db)

    received_before = (await simulator_of(db, sender_id)).stats.sent
    assert received_before == 30

    assert await DeliveryWorker(db, transports=transports_of(db)).run_once() == 0
    await scheduled.tick(runtime_of(db))
    assert (await simulator_of(db, sender_id)).stats.sent == received_before
    async with db.session() as session:
        rows, total = await orchestrator.list_deliveries(
            session=session, campaign_id=campaign["id"]
        )
    assert total == 30 and all(d.status == "sent" for d in rows)
    assert len({d.message_id for d in rows}) == 30


async def test_stop_arriving_after_the_claim_is_honoured_before_the_send(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    """A chunk is claimed (and consent checked) while the previous one is still sending; a STOP
    in between must still stop that person's message."""
    db = database_of(app)
    sender_id = await make_sender(db)
    contact_ids = await make_contacts(db, 3, sender_id=sender_id)
    headers = await headers_for(client, db)
    campaign = await create(client, headers, name="Race", goal="Boots", variants=SAFE)
    await client.post(f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers)
    async with db.session() as session:
        await flows.start_due_campaigns(session=session)
    worker = DeliveryWorker(db, transports=transports_of(db))
    chunk = await worker._process_chunk(campaign["id"])  # claimed, consent checked
    assert chunk is not None and len(chunk.sends) == 3
    async with db.session() as session:  # ...and then the person sends STOP
        await compliance.withdraw_consent(
            session=session,
            contact_id=contact_ids[1],
            sender_id=sender_id,
            purposes=None,
            source="telegram_stop",
            actor="test",
        )
    await worker._send_chunk(chunk)
    await worker._record_chunk(chunk)

    async with db.session() as session:
        rows, _ = await orchestrator.list_deliveries(session=session, campaign_id=campaign["id"])
    by_contact = {d.contact_id: (d.status, d.reason) for d in rows}
    assert by_contact[contact_ids[1]] == ("skipped", "no_consent")
    assert by_contact[contact_ids[0]][0] == by_contact[contact_ids[2]][0] == "sent"
    received = (await simulator_of(db, sender_id)).stats.received
    assert len(received) == 2

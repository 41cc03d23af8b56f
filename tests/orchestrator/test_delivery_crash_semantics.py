"""Invariant 2 under crashes: a worker that dies at any point and is replaced never sends a message
twice and never drops a recipient; what cannot be known (a Bot API send caught mid-flight) is
`in_doubt`, counted and shown, and resent only when an operator re-drives it."""

from __future__ import annotations

import asyncio
import functools

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from marketing_agent.core import clock
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows, queue
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.worker import DeliveryWorker, journal_group_size
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.profiles import PROFILES
from marketing_agent.telegram.schemas import SenderCreate, SenderKind, TransportKind
from marketing_agent.telegram.simulator import (
    BehaviourModel,
    RecipientBehaviour,
    TelegramSimulator,
)
from marketing_agent.telegram.transport import OutgoingMessage, SendOutcome
from tests.factories import (
    DiesAfter,
    WorkerKilled,
    counts,
    database_of,
    drain,
    headers_for,
    make_contacts,
    make_sender,
    simulator_of,
    start_campaign,
    transports_of,
)

LEASE_S = 30.0
QUIET = BehaviourModel(default=RecipientBehaviour(read_p=0.0))


async def _kill_worker_after(db: Database, sends: int, inner: object) -> DiesAfter:
    """Runs a worker that dies after `sends` sends, and lets its stray tasks settle."""
    dying = DiesAfter(inner, sends=sends)  # type: ignore[arg-type]
    worker = DeliveryWorker(
        db, transports=transports_of(db), send=dying, lease_s=LEASE_S, batch_size=25
    )
    with pytest.raises(WorkerKilled):
        await worker.run_once()
    await asyncio.sleep(0.3)  # what was already in flight in the dead process ends
    return dying


@pytest.mark.parametrize("sends_before_kill", [0, 7, 25, 31])
async def test_killed_worker_is_replaced_and_every_recipient_gets_exactly_one_message(
    any_db: Database, settings: Settings, virtual_clock: VirtualClock, sends_before_kill: int
) -> None:
    db = any_db
    sender_id = await make_sender(db)
    await make_contacts(db, 60, sender_id=sender_id)
    campaign_id = await start_campaign(db, settings, sender_id=sender_id)

    send = functools.partial(telegram.send_message, transports=transports_of(db))
    dying = await _kill_worker_after(db, sends_before_kill, send)
    stuck = await counts(db, campaign_id)
    assert stuck.sending > 0  # claimed, maybe sent, never recorded
    sent_unrecorded = dying.made - stuck.sent
    assert sent_unrecorded == sends_before_kill % 25  # the sends of the chunk it died in

    virtual_clock.advance(LEASE_S + 1)  # the dead worker's lease runs out
    await drain(db)

    simulator = await simulator_of(any_db, sender_id)
    final = await counts(db, campaign_id)
    assert final.sent == 60 and final.sending == final.queued == final.in_doubt == 0
    assert len(simulator.stats.received) == 60
    assert simulator.stats.max_received == 1  # nobody got a message twice
    # The sends the dead worker made but never recorded were retried with the same random_id
    # and delivered nothing new.
    assert simulator.stats.deduplicated == sent_unrecorded
    async with db.session() as session:
        rows, _ = await orchestrator.list_deliveries(
            session=session, campaign_id=campaign_id, limit=100
        )
    assert len({d.random_id for d in rows}) == 60


async def _bot_api_sender(db: Database) -> int:
    async with db.session() as session:
        sender = await telegram.create_sender(
            session=session,
            sender_in=SenderCreate(
                name="Shop bot",
                kind=SenderKind.BOT,
                transport=TransportKind.BOTAPI,
                profile="bot",
                secret=SecretStr("123456:bot-token"),
            ),
            secret_box=SecretBox("test-secret-key-" + "x" * 32),
        )
        return sender.id


async def test_bot_api_send_caught_by_a_crash_is_in_doubt_until_an_operator_redrives_it(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    sender_id = await _bot_api_sender(db)
    await make_contacts(db, 40, sender_id=sender_id)
    campaign_id = await start_campaign(db, settings, sender_id=sender_id)
    # Telegram as the bot sees it; the Bot API has no idempotency key, so the engine must not
    # count on this simulator's deduplication.
    telegram_side = TelegramSimulator(PROFILES["bot"], QUIET)

    async def bot_api(
        *, sender_id: int, profile_name: str, message: OutgoingMessage
    ) -> SendOutcome:
        return await telegram_side.send(message)

    await _kill_worker_after(db, 10, bot_api)
    virtual_clock.advance(LEASE_S + 1)
    await drain(db, DeliveryWorker(db, transports=transports_of(db), send=bot_api))
    async with db.session() as session:
        await flows.complete_finished_campaigns(session=session)

    headers = await headers_for(client, db)
    campaign = (
        await client.get(f"/api/v1/orchestrator/campaigns/{campaign_id}", headers=headers)
    ).json()
    doubt = campaign["delivery_counts"]["in_doubt"]
    sent = campaign["delivery_counts"]["sent"]
    # Only the rows whose request may have left when the worker died are in doubt (the one group
    # journaled as attempted), not the whole chunk claimed: the others were queued again and sent.
    assert 0 < doubt <= journal_group_size(PROFILES["bot"])  # never silent, nor more than a group
    assert sent + doubt == 40
    assert 0 < telegram_side.stats.sent - sent <= doubt  # the in-doubt rows that did arrive
    assert campaign["status"] == "completed"
    assert campaign["needs_attention"] is True
    assert f"{doubt} deliveries in doubt" in campaign["attention_reason"]
    listed = (
        await client.get(
            "/api/v1/orchestrator/deliveries",
            params={"state": "in_doubt", "campaign_id": campaign_id},
            headers=headers,
        )
    ).json()
    assert listed["total"] == doubt
    assert {d["reason"] for d in listed["items"]} == {"worker_lost_mid_send"}

    redriven = await client.post(
        f"/api/v1/orchestrator/campaigns/{campaign_id}/redrive",
        json={"dead": False, "in_doubt": True},
        headers=headers,
    )
    assert redriven.status_code == 200, redriven.text
    assert redriven.json() == {
        "campaign_id": campaign_id,
        "requeued": doubt,
        "dead": 0,
        "in_doubt": doubt,
    }
    await drain(db, DeliveryWorker(db, transports=transports_of(db), send=bot_api))
    final = await counts(db, campaign_id)
    assert final.sent == 40 and final.in_doubt == 0
    settled = (
        await client.get(f"/api/v1/orchestrator/campaigns/{campaign_id}", headers=headers)
    ).json()
    assert (settled["needs_attention"], settled["attention_reason"]) == (False, None)
    audit = (
        await client.get(
            "/api/v1/compliance/audit",
            params={"entity_type": "campaign", "entity_id": str(campaign_id)},
            headers=headers,
        )
    ).json()
    assert "campaign.redriven" in {e["action"] for e in audit["items"]}


async def test_transient_failures_back_off_then_dead_letter_and_a_redrive_sends_them(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 5, sender_id=sender_id)
    transports_of(db).configure_simulator(sender_id, transient_failure_p=1.0)
    campaign_id = await start_campaign(db, settings, sender_id=sender_id)

    worker = DeliveryWorker(db, transports=transports_of(db))
    retry_times = []
    for _ in range(10):
        await worker.run_once()
        async with db.session() as session:
            rows, _ = await orchestrator.list_deliveries(session=session, campaign_id=campaign_id)
        retry_times += [d.updated_at for d in rows if d.status == "queued"]
        virtual_clock.advance(400)  # past the longest backoff
    final = await counts(db, campaign_id)
    assert final.dead == 5 and final.sent == 0
    assert len(retry_times) == 5 * 4  # four retries each, then the fifth failure dead-letters

    headers = await headers_for(client, db)
    dead = (
        await client.get(
            "/api/v1/orchestrator/deliveries", params={"state": "dead"}, headers=headers
        )
    ).json()
    assert dead["total"] == 5
    assert all(d["attempts"] == 5 and "timeout" in d["reason"] for d in dead["items"])

    transports_of(db).configure_simulator(sender_id, transient_failure_p=0.0)
    response = await client.post(
        f"/api/v1/orchestrator/campaigns/{campaign_id}/redrive", json={}, headers=headers
    )
    assert response.json()["dead"] == 5
    await drain(db, worker)
    assert (await counts(db, campaign_id)).sent == 5


async def test_backoff_grows_exponentially_with_jitter(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    from marketing_agent.orchestrator.queue import retry_later

    now = virtual_clock.now()
    delays = [
        [(retry_later(a, reason="timeout", now=now)["not_before"] - now).total_seconds()]
        for a in range(1, 5)
    ]
    for attempt, (delay,) in enumerate(delays, start=1):
        backoff = 2.0 * 2 ** (attempt - 1)
        assert backoff / 2 <= delay <= backoff
    spread = {retry_later(3, reason="x", now=now)["not_before"] for _ in range(20)}
    assert len(spread) > 1  # jittered: retries of a burst do not line up
    assert retry_later(5, reason="timeout", now=now)["status"] == "dead"


async def test_flood_wait_pauses_the_sender_and_is_remembered_but_one_lowers_no_rate(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    from marketing_agent.safety import service as safety

    sender_id = await make_sender(db)
    contact_ids = await make_contacts(db, 3, sender_id=sender_id)
    campaign_id = await start_campaign(db, settings, sender_id=sender_id)
    async with db.session() as session:
        first = await orchestrator.get_contact(session=session, contact_id=contact_ids[0])
    assert first is not None
    # Someone else used the bot a moment ago: our limiter cannot know, Telegram answers FloodWait.
    simulator = await simulator_of(db, sender_id)
    await simulator.send(OutgoingMessage(chat_id=first.telegram_id, text="Order shipped"))

    await drain(db)
    virtual_clock.advance(2)
    await drain(db)

    assert simulator.stats.flood_waits == 1
    assert (await counts(db, campaign_id)).sent == 3
    assert simulator.stats.max_received == 2  # the outside message and ours, not a third
    async with db.session() as session:
        learned = await safety.load_learned_rate(session=session, sender_id=sender_id)
    assert learned is not None
    # Stored for the sender: a second FloodWait within minutes would lower its rate.
    assert learned.flood_waits == 1 and learned.share == 1.0 and learned.learned_at is not None


async def test_a_group_contact_is_sent_as_a_group_chat(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    from marketing_agent.orchestrator.models import Contact

    sender_id = await make_sender(db)
    async with db.session() as session:
        group = Contact(telegram_id=-1001234567890, first_name="Boot lovers", tags=[])
        session.add(group)
        await session.flush()
        from tests.factories import grant_consent

        await grant_consent(session, group.id, sender_id, "marketing")
    campaign_id = await start_campaign(db, settings, sender_id=sender_id)
    await drain(db)

    assert (await counts(db, campaign_id)).sent == 1
    assert (await simulator_of(db, sender_id)).stats.max_group_per_min == 1


async def test_a_stalled_workers_send_after_its_row_was_dead_lettered_is_recorded_as_sent(
    any_db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    """On a loaded machine a live worker can miss its lease renewals: after the fifth loss in a
    row recovery dead-letters the row, yet the worker that held it last may still send it. What
    it then records is the truth the campaign shows (sent, not dead)."""
    db = any_db
    sender_id = await make_sender(db)
    await make_contacts(db, 1, sender_id=sender_id)
    campaign_id = await start_campaign(db, settings, sender_id=sender_id)

    for attempt in range(1, queue.MAX_ATTEMPTS + 1):
        async with db.session() as session:
            (held,) = await queue.claim(
                session,
                campaign_id=campaign_id,
                worker_id=f"w{attempt}",
                limit=10,
                lease_s=LEASE_S,
                now=clock.now(),
            )
        virtual_clock.advance(LEASE_S + 1)  # the worker stalls past its lease
        async with db.session() as session:
            await queue.recover_expired(session, now=clock.now(), idempotent_senders={sender_id})
    lost = await counts(db, campaign_id)
    assert (lost.dead, lost.queued, held.attempts) == (1, 0, queue.MAX_ATTEMPTS)

    async with db.session() as session:
        written = await queue.record(
            session,
            worker_id=f"w{queue.MAX_ATTEMPTS - 1}",  # an earlier worker knows nothing now
            outcomes=queue.Outcomes(sent=[(held.id, 7)]),
            now=clock.now(),
        )
        assert written == 0
        written = await queue.record(
            session,
            worker_id=f"w{queue.MAX_ATTEMPTS}",
            outcomes=queue.Outcomes(sent=[(held.id, 8)]),
            now=clock.now(),
        )
    final = await counts(db, campaign_id)
    assert written == 1 and (final.sent, final.dead) == (1, 0)

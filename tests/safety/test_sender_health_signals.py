"""Account health, continued: replies that call the messages spam count against the sender,
the senders' health is in the Prometheus metrics, and a cooled-down sender sends again on its
own when the cool-down ends (the real worker on the simulator, on a virtual clock)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core import clock
from marketing_agent.core.clock import VirtualClock
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import ContactCreate
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.safety import health
from marketing_agent.safety import service as safety
from marketing_agent.safety.complaints import spam_complaint_in
from marketing_agent.telegram.transport import InboundEvent
from tests.factories import (
    counts,
    database_of,
    drain,
    grant_consent,
    headers_for,
    make_contacts,
    make_sender,
    runtime_of,
    transports_of,
)
from tests.orchestrator.test_flows import SAFE, create

SPAM_LIKE = [
    "SPAM!!! stop it",
    "Stop spamming me",
    "you spammers",
    "I reported you to Telegram",
    "I'll report this",
    "Это спам, хватит",
    "Я пожаловался на вас",
    "Esto es spam",
    "Te he denunciado",
    "Das ist Spam, ich habe euch gemeldet",
    "Je vous ai signalé",
    "Vou denunciar vocês",
]
ORDINARY = [
    "Thanks, how much are the boots?",
    "Can you send me the report on sizes?",
    "Stop",  # an opt-out: counted as one, not as a complaint
    "Spain sounds great",
    "¿Tienen envío a Madrid?",
    "Danke, ich melde mich morgen",
    "Je vous signale que mon adresse a changé",
]


@pytest.mark.parametrize("text", SPAM_LIKE)
def test_a_reply_calling_the_messages_spam_is_a_complaint(text: str) -> None:
    assert spam_complaint_in(text) is not None


@pytest.mark.parametrize("text", ORDINARY)
def test_an_ordinary_reply_is_no_complaint(text: str) -> None:
    assert spam_complaint_in(text) is None


def _figures(**kw: int) -> health.HealthFigures:
    base = dict(
        sent=1000, flood_waits=0, peer_floods=0, blocked=0, failed=0, opt_outs=0, sent_today=0
    )
    return health.HealthFigures(**(base | kw))


def test_spam_like_replies_lower_the_score_and_ten_in_a_thousand_rest_the_sender() -> None:
    now = clock.now()
    few = health.judge(_figures(spam_replies=2), user_account=False, now=now)
    many = health.judge(_figures(spam_replies=10), user_account=False, now=now)
    assert (few.score, few.cooldown_reason) == (94, None)
    assert many.cooldown_reason == "10 spam-like replies per 1000 messages"
    assert many.cooldown_for == timedelta(hours=6)


async def test_a_reply_calling_it_spam_counts_in_the_senders_health(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    async with db.session() as session:
        contact = await orchestrator.create_contact(
            session=session, contact_in=ContactCreate(telegram_id=7_300_001, first_name="Ana")
        )
        await grant_consent(session, contact.id, sender_id, "marketing")
    for text in ("How much are they?", "Stop spamming me, I reported you"):
        event = InboundEvent(kind="reply", chat_id=7_300_001, occurred_at=clock.now(), text=text)
        async with db.session() as session:
            await flows.handle_inbound(session=session, sender_id=sender_id, events=[event])

    headers = await headers_for(client, db)
    read = (await client.get(f"/api/v1/safety/sender-health/{sender_id}", headers=headers)).json()
    assert (read["spam_replies"], read["sent"]) == (1, 0)


async def test_the_metrics_show_each_senders_score_cool_down_and_flood_waits(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)

    async def value(name: str) -> float:
        text = (await client.get("/metrics")).text
        found = re.search(rf'^{name}{{sender_id="{sender_id}"}} (\S+)$', text, re.MULTILINE)
        assert found, f"{name} of sender {sender_id} missing"
        return float(found.group(1))

    assert (await value("ma_sender_health_score"), await value("ma_sender_cooling_down")) == (
        100.0,
        0.0,
    )
    async with db.session() as session:
        await safety.record_send_outcomes(
            session=session,
            sender_id=sender_id,
            profile_name="bot",
            tally=health.SendTally(sent=5, flood_waits=1, peer_floods=1),
        )

    assert await value("ma_sender_cooling_down") == 1.0
    assert await value("ma_sender_health_score") == 57.0  # 100 - 40 (PEER_FLOOD) - 3
    assert await value("ma_sender_flood_waits_24h") == 1.0


async def test_a_cooled_down_sender_sends_again_on_its_own_when_the_cool_down_ends(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 4, sender_id=sender_id)
    headers = await headers_for(client, db)
    async with db.session() as session:  # earlier today: 60 of 200 people blocked the bot
        await safety.record_send_outcomes(
            session=session,
            sender_id=sender_id,
            profile_name="bot",
            tally=health.SendTally(sent=140, blocked=60),
        )
    campaign = await create(client, headers, name="Boots", goal="Boots", variants=SAFE)
    await client.post(f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers)
    async with db.session() as session:
        await flows.start_due_campaigns(session=session)
    worker = DeliveryWorker(db, transports=transports_of(db), limits=runtime_of(db).limits)
    read = (await client.get(f"/api/v1/safety/sender-health/{sender_id}", headers=headers)).json()
    until = read["cooldown_until"]
    assert read["cooling_down"] is True and until is not None

    virtual_clock.advance(timedelta(hours=6).total_seconds() - 60)  # a minute before the end
    await drain(db, worker, rounds=5)
    assert (await counts(db, campaign["id"])).queued == 4

    virtual_clock.advance(120)  # the cool-down is over: nobody resumes it by hand
    await drain(db, worker, rounds=10)
    assert (await counts(db, campaign["id"])).sent == 4
    read = (await client.get(f"/api/v1/safety/sender-health/{sender_id}", headers=headers)).json()
    # What caused the cool-down is not counted again: the sender stays out of it.
    assert (read["cooling_down"], read["blocked"]) == (False, 0)

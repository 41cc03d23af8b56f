"""Consent through the bot, end to end: simulated people talk over HTTP to a simulated Bot API;
the real app, scheduler and worker run the conversation, the campaigns and the consent gate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core.db import Database
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import ContactCreate
from marketing_agent.telegram import consent_bot
from tests.factories import database_of, grant_consent, headers_for, runtime_of
from tests.orchestrator.test_flows import SAFE, create, run_until_idle
from tests.telegram.bot_api_server import People
from tests.waits import wait_until

OPT_IN = "Get our boots news and offers on Telegram, at most twice a week. Send STOP to end it."


async def add_bot(
    client: httpx.AsyncClient, headers: dict[str, str], people: People, **settings: Any
) -> dict[str, Any]:
    """Adds the simulated bot as a sender through the API."""
    body = {
        "name": f"Shop bot {people.bot.username}",
        "transport": "botapi",
        "secret": people.bot.token,
        "bot_api_url": people.server_url,
        **settings,
    }
    response = await client.post("/api/v1/telegram/senders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    sender: dict[str, Any] = response.json()
    return sender


async def pull_until(db: Database, done: Callable[[], Awaitable[bool]]) -> None:
    """Runs the scheduler's inbound pull (long polling underneath) until `done()` holds."""

    async def pulled() -> bool:
        await scheduled.pull_inbound(runtime_of(db))
        return await done()

    await wait_until(pulled, timeout_s=30, what="the bot's answer", interval_s=0.03)


def received_text(people: People, chat_id: int, fragment: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return any(fragment in m["text"] for m in await people.received(chat_id))

    return check


async def consent_of(db: Database, telegram_id: int, sender_id: int) -> bool | None:
    """Returns whether the person's consent is in force (None: no contact)."""
    async with db.session() as session:
        contact = await orchestrator.get_contact_by_telegram_id(
            session=session, telegram_id=telegram_id
        )
        if contact is None:
            return None
        return await compliance.has_consent(
            session=session, contact_id=contact.id, sender_id=sender_id, purpose="marketing"
        )


async def run_campaign(
    client: httpx.AsyncClient, headers: dict[str, str], db: Database, sender_id: int, name: str
) -> int:
    campaign = await create(
        client, headers, name=name, goal="Boots", variants=SAFE, sender_id=sender_id
    )
    submitted = await client.post(
        f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers
    )
    assert submitted.status_code == 200, submitted.text

    # The bot's answer to the person may be under a second old: Telegram's one message a
    # second per chat then holds the campaign's message back (a FloodWait) until it is.
    async def finished() -> bool:
        await run_until_idle(db)
        async with db.session() as session:
            deliveries, _ = await orchestrator.list_deliveries(
                session=session, campaign_id=campaign["id"]
            )
        return all(d.status not in ("queued", "sending") for d in deliveries)

    await wait_until(finished, timeout_s=30, what="the campaign finished", interval_s=0.1)
    return int(campaign["id"])


async def test_double_opt_in_then_a_campaign_then_stop_then_a_campaign_that_skips_them(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people, double_opt_in=True, opt_in_text=OPT_IN)
    person = 424242
    await scheduled.pull_inbound(runtime_of(db))  # the scheduler starts long polling the bot

    # 1. The deep link: /start shop_footer. Double opt-in: the bot asks, nothing is kept yet.
    await people.says(person, "/start shop_footer", first_name="Ann", username="ann_k")
    await pull_until(db, received_text(people, person, OPT_IN))
    [prompt] = await people.received(person)
    assert prompt["reply_markup"] == {
        "inline_keyboard": [[{"text": "Yes, subscribe", "callback_data": "optin:shop_footer"}]]
    }
    assert await consent_of(db, person, sender["id"]) is None  # no contact, no consent

    # 2. The press records consent, with its proof, and the bot confirms.
    await people.presses(person, "optin:shop_footer", first_name="Ann", username="ann_k")
    await pull_until(db, received_text(people, person, "You're subscribed"))
    async with db.session() as session:
        contact = await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=person)
        assert contact is not None
        [consent] = await compliance.consent_history(session=session, contact_id=contact.id)
    assert (contact.first_name, contact.username, contact.attributes) == (
        "Ann",
        "ann_k",
        {"opt_in_source": "shop_footer"},
    )
    assert (consent.status, consent.source, consent.sender_id) == (
        "granted",
        "bot:shop_footer",
        sender["id"],
    )
    proof = consent.proof
    assert proof["bot"] == f"@{people.bot.username}" and proof["source"] == "shop_footer"
    assert proof["method"] == "double_opt_in" and proof["opt_in_text"] == OPT_IN
    assert (
        proof["prompt_message_id"] == prompt["message_id"] and proof["telegram_user_id"] == person
    )
    assert proof["at"] and proof["recorded_at"]

    # 3. A campaign reaches them.
    first = await run_campaign(client, headers, db, sender["id"], "Winter boots")
    async with db.session() as session:
        [delivery], _ = await orchestrator.list_deliveries(session=session, campaign_id=first)
    assert delivery.status == "sent"
    assert any(
        "boots" in m["text"] and m["message_id"] == delivery.message_id
        for m in await people.received(person)
    )

    # 4. STOP withdraws consent at once, the bot confirms, and the event is recorded.
    await people.says(person, "STOP")
    await pull_until(db, received_text(people, person, "You're unsubscribed"))
    assert await consent_of(db, person, sender["id"]) is False
    async with db.session() as session:  # attributed to the campaign it answers
        stats = await analytics.campaign_stats(session=session, campaign_id=first)
    assert (stats.totals.sent, stats.totals.unsubscribed) == (1, 1)

    # 5. A later campaign skips them for want of consent.
    before = len(await people.received(person))
    second = await run_campaign(client, headers, db, sender["id"], "Spring boots")
    async with db.session() as session:
        [skipped], _ = await orchestrator.list_deliveries(session=session, campaign_id=second)
    assert (skipped.status, skipped.reason) == ("skipped", "no_consent")
    assert len(await people.received(person)) == before


async def test_single_opt_in_records_consent_on_start_once_and_the_button_withdraws_it(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people, opt_in_text=OPT_IN)
    person = 515151
    await scheduled.pull_inbound(runtime_of(db))

    await people.says(person, "/start")
    await pull_until(db, received_text(people, person, "You're subscribed"))
    await people.says(person, "/start")
    await pull_until(db, received_text(people, person, "already subscribed"))
    welcome, again = await people.received(person)
    assert welcome["text"].startswith(OPT_IN)  # single opt-in: the terms come with the welcome
    async with db.session() as session:
        contact = await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=person)
        assert contact is not None
        [consent] = await compliance.consent_history(session=session, contact_id=contact.id)
    assert (consent.proof["method"], consent.proof["source"]) == ("single_opt_in", "direct")
    assert (consent.proof["opt_in_text"], consent.proof["action"]) == (OPT_IN, "/start")

    await people.presses(person, consent_bot.OPT_OUT_DATA, message_id=again["message_id"])
    await pull_until(db, received_text(people, person, "You're unsubscribed"))
    assert await consent_of(db, person, sender["id"]) is False
    async with db.session() as session:
        history = await compliance.consent_history(session=session, contact_id=contact.id)
    assert [(c.status, c.proof.get("button")) for c in history] == [
        ("granted", None),
        ("withdrawn", "optout"),
    ]


async def test_a_reply_to_a_campaign_is_attributed_to_it(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people)
    person = 616161
    async with db.session() as session:  # subscribed earlier
        contact = await orchestrator.create_contact(
            session=session, contact_in=ContactCreate(telegram_id=person, first_name="Eve")
        )
        await grant_consent(session, contact.id, sender["id"], "marketing")
    await people.started(person)  # when Eve subscribed
    await scheduled.pull_inbound(runtime_of(db))
    campaign = await run_campaign(client, headers, db, sender["id"], "Boots")

    await people.says(person, "How much are the black ones?")

    async def replied() -> bool:
        async with db.session() as session:
            stats = await analytics.campaign_stats(session=session, campaign_id=campaign)
        return stats.totals.replied == 1

    await pull_until(db, replied)

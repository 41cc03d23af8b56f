"""Consent from a join request, through the simulated Bot API: a person asks to join the bot's
channel through a named invite link, their consent is recorded with the join request as
evidence (the chat, the link, Telegram's time of the request) shown by the consent history API,
the bot confirms in their private chat and only then approves the request (Telegram lets a bot
write to a requester who never started it only until the request is processed, which the
simulator enforces); with double opt-in it asks, lets them in, and records consent only on the
press. By webhook too: the webhook's answer approves nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import uvicorn
from fastapi import FastAPI

from marketing_agent.compliance import service as compliance
from marketing_agent.core.auth import Role
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.telegram import botapi
from marketing_agent.telegram.transport import JoinRequest, OutgoingMessage, SendStatus
from tests.factories import database_of, headers_for, runtime_of
from tests.telegram.bot_api_server import People
from tests.telegram.test_consent_bot import add_bot, consent_of, pull_until, received_text
from tests.waits import wait_until

CHANNEL = -1001234567890
OPT_IN = "News and offers from Boot Shop on Telegram. Send STOP to unsubscribe."


async def join_status(people: People, person: int) -> str | None:
    """Returns the state of the person's request to join CHANNEL, as the simulator keeps it."""
    requests = (await people.bot_state())["join_requests"]
    return next((r["status"] for r in requests if r["user_id"] == person), None)


async def test_the_bot_confirms_then_approves_and_the_consent_carries_the_join_as_evidence(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people, opt_in_text=OPT_IN)
    person = 515151
    await scheduled.pull_inbound(runtime_of(db))

    await people.joins(
        person, CHANNEL, "Boot Shop News", "Winter ad", first_name="Ida", username="ida_j"
    )
    await pull_until(db, received_text(people, person, "You're subscribed"))

    # The confirmation reached them: it left while the request was pending (the simulator
    # refuses a message to a requester once the request is processed), and then it was approved.
    [confirmation] = await people.received(person)
    assert (
        confirmation["text"]
        == f"{OPT_IN}\n\nYou're subscribed. Send STOP at any time to unsubscribe."
    )
    state = await people.bot_state()
    assert state["join_requests"] == [{"chat_id": CHANNEL, "user_id": person, "status": "approved"}]
    assert "chat_join_request" in state["allowed_updates"]
    async with db.session() as session:
        contact = await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=person)
        assert contact is not None
        entries, _ = await compliance.list_audit(
            session=session, entity_type="contact", entity_id=str(contact.id)
        )
    assert (contact.first_name, contact.username) == ("Ida", "ida_j")
    assert {e.action for e in entries} >= {"contact.created", "consent.granted"}

    history = await client.get(
        f"/api/v1/compliance/contacts/{contact.id}/consents", headers=headers
    )
    assert history.status_code == 200, history.text
    [consent] = history.json()
    assert (consent["status"], consent["source"]) == ("granted", "bot:join-Winter-ad")
    joined = consent["join_request"]
    assert (joined["chat_id"], joined["chat_title"], joined["chat_type"]) == (
        CHANNEL,
        "Boot Shop News",
        "channel",
    )
    assert joined["invite_link_name"] == "Winter ad"
    assert joined["invite_link"].startswith("https://t.me/+")
    assert datetime.fromisoformat(joined["requested_at"])
    proof = consent["proof"]
    assert proof["method"] == "join_request" and proof["opt_in_text"] == OPT_IN
    assert proof["action"] == "asked to join Boot Shop News through the invite link 'Winter ad'"
    assert consent["lawful_basis"] == "consent"

    viewer_headers = await headers_for(client, db, Role.REVIEWER)  # no personal_data:read
    masked = (
        await client.get(
            f"/api/v1/compliance/contacts/{contact.id}/consents", headers=viewer_headers
        )
    ).json()
    assert str(person) not in str(masked)  # the person's id masked; the channel's evidence shown
    assert masked[0]["join_request"]["invite_link_name"] == "Winter ad"
    assert await consent_of(db, person, sender["id"]) is True


async def test_with_double_opt_in_the_bot_asks_lets_them_in_and_records_consent_on_the_press(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people, double_opt_in=True, opt_in_text=OPT_IN)
    person = 525252
    await scheduled.pull_inbound(runtime_of(db))

    await people.joins(person, CHANNEL, "Boot Shop News", "Spring", first_name="Jo")
    await pull_until(db, received_text(people, person, OPT_IN))

    # Asked while the request was pending, then let in: the channel is not conditional on
    # marketing consent, and nothing is recorded before the press.
    [prompt] = await people.received(person)
    assert prompt["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "optin:join-Spring"
    assert await join_status(people, person) == "approved"
    assert await consent_of(db, person, sender["id"]) is None

    await people.presses(person, "optin:join-Spring")
    await pull_until(db, received_text(people, person, "You're subscribed"))

    assert await consent_of(db, person, sender["id"]) is True
    async with db.session() as session:
        contact = await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=person)
        assert contact is not None
        [consent] = await compliance.consent_history(session=session, contact_id=contact.id)
    assert (consent.source, consent.proof["method"]) == ("bot:join-Spring", "double_opt_in")
    assert consent.proof["action"] == "pressed 'Yes, subscribe'"
    assert consent.proof["prompt_message_id"] == prompt["message_id"]


async def test_a_requester_who_never_answers_the_question_is_let_in_without_consent(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people, double_opt_in=True, opt_in_text=OPT_IN)
    person = 535353
    await scheduled.pull_inbound(runtime_of(db))

    await people.joins(person, CHANNEL, "Boot Shop News", "Spring", first_name="Lu")
    await pull_until(db, received_text(people, person, OPT_IN))
    transport = people.transport()
    try:  # a campaign message now: they never started the bot, and the request is processed
        later = await transport.send(OutgoingMessage(chat_id=person, text="Winter sale!"))
        if later.status is SendStatus.RETRY_AFTER:  # one message a second per chat
            await asyncio.sleep(later.retry_after_s or 1.0)
            later = await transport.send(OutgoingMessage(chat_id=person, text="Winter sale!"))
    finally:
        await transport.close()

    assert await join_status(people, person) == "approved"
    assert await consent_of(db, person, sender["id"]) is None
    assert (later.status, later.reason) == (SendStatus.PERMANENT, "not_started")


async def test_a_confirmation_after_the_approval_would_be_refused(people: People) -> None:
    """Why the order matters: approving first (as the bot once did) loses the confirmation."""
    await people.joins(541, CHANNEL, "Boot Shop News", "Winter ad")
    await people.joins(542, CHANNEL, "Boot Shop News", "Winter ad")
    transport = people.transport()
    confirmation = "You're subscribed. Send STOP at any time to unsubscribe."
    try:
        first_sent = await transport.send(OutgoingMessage(chat_id=541, text=confirmation))
        then_approved = await transport.approve_join(JoinRequest(chat_id=CHANNEL, user_id=541))
        first_approved = await transport.approve_join(JoinRequest(chat_id=CHANNEL, user_id=542))
        then_sent = await transport.send(OutgoingMessage(chat_id=542, text=confirmation))
        again = await transport.approve_join(JoinRequest(chat_id=CHANNEL, user_id=542))
    finally:
        await transport.close()

    assert (first_sent.status, then_approved.status) == (SendStatus.SENT, SendStatus.SENT)
    assert first_approved.status is SendStatus.SENT
    assert (then_sent.status, then_sent.reason) == (SendStatus.PERMANENT, "not_started")
    assert (again.status, again.reason) == (SendStatus.PERMANENT, "join_request_missing")
    assert [m["text"] for m in await people.received(541)] == [confirmation]
    assert await people.received(542) == []


async def test_by_webhook_the_bot_confirms_then_approves(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    served = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(served.serve())
    while not served.started:
        await asyncio.sleep(0.01)
    port = served.servers[0].sockets[0].getsockname()[1]
    person = 555555
    try:
        db = database_of(app)
        headers = await headers_for(client, db)
        sender = await add_bot(client, headers, people, opt_in_text=OPT_IN)
        response = await client.put(
            f"/api/v1/telegram/senders/{sender['id']}/webhook",
            json={"public_url": f"http://127.0.0.1:{port}"},
            headers=headers,
        )
        assert response.status_code == 200, response.text

        await people.joins(person, CHANNEL, "Boot Shop News", "Winter ad", first_name="Mo")

        async def approved() -> bool:
            return await join_status(people, person) == "approved"

        await wait_until(approved, timeout_s=30, what="the approval", interval_s=0.03)
    finally:
        served.should_exit = True
        await serving

    [confirmation] = await people.received(person)
    assert "You're subscribed" in confirmation["text"]
    assert (await people.bot_state())["webhook_last_error"] is None
    assert await consent_of(db, person, sender["id"]) is True


def test_a_webhooks_join_request_is_not_approved_in_the_webhooks_answer() -> None:
    update = botapi.parse_update(
        {
            "update_id": 9,
            "chat_join_request": {
                "chat": {"id": CHANNEL, "type": "channel", "title": "Boot Shop News"},
                "from": {"id": 77, "is_bot": False, "first_name": "Kim"},
                "user_chat_id": 77,
                "date": 1_790_000_000,
            },
        }
    )
    assert update is not None
    [event] = botapi.events_of_update(update)
    assert (event.kind, event.chat_id, event.payload["source"]) == ("join_request", 77, "join")
    assert botapi.webhook_answer(update) == {}  # the flow writes to them first, then approves

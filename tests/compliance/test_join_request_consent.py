"""Consent from a join request, through the simulated Bot API: a person asks to join the bot's
channel through a named invite link, the bot approves it, their consent is recorded with the
join request as evidence (the chat, the link, Telegram's time of the request) shown by the
consent history API, and the bot confirms in their private chat; with double opt-in it asks
first and records nothing before the press. By webhook, the approval is the webhook's answer."""

from __future__ import annotations

from datetime import datetime

import httpx
from fastapi import FastAPI

from marketing_agent.compliance import service as compliance
from marketing_agent.core.auth import Role
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.telegram import botapi
from tests.factories import database_of, headers_for, runtime_of
from tests.telegram.bot_api_server import People
from tests.telegram.test_consent_bot import add_bot, consent_of, pull_until, received_text

CHANNEL = -1001234567890
OPT_IN = "News and offers from Boot Shop on Telegram. Send STOP to unsubscribe."


async def test_a_join_request_is_approved_and_its_consent_carries_the_join_as_evidence(
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
    assert proof["action"] == (
        "asked to join Boot Shop News through the invite link 'Winter ad'; the bot approved it"
    )
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


async def test_with_double_opt_in_a_join_request_asks_first_and_records_nothing_yet(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people, double_opt_in=True, opt_in_text=OPT_IN)
    person = 525252
    await scheduled.pull_inbound(runtime_of(db))

    await people.joins(person, CHANNEL, "Boot Shop News", "Spring", first_name="Jo")
    await pull_until(db, received_text(people, person, OPT_IN))

    [prompt] = await people.received(person)
    assert prompt["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "optin:join-Spring"
    assert await consent_of(db, person, sender["id"]) is None
    assert (await people.bot_state())["join_requests"][0]["status"] == "approved"


def test_a_webhooks_join_request_is_answered_by_approving_it() -> None:
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
    assert botapi.webhook_answer(update) == {
        "method": "approveChatJoinRequest",
        "chat_id": CHANNEL,
        "user_id": 77,
    }

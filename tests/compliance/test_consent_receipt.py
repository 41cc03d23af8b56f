"""A person's consent receipt: /myconsent to the bot answers with what they agreed to (the exact
text), when, on which lawful basis and how to withdraw; the API shows the same receipt to an
operator. Through the simulated Bot API over HTTP."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.compliance import receipts
from marketing_agent.compliance import service as compliance
from marketing_agent.orchestrator import service as orchestrator
from tests.factories import database_of, headers_for, runtime_of
from tests.telegram.bot_api_server import People
from tests.telegram.test_consent_bot import add_bot, pull_until, received_text

OPT_IN = "Weekly offers from Rosa's Bakery on Telegram. Send STOP to unsubscribe."


async def test_myconsent_answers_with_what_the_person_agreed_to_and_how_to_withdraw(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    runtime_of(db, app.state.runtime.settings)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people, opt_in_text=OPT_IN)
    person = 818181
    await people.says(person, "/start spring", first_name="Rosa")
    await pull_until(db, received_text(people, person, "You're subscribed"))

    await people.says(person, "/myconsent")
    await pull_until(db, received_text(people, person, receipts.RECEIPT_HEADER))
    receipt = (await people.received(person))[-1]["text"]
    assert OPT_IN in receipt  # the exact words agreed to
    assert "lawful basis: consent" in receipt and "bot:spring" in receipt
    assert compliance.consent_text_version(OPT_IN) in receipt
    assert "Send STOP" in receipt and "/forgetme" in receipt

    async with db.session() as session:
        contact = await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=person)
        assert contact is not None
        assert len(await compliance.consent_history(session=session, contact_id=contact.id)) == 1
    response = await client.get(
        f"/api/v1/compliance/contacts/{contact.id}/consent-receipts", headers=headers
    )
    assert response.status_code == 200, response.text
    [shown] = response.json()
    assert (shown["status"], shown["lawful_basis"], shown["text"]) == ("granted", "consent", OPT_IN)
    assert shown["sender_id"] == sender["id"]
    assert shown["how_to_withdraw"] == receipts.HOW_TO_WITHDRAW

    # After STOP the receipt says the consent was withdrawn.
    await people.says(person, "STOP")
    await pull_until(db, received_text(people, person, "You're unsubscribed"))
    await people.says(person, "/myconsent")

    async def withdrawn_receipt() -> bool:
        texts = [m["text"] for m in await people.received(person)]
        return sum(receipts.RECEIPT_HEADER in t for t in texts) == 2 and "You withdrew" in texts[-1]

    await pull_until(db, withdrawn_receipt)


async def test_myconsent_from_a_stranger_says_nothing_is_held(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    runtime_of(db, app.state.runtime.settings)
    headers = await headers_for(client, db)
    await add_bot(client, headers, people)
    await people.says(929292, "/myconsent")
    await pull_until(db, received_text(people, 929292, "We hold no personal data about you"))
    async with db.session() as session:
        assert (
            await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=929292)
            is None
        )

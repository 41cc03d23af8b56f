"""A person's own data-subject requests inside Telegram, through the simulated Bot API over HTTP:
/mydata sends them their export as a document (once a day), /forgetme asks for a confirmation
and the press erases them everywhere. The Telegram account that writes is the identity proof."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI

from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import bot_requests
from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.suppression import SuppressionKey
from marketing_agent.core.clock import UTC
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import privacy_bot
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.telegram import service as telegram
from tests.factories import database_of, headers_for, runtime_of
from tests.telegram.bot_api_server import People
from tests.telegram.test_consent_bot import add_bot, pull_until, received_text


async def _subscribed(client: httpx.AsyncClient, app: FastAPI, people: People, person: int) -> int:
    db = database_of(app)
    runtime_of(db, app.state.runtime.settings)  # the inbound path runs on the app's settings
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people)
    await people.says(person, "/start", first_name="Rosa", username="rosa_m")
    await pull_until(db, received_text(people, person, "You're subscribed"))
    return int(sender["id"])


async def test_mydata_sends_the_person_their_export_as_a_document_once_a_day(
    client: httpx.AsyncClient, app: FastAPI, people: People, settings: Settings
) -> None:
    db = database_of(app)
    person = 707070
    await _subscribed(client, app, people, person)

    await people.says(person, "/mydata")
    await pull_until(db, received_text(people, person, "Everything we hold about you"))
    document = (await people.received(person))[-1]
    assert document["kind"] == "document"
    assert document["media"]["upload"] == "my-data.json"
    export = json.loads(document["media"]["text"])
    assert export["format"] == "marketing-agent.subject-export/1"
    assert export["profile"]["telegram_id"] == person
    assert (export["profile"]["first_name"], export["profile"]["username"]) == ("Rosa", "rosa_m")
    assert [c["status"] for c in export["consents"]] == ["granted"]
    assert "consent decision" in document["text"]  # the readable summary is the caption

    async with db.session() as session:
        [request] = await compliance.list_requests(session=session)
        contact = await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=person)
        assert contact is not None
        events = await analytics.contact_events(session=session, contact_id=contact.id)
    assert (request.kind, request.channel, request.status) == ("access", "telegram", "completed")
    assert request.verification is not None and "/mydata" in request.verification
    assert request.contact_id == contact.id
    assert not [e for e in events if e["type"] == "replied"]  # a command, not a reply

    await people.says(person, "/mydata")  # a second copy the same day is refused
    await pull_until(db, received_text(people, person, "we send one copy a day"))
    async with db.session() as session:
        assert len(await compliance.list_requests(session=session)) == 1

    # The document file goes once it has long been uploaded.
    exports = settings.data_dir / privacy_bot.EXPORTS_DIR
    [folder] = list(exports.iterdir())
    assert str(person) not in folder.name  # named by a keyed hash, never by the person's id
    os.utime(folder, (0, 0))
    assert privacy_bot.sweep_exports(settings) == 1
    assert list(exports.iterdir()) == []


async def test_forgetme_asks_first_and_the_press_erases_the_person_everywhere(
    client: httpx.AsyncClient, app: FastAPI, people: People, settings: Settings
) -> None:
    db = database_of(app)
    person = 717171
    await _subscribed(client, app, people, person)
    await people.says(person, "/mydata")
    await pull_until(db, received_text(people, person, "Everything we hold about you"))

    await people.says(person, "/forgetme")
    await pull_until(db, received_text(people, person, "Erase your data?"))
    prompt = (await people.received(person))[-1]
    [[button]] = prompt["reply_markup"]["inline_keyboard"]
    assert button["text"] == "Yes, erase my data"
    async with db.session() as session:  # nothing happens before the press
        contact = await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=person)
    assert contact is not None
    contact_id = contact.id

    await people.presses(person, button["callback_data"])
    await pull_until(db, received_text(people, person, "Your data is erased"))
    key = SuppressionKey.from_settings(settings)
    async with db.session() as session:
        assert (
            await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=person)
        ) is None
        assert await compliance.suppressed_among(session=session, key=key, telegram_ids=[person])
        assert await compliance.consent_history(session=session, contact_id=contact_id) == []
        requests = await compliance.list_requests(session=session)
        erased, _ = await compliance.list_audit(session=session, entity_type="contact")
        chain = await compliance.verify_audit_chain(session=session)
    erasure = next(r for r in requests if r.kind == "erasure")
    assert (erasure.status, erasure.channel, erasure.contact_id) == ("completed", "telegram", None)
    assert all(r.contact_id is None and not r.details and r.export is None for r in requests)
    assert any(e.action == "contact.erased" and e.entity_id == str(contact_id) for e in erased)
    assert chain.ok
    assert list((settings.data_dir / privacy_bot.EXPORTS_DIR).iterdir()) == []

    await people.says(person, "/mydata")  # nothing is left to send
    await pull_until(db, received_text(people, person, "We hold no personal data about you"))


def test_a_confirmation_older_than_an_hour_asks_again_and_other_text_is_no_command() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    fresh = bot_requests.confirm_data(now - timedelta(minutes=59))
    stale = bot_requests.confirm_data(now - timedelta(minutes=61))
    assert bot_requests.command_of(kind="click", text=None, data=fresh, now=now) == (
        "forgetme_confirm"
    )
    assert bot_requests.command_of(kind="click", text=None, data=stale, now=now) == (
        "forgetme_expired"
    )
    assert bot_requests.command_of(kind="reply", text="/MyData@shop_bot", data=None, now=now) == (
        "mydata"
    )
    for text in ("my data please", "/mydatas", "/start"):
        assert bot_requests.command_of(kind="reply", text=text, data=None, now=now) is None
    assert bot_requests.command_of(kind="click", text=None, data="forgetme:x", now=now) is None


def test_an_export_caption_of_emoji_fits_telegrams_caption_in_utf16_units() -> None:
    # An emoji outside the BMP is two UTF-16 units: cutting by characters let 2,000 units through.
    caption = bot_requests.export_caption("🎁" * 1500)
    assert 1000 < telegram.telegram_text_length(caption) <= telegram.CAPTION_MAX_UTF16
    assert caption.endswith("…") and "\ufffd" not in caption

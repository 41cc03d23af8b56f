"""The writes that were unaudited: a prompt's new version, each step of a user-account login
(refused steps too, and never a secret), an event, a batch of conversions (one entry a batch,
naming its rows) and a signed conversion webhook (the source is the actor); Telegram's webhook
leaves the entries of what people decided."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from marketing_agent.analytics import conversions
from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.models import AuditEntry
from marketing_agent.core import clock
from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from marketing_agent.telegram.accounts import LoginRegistry
from marketing_agent.telegram.api import get_logins
from tests.analytics.factories import make_campaign
from tests.factories import database_of, headers_for, make_contacts
from tests.telegram.bot_api_server import People
from tests.telegram.mtproto import ScriptedLogin
from tests.telegram.test_consent_bot import add_bot
from tests.telegram.test_webhook import start_update

API = "/api/v1"
SECRET = "s3cret-of-the-shop"
API_HASH = "0123456789abcdef0123456789abcdef"
PHONE = "+4915112345678"
PASSWORD = "correct horse battery"
SESSION = "1BVtsOK4Bu-fresh-session-string-secret"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"conversion_webhook_secrets": SecretStr(f"shop:{SECRET}")})


@pytest.fixture
def scripted_login(app: FastAPI) -> Iterator[ScriptedLogin]:
    client = ScriptedLogin(password=PASSWORD, session=SESSION)
    registry = LoginRegistry(open_client=lambda api_id, api_hash: client)  # type: ignore[arg-type,return-value]
    app.dependency_overrides[get_logins] = lambda: registry
    yield client
    app.dependency_overrides.pop(get_logins, None)


async def _entries(app: FastAPI, entity_type: str) -> list[AuditEntry]:
    async with database_of(app).session() as session:
        entries, _ = await compliance.list_audit(session=session, entity_type=entity_type)
    return list(reversed(entries))


async def test_saving_a_prompt_version_is_audited(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers = await headers_for(client, database_of(app), Role.ADMIN)
    saved = await client.put(
        f"{API}/agent/prompts/chat_system",
        json={"text": "Answer briefly.", "note": "shorter answers"},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text

    [entry] = await _entries(app, "agent_prompt")
    assert (entry.action, entry.entity_id) == ("agent.prompt_edited", "chat_system")
    assert entry.actor.startswith("user:") and entry.data["note"] == "shorter answers"


async def test_each_login_step_is_audited_refusals_too_and_no_secret_is_kept(
    app: FastAPI, client: httpx.AsyncClient, scripted_login: ScriptedLogin
) -> None:
    headers = await headers_for(client, database_of(app), Role.ADMIN)
    base = f"{API}/telegram/accounts/login"
    body = {"name": "Sales account", "api_id": 12345, "api_hash": API_HASH, "phone": PHONE}

    first = (await client.post(base, headers=headers, json=body)).json()["login_id"]
    cancelled = await client.delete(f"{base}/{first}", headers=headers)
    login_id = (await client.post(base, headers=headers, json=body)).json()["login_id"]
    wrong = await client.post(f"{base}/{login_id}/code", headers=headers, json={"code": "99999"})
    coded = await client.post(f"{base}/{login_id}/code", headers=headers, json={"code": "12345"})
    done = await client.post(
        f"{base}/{login_id}/password", headers=headers, json={"password": PASSWORD}
    )

    assert (cancelled.status_code, wrong.status_code) == (204, 422)
    assert (coded.json()["next"], done.json()["next"]) == ("password", "done")
    entries = await _entries(app, "telegram_login")
    assert [(e.action, e.entity_id) for e in entries] == [
        ("telegram_login.started", first),
        ("telegram_login.cancelled", first),
        ("telegram_login.started", login_id),
        ("telegram_login.refused", login_id),
        ("telegram_login.code_submitted", login_id),
        ("telegram_login.password_submitted", login_id),
    ]
    assert entries[3].data == {"step": "code_submitted", "problem": "validation", "status": 422}
    assert entries[4].data["next"] == "password" and entries[5].data["next"] == "done"
    assert {e.data.get("name") for e in entries if "name" in e.data} == {"Sales account"}
    assert len({e.actor for e in entries}) == 1
    kept = json.dumps([e.data for e in entries])
    for secret in (API_HASH, PHONE, "4915112345678", PASSWORD, SESSION, "12345", "99999"):
        assert secret not in kept
    senders = await _entries(app, "sender")
    assert [e.action for e in senders] == ["sender.created"]


async def test_an_event_is_audited_with_who_sent_it_but_not_its_properties(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    db = database_of(app)
    cid = await make_campaign(db, settings)
    [contact_id] = await make_contacts(db, 1, sender_id=None)
    headers = await headers_for(client, db, Role.ANALYST)
    made = await client.post(
        f"{API}/analytics/events",
        json={
            "type": "clicked",
            "campaign_id": cid,
            "contact_id": contact_id,
            "properties": {"note": "typed by the person: ann@example.com"},
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text

    [entry] = await _entries(app, "event")
    assert (entry.action, entry.entity_id) == ("event.recorded", str(made.json()["id"]))
    assert (entry.data["type"], entry.data["contact_id"]) == ("clicked", contact_id)
    assert entry.actor.startswith("user:")
    assert "ann@example.com" not in json.dumps(entry.data)


def _signed(body: bytes) -> dict[str, str]:
    timestamp = str(int(clock.now().timestamp()))
    signature = conversions.sign(secret=SECRET, timestamp=timestamp, body=body)
    return {
        "X-MA-Timestamp": timestamp,
        "X-MA-Signature": f"sha256={signature}",
        "Content-Type": "application/json",
    }


async def test_a_conversion_batch_is_one_entry_naming_its_rows_and_a_webhook_names_its_source(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    db = database_of(app)
    [contact_id] = await make_contacts(db, 1, sender_id=None)
    headers = await headers_for(client, db, Role.ANALYST)
    now = clock.now().isoformat()
    events = [
        {
            "id": "o-1",
            "occurred_at": now,
            "contact_id": contact_id,
            "value": "10",
            "currency": "USD",
        },
        {
            "id": "o-2",
            "occurred_at": now,
            "contact_id": contact_id,
            "value": "5",
            "currency": "USD",
        },
        {
            "id": "o-1",
            "occurred_at": now,
            "contact_id": contact_id,
            "value": "10",
            "currency": "USD",
        },
        {"occurred_at": "not a time"},
    ]
    batch = await client.post(
        f"{API}/analytics/conversions", json={"source": "shop", "events": events}, headers=headers
    )
    body = json.dumps({"id": "w-1", "occurred_at": now, "contact_id": contact_id}).encode()
    hooked = await client.post(
        f"{API}/analytics/webhooks/shop", content=body, headers=_signed(body)
    )

    assert batch.status_code == 200 and hooked.status_code == 200, (batch.text, hooked.text)
    entries = await _entries(app, "conversion_source")
    assert [(e.action, e.entity_id) for e in entries] == [("conversions.ingested", "shop")] * 2
    first, second = entries
    recorded = [r["event_id"] for r in batch.json()["results"] if r["event_id"] is not None]
    assert (first.data["duplicates"], first.data["rejected"]) == (1, 1)
    assert first.data["recorded"] + first.data["unattributed"] == 2
    assert first.data["event_ids"] == recorded
    assert first.actor.startswith("user:") and second.actor == "webhook:shop"


async def test_telegrams_webhook_leaves_the_entry_of_what_the_person_decided(
    app: FastAPI, client: httpx.AsyncClient, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people)
    set_response = await client.put(
        f"{API}/telegram/senders/{sender['id']}/webhook",
        json={"public_url": "https://marketing.example.com"},
        headers=headers,
    )
    assert set_response.status_code == 200, set_response.text
    secret = (await people.bot_state())["webhook"]["secret_token"]
    await people.started(72)

    posted = await client.post(
        f"{API}/telegram/webhook/{sender['id']}",
        json=start_update(72),
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )

    assert posted.status_code == 200, posted.text
    async with db.session() as session:
        entries, _ = await compliance.list_audit(session=session, limit=50)
    granted = [e for e in entries if e.action == "consent.granted"]
    assert len(granted) == 1 and granted[0].data["source"] == "bot:webhook_ad"

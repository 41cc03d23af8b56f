"""Bots' updates by webhook: set through the API (Telegram gets a new secret), accepted only with
that secret, handled like polled updates; and posted for real by the simulated Bot API to the
app served over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from marketing_agent.compliance import service as compliance
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.telegram import service as telegram
from tests.factories import database_of, headers_for, transports_of
from tests.telegram.bot_api_server import People
from tests.telegram.test_consent_bot import add_bot

PUBLIC_URL = "https://marketing.example.com"


def start_update(chat_id: int, text: str = "/start webhook_ad") -> dict[str, Any]:
    return {
        "update_id": 7001,
        "message": {
            "message_id": 3,
            "date": 1_790_000_000,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Cy"},
            "text": text,
        },
    }


async def test_webhook_route_accepts_only_the_secret_telegram_was_given(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people)
    set_response = await client.put(
        f"/api/v1/telegram/senders/{sender['id']}/webhook",
        json={"public_url": PUBLIC_URL + "/"},
        headers=headers,
    )
    webhook = (await people.bot_state())["webhook"]
    secret = webhook["secret_token"]
    route = f"/api/v1/telegram/webhook/{sender['id']}"
    await people.started(71)  # the test posts Telegram's update itself; Telegram saw the /start

    missing = await client.post(route, json=start_update(71))
    wrong = await client.post(
        route, json=start_update(71), headers={"X-Telegram-Bot-Api-Secret-Token": secret + "x"}
    )
    other_sender = await client.post(
        "/api/v1/telegram/webhook/999999",
        json=start_update(71),
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )
    right = await client.post(
        route, json=start_update(71), headers={"X-Telegram-Bot-Api-Secret-Token": secret}
    )

    assert set_response.status_code == 200, set_response.text
    assert webhook["url"] == f"{PUBLIC_URL}/api/v1/telegram/webhook/{sender['id']}"
    assert set_response.json()["webhook_url"] == webhook["url"]
    assert secret not in set_response.text
    for refused, status in ((missing, 401), (wrong, 403), (other_sender, 403)):
        assert refused.status_code == status, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert right.status_code == 200, right.text
    async with db.session() as session:  # handled like a polled /start: consent, proof
        contact = await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=71)
        assert contact is not None
        [consent] = await compliance.consent_history(session=session, contact_id=contact.id)
    assert (consent.status, consent.proof["source"]) == ("granted", "webhook_ad")
    assert "You're subscribed" in (await people.received(71))[0]["text"]


async def test_a_button_press_is_answered_in_the_webhooks_response(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people)
    await client.put(
        f"/api/v1/telegram/senders/{sender['id']}/webhook",
        json={"public_url": PUBLIC_URL},
        headers=headers,
    )
    secret = (await people.bot_state())["webhook"]["secret_token"]
    press = {
        "update_id": 7002,
        "callback_query": {
            "id": "cb-1",
            "chat_instance": "x",
            "from": {"id": 72, "is_bot": False, "first_name": "Di"},
            "data": "more",
            "message": {
                "message_id": 9,
                "date": 1_790_000_000,
                "chat": {"id": 72, "type": "private"},
                "text": "Sale",
            },
        },
    }

    response = await client.post(
        f"/api/v1/telegram/webhook/{sender['id']}",
        json=press,
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )
    not_an_update = await client.post(
        f"/api/v1/telegram/webhook/{sender['id']}",
        json={"hello": "world"},
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )

    assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": "cb-1"}
    assert not_an_update.status_code == 422


async def test_deleting_the_webhook_goes_back_to_polling_and_voids_the_secret(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people)
    await client.put(
        f"/api/v1/telegram/senders/{sender['id']}/webhook",
        json={"public_url": PUBLIC_URL},
        headers=headers,
    )
    secret = (await people.bot_state())["webhook"]["secret_token"]

    deleted = await client.delete(
        f"/api/v1/telegram/senders/{sender['id']}/webhook", headers=headers
    )
    late = await client.post(
        f"/api/v1/telegram/webhook/{sender['id']}",
        json=start_update(73),
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )
    await people.says(74, "/start back_to_polling")
    for _ in range(100):  # the scheduler's pull polls again
        async with db.session() as session:
            await telegram.load_senders(session=session, transports=transports_of(db))
        events = await telegram.fetch_updates(transports=transports_of(db), sender_id=sender["id"])
        if events:
            break
        await asyncio.sleep(0.03)

    assert deleted.status_code == 200 and deleted.json()["webhook_url"] is None
    assert (await people.bot_state())["webhook"] is None
    assert late.status_code == 403
    assert [(e.kind, e.payload["source"]) for e in events] == [("start", "back_to_polling")]


async def test_telegram_posts_updates_to_the_app_over_http(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    served = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(served.serve())
    while not served.started:
        await asyncio.sleep(0.01)
    port = served.servers[0].sockets[0].getsockname()[1]
    try:
        db = database_of(app)
        headers = await headers_for(client, db)
        sender = await add_bot(client, headers, people)
        response = await client.put(
            f"/api/v1/telegram/senders/{sender['id']}/webhook",
            json={"public_url": f"http://127.0.0.1:{port}"},
            headers=headers,
        )
        assert response.status_code == 200, response.text

        await people.says(75, "/start pushed")
        for _ in range(150):
            if any("subscribed" in m["text"] for m in await people.received(75)):
                break
            await asyncio.sleep(0.03)
    finally:
        served.should_exit = True
        await serving

    state = await people.bot_state()
    assert (state["pending_updates"], state["webhook_last_error"]) == (0, None)
    async with db.session() as session:
        contact = await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=75)
        assert contact is not None
        assert await compliance.has_consent(
            session=session, contact_id=contact.id, sender_id=sender["id"], purpose="marketing"
        )

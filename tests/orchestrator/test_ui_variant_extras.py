"""What the campaign editor stands on beyond the text: an image and link buttons per variant
(validated, checked by the safety guard, really sent), translations that never go stale on an
edit, the count of recipients who never started the bot, and flagged spans for the reviewer."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from marketing_agent.core import clock
from marketing_agent.core.auth import Role
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.transport import OutgoingMessage, SendOutcome
from tests.factories import (
    database_of,
    headers_for,
    make_contacts,
    make_sender,
    runtime_of,
    transports_of,
)

API = "/api/v1/orchestrator"
IMAGE = "https://shop.example.com/boots.jpg"
BUTTONS = [{"text": "Shop the boots", "url": "https://shop.example.com/boots"}]


async def _create(client: httpx.AsyncClient, headers: dict, variants: list[dict]) -> httpx.Response:
    body = {"name": "Boots", "goal": "Winter boots sale", "variants": variants}
    return await client.post(f"{API}/campaigns", headers=headers, json=body)


async def test_a_variant_with_an_image_and_buttons_is_sent_with_both(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 2, sender_id=sender_id)
    headers = await headers_for(client, db, Role.ADMIN)
    created = await _create(
        client,
        headers,
        [{"text": "Hi {first_name}, boots are 20% off.", "image_url": IMAGE, "buttons": BUTTONS}],
    )
    assert created.status_code == 201, created.text
    variant = created.json()["variants"][0]
    assert variant["image_url"] == IMAGE and variant["buttons"] == BUTTONS
    campaign_id = created.json()["id"]
    submitted = await client.post(f"{API}/campaigns/{campaign_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text

    sent: list[OutgoingMessage] = []

    async def recording_send(**kwargs: Any) -> SendOutcome:
        sent.append(kwargs["message"])
        return await telegram.send_message(transports=transports_of(db), **kwargs)

    worker = DeliveryWorker(
        db, transports=transports_of(db), send=recording_send, limits=runtime_of(db).limits
    )
    for _ in range(20):
        await scheduled.tick(runtime_of(db))
        if not await worker.run_once() and sent:
            break
    assert len(sent) == 2
    for message in sent:
        assert message.media is not None and message.media.url == IMAGE
        assert message.media.kind == "photo"
        assert [[(b.text, b.url) for b in row] for row in message.buttons] == [
            [("Shop the boots", "https://shop.example.com/boots")]
        ]


async def test_an_image_caption_too_long_or_a_bad_button_is_refused_with_its_place(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await make_sender(database_of(app))
    headers = await headers_for(client, database_of(app), Role.MARKETER)
    long_caption = await _create(client, headers, [{"text": "é" * 1025, "image_url": IMAGE}])
    assert long_caption.status_code == 422
    assert "caption" in long_caption.text and "1024" in long_caption.text
    bad_button = await _create(
        client, headers, [{"text": "Hi", "buttons": [{"text": "Go", "url": "javascript:alert(1)"}]}]
    )
    assert bad_button.status_code == 422
    assert bad_button.json()["errors"][0]["loc"][:5] == ["body", "variants", 0, "buttons", 0]
    empty_label = await _create(
        client, headers, [{"text": "Hi", "buttons": [{"text": "", "url": IMAGE}]}]
    )
    assert empty_label.status_code == 422
    too_many = await _create(client, headers, [{"text": "Hi", "buttons": BUTTONS * 9}])
    assert too_many.status_code == 422
    # Nothing half-written: no campaign exists after the refusals.
    assert (await client.get(f"{API}/campaigns", headers=headers)).json()["total"] == 0


async def test_a_risky_button_label_sends_the_campaign_to_review(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await make_sender(database_of(app))
    headers = await headers_for(client, database_of(app), Role.MARKETER)
    risky = [{"text": "Guaranteed free money, act now!", "url": "https://shop.example.com/"}]
    created = await _create(client, headers, [{"text": "Our boots are here.", "buttons": risky}])
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert any("button 1" in r["message"] for r in campaign["risk_reasons"])
    assert campaign["risk_score"] > 0


async def test_translations_are_kept_while_the_text_stays_and_dropped_when_it_changes(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await make_sender(database_of(app))
    headers = await headers_for(client, database_of(app), Role.MARKETER)
    created = await _create(
        client,
        headers,
        [{"text": "Boots are 20% off.", "translations": {"fr": "Bottes à -20 %."}}],
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    assert created.json()["variants"][0]["translations"] == {"fr": "Bottes à -20 %."}

    async def edit(variant: dict) -> dict:
        response = await client.patch(
            f"{API}/campaigns/{campaign_id}", headers=headers, json={"variants": [variant]}
        )
        assert response.status_code == 200, response.text
        return response.json()["variants"][0]

    reweighted = await edit({"text": "Boots are 20% off.", "weight": 2})
    assert reweighted["translations"] == {"fr": "Bottes à -20 %."}
    rewritten = await edit({"text": "Boots are 30% off."})
    assert rewritten["translations"] == {}  # the French said 20%: never sent stale
    retranslated = await edit({"text": "Boots are 30% off.", "translations": {"fr": "-30 %."}})
    assert retranslated["translations"] == {"fr": "-30 %."}

    bad = await client.patch(
        f"{API}/campaigns/{campaign_id}",
        headers=headers,
        json={"variants": [{"text": "Hi", "translations": {"fr": "Salut {prenom}"}}]},
    )
    assert bad.status_code == 422 and "prenom" in bad.text
    bad_language = await client.patch(
        f"{API}/campaigns/{campaign_id}",
        headers=headers,
        json={"variants": [{"text": "Hi", "translations": {"French!": "Salut"}}]},
    )
    assert bad_language.status_code == 422


async def test_a_risky_translation_is_scored_on_an_edit(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await make_sender(database_of(app))
    headers = await headers_for(client, database_of(app), Role.MARKETER)
    campaign_id = (await _create(client, headers, [{"text": "Boots are here."}])).json()["id"]
    response = await client.patch(
        f"{API}/campaigns/{campaign_id}",
        headers=headers,
        json={
            "variants": [
                {
                    "text": "Boots are here.",
                    "translations": {"de": "Garantiert free money, act now!"},
                }
            ]
        },
    )
    campaign = response.json()
    assert any("(de)" in r["message"] for r in campaign["risk_reasons"])


async def test_launch_preview_counts_who_never_started_the_bot(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    contact_ids = await make_contacts(db, 5, sender_id=sender_id)
    async with db.session() as session:  # two of them wrote to the bot; three were imported
        started = []
        for contact_id in contact_ids[:2]:
            contact = await orchestrator.get_contact(session=session, contact_id=contact_id)
            assert contact is not None
            started.append(contact.telegram_id)
        await telegram.record_chats_started(
            session=session, sender_id=sender_id, chat_ids=started, at=clock.now()
        )
    headers = await headers_for(client, db, Role.MARKETER)
    campaign_id = (await _create(client, headers, [{"text": "Boots are here."}])).json()["id"]
    preview = (
        await client.get(f"{API}/campaigns/{campaign_id}/launch-preview", headers=headers)
    ).json()
    assert preview["will_receive"] == 5 and preview["never_started_bot"] == 3


async def test_review_items_carry_the_checked_texts_and_where_each_reason_is(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await make_sender(database_of(app))
    headers = await headers_for(client, database_of(app), Role.MARKETER)
    text = "Hi {first_name}! Guaranteed results, risk-free: act now, 100% free money!"
    created = await _create(client, headers, [{"text": text}])
    assert created.json()["status"] == "pending_review"
    item = (await client.get(f"{API}/reviews", headers=headers)).json()["items"][0]
    assert item["texts"] == [
        {"variant_key": "A", "language": None, "text": text.replace("{first_name}", "Alex")}
    ]
    located = [r for r in item["risk_reasons"] if r["span"] is not None]
    assert located, item["risk_reasons"]
    checked = item["texts"][0]["text"]
    for reason in located:
        start, end = reason["span"]
        assert reason["variant_key"] == "A" and 0 <= start < end <= len(checked)
    flagged = {checked[r["span"][0] : r["span"][1]].lower() for r in located}
    assert any("guaranteed" in f or "free money" in f for f in flagged), flagged

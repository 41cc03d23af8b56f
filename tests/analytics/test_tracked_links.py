"""Tracked links: URLs rewritten per delivery, clicks of people counted, previews ignored."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.analytics import service as analytics
from marketing_agent.core import clock
from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.telegram.transport import OutgoingMessage, SendOutcome, SendStatus
from tests.analytics.factories import make_campaign
from tests.factories import database_of, grant_consent, headers_for, make_contacts, transports_of

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari"
TELEGRAM_PREVIEW = "TelegramBot (like TwitterBot)"
TARGET = "https://shop.example.com/boots?size=42"


def _tracker(settings: Settings) -> analytics.LinkTracker:
    assert settings.secret_key is not None
    return analytics.tracker_of(settings, settings.secret_key.get_secret_value())


def _link(settings: Settings, *, campaign_id: int = 1, contact_id: int = 7, days_ago: float = 0):
    text = analytics.track_links(
        f"Boots are 20% off: {TARGET}.",
        tracker=_tracker(settings),
        delivery_id=11,
        campaign_id=campaign_id,
        contact_id=contact_id,
        variant_key="A",
        now=clock.now() - timedelta(days=days_ago),
    )
    return text.split(": ", 1)[1].removesuffix(".")


def test_every_url_is_rewritten_and_sentence_punctuation_kept(settings: Settings) -> None:
    text = "See https://a.example/x, and (https://b.example/y). Or https://a.example/x!"

    tracked = analytics.track_links(
        text,
        tracker=_tracker(settings),
        delivery_id=1,
        campaign_id=2,
        contact_id=3,
        variant_key="B",
        now=clock.now(),
    )

    assert "example" not in tracked
    assert tracked.count("http://127.0.0.1:8000/r/") == 3
    assert tracked.startswith("See http://127.0.0.1:8000/r/")
    assert "), and (" not in tracked and tracked.endswith("!")
    assert ", and (" in tracked and "). Or " in tracked


def test_a_token_reveals_nothing_and_cannot_be_forged(settings: Settings) -> None:
    tracker = _tracker(settings)
    token = _link(settings).rsplit("/", 1)[1]
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))

    assert b"shop.example.com" not in raw and b"boots" not in raw
    link = analytics.read_token(token, tracker=tracker, now=clock.now())
    assert (link.campaign_id, link.contact_id, link.target_url) == (1, 7, TARGET)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(analytics.LinkInvalid):
        analytics.read_token(flipped, tracker=tracker, now=clock.now())
    other = analytics.link_tracker(secret_key="another", public_url="http://x", ttl_days=90)
    with pytest.raises(analytics.LinkInvalid):
        analytics.read_token(token, tracker=other, now=clock.now())


async def test_a_click_redirects_with_utm_and_counts_the_person_once(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    cid = await make_campaign(database_of(app), settings)
    [contact_id] = await make_contacts(database_of(app), 1, sender_id=None)
    path = urlsplit(_link(settings, campaign_id=cid, contact_id=contact_id)).path

    first = await client.get(path, headers={"User-Agent": BROWSER})
    again = await client.get(path, headers={"User-Agent": BROWSER})

    assert first.status_code == again.status_code == 302
    location = urlsplit(first.headers["location"])
    assert location.netloc == "shop.example.com" and location.path == "/boots"
    query = parse_qs(location.query)
    assert query["size"] == ["42"]
    assert query["utm_source"] == ["telegram"]
    assert query["utm_campaign"] == [f"campaign-{cid}"]
    assert query["utm_content"] == ["A"]
    assert query["ma_ref"] == [path.rsplit("/", 1)[1]]
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    stats = (await client.get(f"/api/v1/analytics/campaigns/{cid}/stats", headers=viewer)).json()
    assert stats["totals"]["clicked"] == 1


async def test_telegrams_preview_fetcher_and_crawlers_are_redirected_but_not_counted(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    cid = await make_campaign(database_of(app), settings)
    [contact_id] = await make_contacts(database_of(app), 1, sender_id=None)
    path = urlsplit(_link(settings, campaign_id=cid, contact_id=contact_id)).path

    for agent in (TELEGRAM_PREVIEW, "facebookexternalhit/1.1", "Googlebot/2.1", ""):
        response = await client.get(path, headers={"User-Agent": agent})
        assert response.status_code == 302

    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    stats = (await client.get(f"/api/v1/analytics/campaigns/{cid}/stats", headers=viewer)).json()
    assert stats["totals"]["clicked"] == 0


async def test_the_link_of_a_contact_who_no_longer_exists_redirects_without_recording(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    cid = await make_campaign(database_of(app), settings)
    path = urlsplit(_link(settings, campaign_id=cid, contact_id=424242)).path

    response = await client.get(path, headers={"User-Agent": BROWSER})

    assert response.status_code == 302
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    stats = (await client.get(f"/api/v1/analytics/campaigns/{cid}/stats", headers=viewer)).json()
    assert stats["totals"]["clicked"] == 0


async def test_a_bad_or_expired_link_gets_a_friendly_page(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    expired = urlsplit(_link(settings, days_ago=settings.link_ttl_days + 1)).path

    bad = await client.get("/r/not-a-token", headers={"User-Agent": BROWSER})
    old = await client.get(expired, headers={"User-Agent": BROWSER})

    assert bad.status_code == 404
    assert old.status_code == 410
    for response in (bad, old):
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>" in response.text


async def test_the_worker_sends_tracked_links_after_checking_the_real_text(
    app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    cid = await make_campaign(db, settings, text=f"Hi {{first_name}}, boots: {TARGET}")
    async with db.session() as session:
        campaign = await flows.submit_campaign(
            session=session, settings=settings, campaign_id=cid, actor="test"
        )
        sender_id = campaign.sender_id
    [contact_id] = await make_contacts(db, 1, sender_id=None)
    async with db.session() as session:
        await grant_consent(session, contact_id, sender_id, "marketing")
    async with db.session() as session:
        await flows.start_due_campaigns(session=session)
    sent: list[str] = []

    async def send(*, sender_id: int, profile_name: str, message: OutgoingMessage) -> SendOutcome:
        sent.append(message.text)
        return SendOutcome(status=SendStatus.SENT, message_id=len(sent))

    worker = DeliveryWorker(db, transports=transports_of(db), send=send, links=_tracker(settings))
    for _ in range(10):
        if not await worker.run_once() and sent:
            break

    [text] = sent
    assert "shop.example.com" not in text
    token = text.split("/r/", 1)[1].split()[0]
    link = analytics.read_token(token, tracker=_tracker(settings), now=clock.now())
    assert (link.campaign_id, link.contact_id, link.target_url) == (cid, contact_id, TARGET)

"""Conversions from the shop: batches kept event by event, signed webhooks, attribution."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from marketing_agent.analytics import conversions
from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.schemas import EventCreate
from marketing_agent.core import clock
from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from tests.analytics.factories import make_campaign
from tests.factories import database_of, headers_for, make_contacts

SECRET = "s3cret-of-the-shop"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"conversion_webhook_secrets": SecretStr(f"shop:{SECRET},pos:other")}
    )


async def _sent(app: FastAPI, settings: Settings, days_ago: float) -> tuple[int, int]:
    """Returns (campaign, contact) of a send to a new contact `days_ago` days ago."""
    db = database_of(app)
    cid = await make_campaign(db, settings)
    [contact_id] = await make_contacts(db, 1, sender_id=None)
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                EventCreate(
                    type="sent",
                    campaign_id=cid,
                    variant_key="A",
                    contact_id=contact_id,
                    occurred_at=clock.now() - timedelta(days=days_ago),
                )
            ],
        )
    return cid, contact_id


def _conversion(event_id: str, **extra: object) -> dict[str, object]:
    return {"id": event_id, "occurred_at": clock.now().isoformat(), **extra}


async def _totals(client: httpx.AsyncClient, app: FastAPI, cid: int) -> dict:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    response = await client.get(f"/api/v1/analytics/campaigns/{cid}/stats", headers=viewer)
    return response.json()["totals"]


async def test_a_batch_keeps_the_good_events_and_says_why_the_bad_are_refused(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    cid, five = await _sent(app, settings, days_ago=1)
    analyst = await headers_for(client, database_of(app), Role.ANALYST)
    events = [
        _conversion("o-1", contact_id=five, value="19.90", currency="USD"),
        {"id": "o-2", "contact_id": five, "value": "-1", "currency": "usd"},  # three faults
        _conversion("o-3"),  # names neither link nor contact
        _conversion("o-1", contact_id=five, value="19.90", currency="USD"),  # same id again
        _conversion("o-4", contact_id=99_999),  # never sent anything
        _conversion("o-5", contact_id=2**63),  # beyond any database id
    ]

    response = await client.post(
        "/api/v1/analytics/conversions", json={"source": "shop", "events": events}, headers=analyst
    )
    again = await client.post(
        "/api/v1/analytics/conversions",
        json={"source": "shop", "events": events[:1]},
        headers=analyst,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "recorded",
        "rejected",
        "rejected",
        "duplicate",
        "unattributed",
        "rejected",
    ]
    bad_fields = {tuple(e["loc"]) for e in body["results"][1]["errors"]}
    assert {
        ("body", "events", 1, "occurred_at"),
        ("body", "events", 1, "value"),
        ("body", "events", 1, "currency"),
    } <= bad_fields
    assert "ref" in body["results"][2]["errors"][0]["msg"]
    assert again.json()["results"][0]["status"] == "duplicate"
    totals = await _totals(client, app, cid)
    assert totals["converted"] == 1
    assert totals["revenue_usd_micros"] == 19_900_000


async def test_attribution_by_tracked_link_holds_only_within_the_window(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    cid = await make_campaign(database_of(app), settings)
    [contact_id] = await make_contacts(database_of(app), 1, sender_id=None)
    assert settings.secret_key is not None
    tracker = analytics.tracker_of(settings, settings.secret_key.get_secret_value())

    def ref(days_ago: float, contact: int | None = None) -> str:
        text = analytics.track_links(
            "https://shop.example.com/",
            tracker=tracker,
            delivery_id=1,
            campaign_id=cid,
            contact_id=contact or contact_id,
            variant_key="A",
            now=clock.now() - timedelta(days=days_ago),
        )
        return text.rsplit("/", 1)[1]

    window = settings.attribution_window_days
    analyst = await headers_for(client, database_of(app), Role.ANALYST)
    events = [
        _conversion("in", ref=ref(window - 0.5), value="5", currency="EUR"),
        _conversion("gone", ref=ref(1, contact=424_242)),  # that person no longer exists
        _conversion("late", ref=ref(window + 0.5)),
        _conversion("forged", ref=ref(1)[:-3] + "xyz"),
    ]

    response = await client.post(
        "/api/v1/analytics/conversions", json={"source": "shop", "events": events}, headers=analyst
    )

    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["recorded", "unattributed", "unattributed", "unattributed"]
    totals = await _totals(client, app, cid)
    assert totals["converted"] == 1
    assert totals["revenue_usd_micros"] == 0  # euros are not summed as dollars


async def test_a_conversion_after_the_window_is_not_attributed_to_the_send(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    _, six = await _sent(app, settings, days_ago=settings.attribution_window_days + 1)
    analyst = await headers_for(client, database_of(app), Role.ANALYST)

    response = await client.post(
        "/api/v1/analytics/conversions",
        json={"source": "shop", "events": [_conversion("o-9", contact_id=six)]},
        headers=analyst,
    )

    assert response.json()["results"][0]["status"] == "unattributed"


def _signed(body: bytes, *, secret: str = SECRET, age_s: float = 0) -> dict[str, str]:
    timestamp = str(int(clock.now().timestamp() - age_s))
    signature = conversions.sign(secret=secret, timestamp=timestamp, body=body)
    return {
        "X-MA-Timestamp": timestamp,
        "X-MA-Signature": f"sha256={signature}",
        "Content-Type": "application/json",
    }


async def test_a_signed_webhook_records_once_and_a_replay_is_a_duplicate(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    cid, seven = await _sent(app, settings, days_ago=0.1)
    body = json.dumps(_conversion("w-1", contact_id=seven, value="30", currency="USD")).encode()
    headers = _signed(body)

    first = await client.post("/api/v1/analytics/webhooks/shop", content=body, headers=headers)
    replay = await client.post("/api/v1/analytics/webhooks/shop", content=body, headers=headers)

    assert first.status_code == 200, first.text
    assert first.json()["results"][0]["status"] == "recorded"
    assert replay.status_code == 200
    assert replay.json()["results"][0]["status"] == "duplicate"
    totals = await _totals(client, app, cid)
    assert (totals["converted"], totals["revenue_usd_micros"]) == (1, 30_000_000)


async def test_a_webhook_with_a_bad_signature_stale_time_or_unknown_source_is_refused(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    cid, nine = await _sent(app, settings, days_ago=0.1)
    body = json.dumps(_conversion("w-2", contact_id=nine)).encode()
    url = "/api/v1/analytics/webhooks/shop"

    forged = await client.post(url, content=body, headers=_signed(body, secret="guess"))
    tampered = await client.post(url, content=body.replace(b"w-2", b"w-3"), headers=_signed(body))
    stale = await client.post(
        url, content=body, headers=_signed(body, age_s=settings.webhook_tolerance_s + 60)
    )
    unknown = await client.post(
        "/api/v1/analytics/webhooks/nobody", content=body, headers=_signed(body)
    )

    for response in (forged, tampered, stale, unknown):
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert "from now" in stale.json()["detail"]
    assert (await _totals(client, app, cid))["converted"] == 0


async def test_a_signed_webhook_with_a_bad_event_is_a_422_with_its_reasons(
    client: httpx.AsyncClient,
) -> None:
    body = json.dumps({"id": "w-4", "occurred_at": "yesterday", "contact_id": 1}).encode()

    response = await client.post(
        "/api/v1/analytics/webhooks/shop", content=body, headers=_signed(body)
    )

    assert response.status_code == 422
    assert ["body", "events", 0, "occurred_at"] in [e["loc"] for e in response.json()["errors"]]

"""The analytics routes through the real app: stats and funnels to readers, events from analysts."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI

from marketing_agent.analytics import service as analytics
from marketing_agent.core import clock
from marketing_agent.core.auth import Role
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.settings import Settings
from tests.analytics.factories import T0, journey, make_campaign
from tests.factories import (
    database_of,
    drive,
    headers_for,
    make_contacts,
    make_sender,
    start_campaign,
)


async def test_a_viewer_sees_stats_and_funnel(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    cid = await make_campaign(db, settings, sender_kind="user")
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                *journey(1, ["sent", "read", "clicked"], campaign_id=cid),
                *journey(2, ["sent", "clicked"], campaign_id=cid),
            ],
        )
    viewer = await headers_for(client, db, Role.VIEWER)

    stats = await client.get(f"/api/v1/analytics/campaigns/{cid}/stats", headers=viewer)
    funnel = await client.get(
        f"/api/v1/analytics/campaigns/{cid}/funnel",
        params={"steps": ["sent", "read", "clicked"]},
        headers=viewer,
    )

    assert stats.status_code == 200
    assert stats.json()["totals"] | {"sent": 2, "clicked": 2} == stats.json()["totals"]
    assert funnel.status_code == 200
    assert [s["count"] for s in funnel.json()["steps"]] == [2, 1, 1]


async def _campaign_and_contact(client: httpx.AsyncClient, app: FastAPI) -> tuple[int, int]:
    db = database_of(app)
    sender_id = await make_sender(db)
    [contact_id] = await make_contacts(db, 1, sender_id=sender_id)
    campaign = await client.post(
        "/api/v1/orchestrator/campaigns",
        json={"name": "boots", "goal": "a sale", "variants": [{"text": "Boots 20% off"}]},
        headers=await headers_for(client, db),
    )
    assert campaign.status_code == 201, campaign.text
    return campaign.json()["id"], contact_id


async def test_an_analyst_posts_a_shops_conversion(client: httpx.AsyncClient, app: FastAPI) -> None:
    campaign_id, contact_id = await _campaign_and_contact(client, app)
    analyst = await headers_for(client, database_of(app), Role.ANALYST)
    body = {
        "type": "converted",
        "campaign_id": campaign_id,
        "contact_id": contact_id,
        "value_usd_micros": 12_000_000,
        "occurred_at": T0.isoformat(),
    }

    response = await client.post("/api/v1/analytics/events", json=body, headers=analyst)
    stats = await client.get(f"/api/v1/analytics/campaigns/{campaign_id}/stats", headers=analyst)

    assert response.status_code == 201
    assert response.json()["id"] > 0
    assert stats.json()["totals"]["revenue_usd_micros"] == 12_000_000


async def test_a_viewer_cannot_post_events(client: httpx.AsyncClient, app: FastAPI) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)

    response = await client.post(
        "/api/v1/analytics/events", json={"type": "clicked", "campaign_id": 1}, headers=viewer
    )

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "analytics:write" in response.json()["detail"]


async def test_stats_need_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/analytics/campaigns/1/stats")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_bad_events_are_refused_with_every_reason(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    analyst = await headers_for(client, database_of(app), Role.ANALYST)

    unknown = await client.post("/api/v1/analytics/events", json={"type": "liked"}, headers=analyst)
    orphan = await client.post(
        "/api/v1/analytics/events",
        json={"type": "converted", "contact_id": 0, "occurred_at": "2026-03-01T12:00:00"},
        headers=analyst,
    )
    revenue_on_click = await client.post(
        "/api/v1/analytics/events",
        json={"type": "clicked", "campaign_id": 1, "value_usd_micros": 5},
        headers=analyst,
    )

    assert unknown.status_code == 422
    assert orphan.status_code == 422
    assert orphan.headers["content-type"].startswith("application/problem+json")
    bad_fields = {tuple(e["loc"]) for e in orphan.json()["errors"]}
    assert bad_fields == {
        ("body", "campaign_id"),
        ("body", "contact_id"),
        ("body", "occurred_at"),
    }
    assert revenue_on_click.status_code == 422


async def test_events_must_name_a_campaign_contact_and_sender_that_exist(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    campaign_id, contact_id = await _campaign_and_contact(client, app)
    analyst = await headers_for(client, database_of(app), Role.ANALYST)

    missing = await client.post(
        "/api/v1/analytics/events",
        json={"type": "clicked", "campaign_id": 999_999, "contact_id": 888_888, "sender_id": 77},
        headers=analyst,
    )
    known = await client.post(
        "/api/v1/analytics/events",
        json={"type": "clicked", "campaign_id": campaign_id, "contact_id": contact_id},
        headers=analyst,
    )

    assert missing.status_code == 422, missing.text
    assert {tuple(e["loc"]) for e in missing.json()["errors"]} == {
        ("body", "campaign_id"),
        ("body", "contact_id"),
        ("body", "sender_id"),
    }
    assert known.status_code == 201, known.text
    stats = await client.get("/api/v1/analytics/campaigns/999999/stats", headers=analyst)
    assert stats.status_code == 404  # no such campaign (and nothing was recorded for it)


async def test_an_event_after_completion_moves_the_campaigns_last_event_time(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    [contact_id] = await make_contacts(db, 1, sender_id=sender_id)
    campaign_id = await start_campaign(db, settings, sender_id=sender_id)
    await drive(db, virtual_clock, until=clock.now() + timedelta(hours=1))
    analyst = await headers_for(client, db, Role.ANALYST)
    url = f"/api/v1/orchestrator/campaigns/{campaign_id}"
    done = (await client.get(url, headers=analyst)).json()
    assert done["status"] == "completed"
    completed_at = datetime.fromisoformat(done["completed_at"])
    stats_url = f"/api/v1/analytics/campaigns/{campaign_id}/stats"
    sent = (await client.get(stats_url, headers=analyst)).json()

    # Two days later the contact buys: the campaign's results moved, long after it completed.
    virtual_clock.advance(2 * 86_400)
    analyst = await headers_for(client, db, Role.ANALYST)  # yesterday's token has expired
    bought = await client.post(
        "/api/v1/analytics/events",
        json={"type": "converted", "campaign_id": campaign_id, "contact_id": contact_id},
        headers=analyst,
    )
    assert bought.status_code == 201, bought.text
    later = (await client.get(stats_url, headers=analyst)).json()

    assert datetime.fromisoformat(sent["last_event_at"]) <= completed_at
    assert datetime.fromisoformat(later["last_event_at"]) == clock.now()
    assert clock.now() - completed_at >= timedelta(days=2)

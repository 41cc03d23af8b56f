"""The analytics routes through the real app: stats and funnels to readers, events from analysts."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.analytics import service as analytics
from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from tests.analytics.factories import T0, journey, make_campaign
from tests.factories import database_of, headers_for


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


async def test_an_analyst_posts_a_shops_conversion(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    analyst = await headers_for(client, database_of(app), Role.ANALYST)
    cid = await make_campaign(database_of(app), settings)
    body = {
        "type": "converted",
        "campaign_id": cid,
        "contact_id": 5,
        "value_usd_micros": 12_000_000,
        "occurred_at": T0.isoformat(),
    }

    response = await client.post("/api/v1/analytics/events", json=body, headers=analyst)
    stats = await client.get(f"/api/v1/analytics/campaigns/{cid}/stats", headers=analyst)

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

from __future__ import annotations

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.api import router
from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from tests.analytics.factories import T0, api_client, journey


async def test_a_viewer_sees_stats_and_funnel(db: Database) -> None:
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[*journey(1, ["sent", "read", "clicked"]), *journey(2, ["sent", "clicked"])],
        )

    async with api_client(db, router, role=Role.VIEWER) as client:
        stats = await client.get("/api/v1/analytics/campaigns/1/stats")
        funnel = await client.get(
            "/api/v1/analytics/campaigns/1/funnel", params={"steps": ["sent", "read", "clicked"]}
        )

    assert stats.status_code == 200
    assert stats.json()["totals"] | {"sent": 2, "clicked": 2} == stats.json()["totals"]
    assert funnel.status_code == 200
    assert [s["count"] for s in funnel.json()["steps"]] == [2, 1, 1]


async def test_an_analyst_posts_a_shops_conversion(db: Database) -> None:
    body = {
        "type": "converted",
        "campaign_id": 1,
        "contact_id": 5,
        "value_usd_micros": 12_000_000,
        "occurred_at": T0.isoformat(),
    }

    async with api_client(db, router, role=Role.ANALYST) as client:
        response = await client.post("/api/v1/analytics/events", json=body)
        stats = await client.get("/api/v1/analytics/campaigns/1/stats")

    assert response.status_code == 201
    assert response.json()["id"] > 0
    assert stats.json()["totals"]["revenue_usd_micros"] == 12_000_000


async def test_a_viewer_cannot_post_events(db: Database) -> None:
    async with api_client(db, router, role=Role.VIEWER) as client:
        response = await client.post(
            "/api/v1/analytics/events", json={"type": "clicked", "campaign_id": 1}
        )

    assert response.status_code == 403


async def test_bad_events_are_refused_with_every_reason(db: Database) -> None:
    async with api_client(db, router, role=Role.ANALYST) as client:
        unknown = await client.post("/api/v1/analytics/events", json={"type": "liked"})
        orphan = await client.post(
            "/api/v1/analytics/events",
            json={"type": "converted", "contact_id": 0, "occurred_at": "2026-03-01T12:00:00"},
        )
        revenue_on_click = await client.post(
            "/api/v1/analytics/events",
            json={"type": "clicked", "campaign_id": 1, "value_usd_micros": 5},
        )

    assert unknown.status_code == 422
    assert orphan.status_code == 422
    bad_fields = {tuple(e["loc"]) for e in orphan.json()["detail"]}
    assert bad_fields == {
        ("body", "campaign_id"),
        ("body", "contact_id"),
        ("body", "occurred_at"),
    }
    assert revenue_on_click.status_code == 422

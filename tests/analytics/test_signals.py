"""Campaign stats say what the sender can observe: a bot's reads are unknown, not zero."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.analytics import service as analytics
from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from tests.analytics.factories import journey, make_campaign
from tests.factories import database_of, headers_for


async def _stats(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, sender_kind: str
) -> dict:
    db = database_of(app)
    cid = await make_campaign(db, settings, sender_kind=sender_kind)
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                *journey(1, ["sent", "delivered", "clicked"], campaign_id=cid),
                *journey(2, ["sent", "delivered"], campaign_id=cid),
            ],
        )
    viewer = await headers_for(client, db, Role.VIEWER)
    response = await client.get(f"/api/v1/analytics/campaigns/{cid}/stats", headers=viewer)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_bot_campaign_shows_reads_as_unobservable_not_zero(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    stats = await _stats(client, app, settings, "bot")

    assert stats["sender_kind"] == "bot"
    assert stats["observable"]["read"] is False
    assert stats["observable"]["clicked"] is True
    assert "Bots cannot see reads" in stats["unobservable_reasons"]["read"]
    assert stats["totals"]["read"] is None
    assert all(v["read"] is None for v in stats["variants"])
    assert stats["totals"]["delivered"] == 2
    assert stats["totals"]["clicked"] == 1


async def test_a_user_account_campaign_measures_reads(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    stats = await _stats(client, app, settings, "user")

    assert stats["sender_kind"] == "user"
    assert stats["observable"]["read"] is True
    assert stats["unobservable_reasons"] == {}
    assert stats["totals"]["read"] == 0  # measured: nobody read it yet


async def test_stats_of_a_campaign_that_does_not_exist_are_404(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)

    response = await client.get("/api/v1/analytics/campaigns/999/stats", headers=viewer)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")

"""The launch preview plans a test on the rate earlier campaigns observed, and names the source:
the same audience's campaigns, else the workspace's, else an assumed 3%."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.analytics import service as analytics
from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from marketing_agent.experiments import power
from tests.experiments.test_campaign_results import sends_and_conversions
from tests.factories import database_of, headers_for, make_contacts, make_sender

API = "/api/v1/orchestrator"
TEXTS = ["Spring jackets are 15% off this week.", "Spring jackets: 15% off until Sunday."]


async def _campaign(
    client: httpx.AsyncClient, headers: dict[str, str], segment_id: int | None = None
) -> int:
    body = {
        "name": "Jackets",
        "goal": "Spring jackets",
        "variants": [{"text": t} for t in TEXTS],
        "segment_id": segment_id,
    }
    response = await client.post(f"{API}/campaigns", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _segment(client: httpx.AsyncClient, headers: dict[str, str], tag: str) -> int:
    body = {"name": tag, "filter": {"tags_any": [tag]}}
    response = await client.post(f"{API}/segments", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _results(db: Database, campaign_id: int, *, sent: int, converted: int) -> None:
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=sends_and_conversions(
                "A", sent=sent, converted=converted, first_contact=1, campaign_id=campaign_id
            ),
        )


async def _base_rate(client: httpx.AsyncClient, headers: dict[str, str], campaign_id: int) -> dict:
    response = await client.get(f"{API}/campaigns/{campaign_id}/launch-preview", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json()["base_rate"])


async def test_without_earlier_results_the_preview_says_the_3_percent_is_assumed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db, Role.MARKETER)
    campaign_id = await _campaign(client, headers)

    rate = await _base_rate(client, headers, campaign_id)

    assert rate["source"] == "assumed" and rate["rate"] == power.ASSUMED_BASE_RATE
    assert rate["reason"] == (
        "Planned on an assumed 3% conversion rate: this audience has no earlier campaign, the "
        "workspace has no earlier campaign (a rate is planned on from 10 converted)."
    )


async def test_the_audiences_own_campaigns_come_first_then_the_workspaces(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 4, sender_id=sender_id, tags=["vip"])
    headers = await headers_for(client, db, Role.MARKETER)
    vip = await _segment(client, headers, "vip")
    elsewhere = await _campaign(client, headers)  # to all contacts
    await _results(db, elsewhere, sent=400, converted=20)
    first_to_vip = await _campaign(client, headers, vip)
    await _results(db, first_to_vip, sent=300, converted=3)
    draft = await _campaign(client, headers, vip)

    # The VIPs' one earlier campaign has 3 conversions: too few, so the workspace's rate.
    rate = await _base_rate(client, headers, draft)
    assert rate["source"] == "workspace"
    assert (rate["campaigns"], rate["sent"], rate["successes"]) == (2, 700, 23)
    assert rate["reason"] == (
        "Planned on a 3.29% conversion rate: the workspace's 2 earlier campaigns (23 converted "
        "of 700 sent); this audience's earlier campaign has only 3 converted of 300 sent."
    )

    # Once the VIPs' campaigns have enough, their own rate is the one planned on.
    second_to_vip = await _campaign(client, headers, vip)
    await _results(db, second_to_vip, sent=500, converted=30)
    rate = await _base_rate(client, headers, draft)
    assert rate["source"] == "audience" and rate["rate"] == 33 / 800
    assert rate["reason"] == (
        "Planned on a 4.12% conversion rate: this audience's 2 earlier campaigns (33 converted "
        "of 800 sent)."
    )
    # The campaign's own results never plan its own test.
    await _results(db, draft, sent=100, converted=90)
    assert (await _base_rate(client, headers, draft))["rate"] == 33 / 800

    # The sample-size plan on that rate is the one Submit shows.
    plan = await client.post(
        "/api/v1/experiments/sample-size",
        headers=headers,
        json={"base_rate": rate["rate"], "minimum_detectable_lift": 0.1, "audience": 4},
    )
    assert "on a 4.12% rate at 80% power" in plan.json()["reason"]


async def test_a_campaign_rewarded_by_clicks_is_planned_on_the_click_rate(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db, Role.MARKETER)
    earlier = await _campaign(client, headers)
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                event.model_copy(update={"type": analytics.EventType.CLICKED})
                if event.type == analytics.EventType.CONVERTED
                else event
                for event in sends_and_conversions(
                    "A", sent=200, converted=50, first_contact=1, campaign_id=earlier
                )
            ],
        )
    draft = await _campaign(client, headers)
    rollout = await client.put(
        f"/api/v1/experiments/campaigns/{draft}/rollout",
        headers=headers,
        json={"mode": "fixed", "reward": "clicked"},
    )
    assert rollout.status_code == 200, rollout.text

    rate = await _base_rate(client, headers, draft)

    assert (rate["source"], rate["metric"], rate["rate"]) == ("audience", "clicked", 0.25)
    assert rate["reason"].startswith("Planned on a 25.00% click rate: this audience's earlier")

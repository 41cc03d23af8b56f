"""The seed's three flows through the API: creation, sending, and the human in the loop."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core.db import Database
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator.worker import DeliveryWorker
from tests.factories import (
    database_of,
    headers_for,
    make_contacts,
    make_sender,
    runtime_of,
    transports_of,
)

SAFE = [
    {"text": "Hi {first_name}, our winter boots are 20% off this week."},
    {"text": "Hello {first_name}! Winter boots: 20% off until Sunday."},
]
RISKY_BRIEF = "Guaranteed results: act now to double your money with our boots"


async def run_until_idle(db: Database) -> None:
    """Drives the scheduler and the worker the way the running app does, until nothing is left."""
    worker = DeliveryWorker(
        db, transports=transports_of(db), limits=runtime_of(db).limits
    )  # the runtime's one limiter set
    for _ in range(50):
        await scheduled.tick(runtime_of(db))
        if not await worker.run_once():
            await scheduled.tick(runtime_of(db))
            return


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:
    response = await client.post("/api/v1/orchestrator/campaigns", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_safe_campaign_from_the_strategist_is_a_draft(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)
    campaign = await create(
        client, headers, name="Winter", goal="Announce our winter boots sale", variant_count=3
    )
    assert campaign["status"] == "draft"
    assert [v["key"] for v in campaign["variants"]] == ["A", "B", "C"]
    assert campaign["agent_offline"] is True
    assert campaign["strategy"]


async def test_risky_campaign_goes_to_the_review_queue(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)
    campaign = await create(
        client, headers, name="Risky", goal=RISKY_BRIEF, variants=[{"text": RISKY_BRIEF}]
    )
    assert campaign["status"] == "pending_review"
    assert campaign["risk_score"] >= 0.5
    reviews = (await client.get("/api/v1/orchestrator/reviews", headers=headers)).json()
    assert [r["campaign_id"] for r in reviews["items"]] == [campaign["id"]]
    assert reviews["items"][0]["risk_reasons"]


async def test_sending_flow_reaches_every_consenting_contact_and_counts_per_variant(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 40, sender_id=sender_id)
    headers = await headers_for(client, db)
    campaign = await create(client, headers, name="Boots", goal="Boots sale", variants=SAFE)
    submitted = await client.post(
        f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers
    )
    assert submitted.json()["status"] == "scheduled"

    await run_until_idle(db)

    final = (
        await client.get(f"/api/v1/orchestrator/campaigns/{campaign['id']}", headers=headers)
    ).json()
    assert final["status"] == "completed"
    assert final["delivery_counts"]["sent"] == 40
    stats = (
        await client.get(f"/api/v1/analytics/campaigns/{campaign['id']}/stats", headers=headers)
    ).json()
    per_variant = {v["variant_key"]: v["sent"] for v in stats["variants"]}
    assert set(per_variant) == {"A", "B"} and sum(per_variant.values()) == 40
    assert stats["totals"]["delivered"] == 40


@pytest.mark.parametrize("approve", [True, False])
async def test_reviewer_decision_sends_or_cancels(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object, approve: bool
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 5, sender_id=sender_id)
    marketer = await headers_for(client, db)
    from marketing_agent.core.auth import Role

    reviewer = await headers_for(client, db, Role.REVIEWER)
    campaign = await create(
        client,
        marketer,
        name="Risky",
        goal=RISKY_BRIEF,
        variants=[{"text": "Guaranteed: act now, {first_name}!"}],
    )
    review_id = (await client.get("/api/v1/orchestrator/reviews", headers=reviewer)).json()[
        "items"
    ][0]["id"]
    action = "approve" if approve else "reject"
    decided = await client.post(
        f"/api/v1/orchestrator/reviews/{review_id}/{action}",
        json={"note": "checked"},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["decided_by"].startswith("user:reviewer")
    await run_until_idle(db)

    final = (
        await client.get(f"/api/v1/orchestrator/campaigns/{campaign['id']}", headers=marketer)
    ).json()
    if approve:
        assert final["status"] == "completed"
        assert final["delivery_counts"]["sent"] == 5
    else:
        assert final["status"] == "cancelled"
        assert final["delivery_counts"]["sent"] == 0
    again = await client.post(f"/api/v1/orchestrator/reviews/{review_id}/approve", headers=reviewer)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_illegal_transition_is_a_clear_409(client: httpx.AsyncClient, app: FastAPI) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)
    campaign = await create(client, headers, name="Draft", goal="Boots", variants=SAFE)
    response = await client.post(
        f"/api/v1/orchestrator/campaigns/{campaign['id']}/pause", headers=headers
    )
    assert response.status_code == 409
    problem = response.json()
    assert "draft" in problem["detail"] and "paused" in problem["detail"]

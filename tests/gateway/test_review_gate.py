"""The review gate cannot be bypassed: nobody approves a campaign they created or submitted."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from tests.factories import database_of, headers_for, make_contacts, make_sender

RISKY = {
    "name": "Risky",
    "goal": "Guaranteed results: act now to double your money with our boots",
    "variants": [{"text": "Guaranteed: act now, {first_name}!"}],
}


async def _open_review(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    created = await client.post("/api/v1/orchestrator/campaigns", json=RISKY, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending_review"
    reviews = (await client.get("/api/v1/orchestrator/reviews", headers=headers)).json()
    return int(reviews["items"][0]["id"])


async def test_the_creator_of_a_campaign_cannot_approve_it_even_as_admin(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_contacts(db, 2, sender_id=await make_sender(db))
    author = await headers_for(client, db, Role.ADMIN)
    review_id = await _open_review(client, author)

    refused = await client.post(f"/api/v1/orchestrator/reviews/{review_id}/approve", headers=author)

    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "another reviewer must approve" in refused.json()["detail"]
    assert refused.json()["reason"] == "self-approval"
    reviewer = await headers_for(client, db, Role.REVIEWER)
    approved = await client.post(
        f"/api/v1/orchestrator/reviews/{review_id}/approve", headers=reviewer
    )
    assert approved.status_code == 200, approved.text


async def test_a_marketers_campaign_is_approved_by_someone_else_and_may_be_withdrawn(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_contacts(db, 2, sender_id=await make_sender(db))
    marketer = await headers_for(client, db, Role.MARKETER)
    review_id = await _open_review(client, marketer)
    admin = await headers_for(client, db, Role.ADMIN)

    approved = await client.post(f"/api/v1/orchestrator/reviews/{review_id}/approve", headers=admin)

    assert approved.status_code == 200
    assert approved.json()["decided_by"].startswith("user:admin")

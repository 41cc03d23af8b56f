"""Restriction of processing (GDPR art. 18) and the CCPA opt-out of sale and sharing, as the code
carries them out: completing either request withdraws every consent the person gave, so a
campaign already under way sends them nothing at send time, while their data stays held."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core.settings import Settings
from tests.factories import (
    database_of,
    deliveries,
    drain,
    headers_for,
    make_contacts,
    make_sender,
    start_campaign,
)


async def _carry_out(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> dict[str, object]:
    made = await client.post("/api/v1/compliance/requests", json=body, headers=headers)
    assert made.status_code == 201, made.text
    request_id = made.json()["id"]
    verified = await client.post(
        f"/api/v1/compliance/requests/{request_id}/verify",
        json={"method": "message from their own Telegram account to our bot"},
        headers=headers,
    )
    assert verified.status_code == 200, verified.text
    done = await client.post(f"/api/v1/compliance/requests/{request_id}/complete", headers=headers)
    assert done.status_code == 200, done.text
    return dict(done.json())


@pytest.mark.parametrize(("kind", "regime"), [("restriction", "gdpr"), ("ccpa_opt_out", "ccpa")])
async def test_the_person_gets_no_campaign_message_and_stays_in_the_data(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, kind: str, regime: str
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender_id = await make_sender(db)
    restricted, other = await make_contacts(db, 2, sender_id=sender_id)
    campaign_id = await start_campaign(db, settings, sender_id=sender_id)
    assert set(await deliveries(db, campaign_id)) == {restricted, other}

    done = await _carry_out(client, headers, kind=kind, regime=regime, contact_id=restricted)
    assert done["status"] == "completed"
    await drain(db)

    sent = await deliveries(db, campaign_id)
    assert sent[other].status == "sent"
    assert (sent[restricted].status, sent[restricted].reason) == ("skipped", "no_consent")
    assert sent[restricted].sent_at is None
    kept = await client.get(f"/api/v1/orchestrator/contacts/{restricted}", headers=headers)
    assert kept.status_code == 200, kept.text
    assert kept.json()["consent"] == "withdrawn"
    trail = (
        await client.get(
            "/api/v1/compliance/audit",
            params={"entity_type": "privacy_request", "entity_id": str(done["id"])},
            headers=headers,
        )
    ).json()["items"]
    assert trail, "the request's steps are audited"

"""The campaign list serves a page it read before only while nothing was committed since: a new
or edited campaign, and the delivery counts a worker in another process writes, show on the very
next read, on SQLite and on PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator.worker import DeliveryWorker
from tests.factories import (
    database_of,
    drain,
    headers_for,
    make_contacts,
    make_sender,
    start_campaign,
    transports_of,
)

API = "/api/v1/orchestrator/campaigns"


async def _list(client: httpx.AsyncClient, headers: dict[str, str], query: str = "") -> dict:
    response = await client.get(f"{API}{query}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    page: dict = response.json()
    return page


async def _shows_writes_of_the_api_itself(client: httpx.AsyncClient, db: Database) -> None:
    headers = await headers_for(client, db)
    sender_id = await make_sender(db)
    assert (await _list(client, headers))["total"] == 0
    assert (await _list(client, headers))["total"] == 0  # the kept page, still current
    body = {"name": "Spring", "goal": "Spring sale", "sender_id": sender_id}
    created = await client.post(
        API, headers=headers, json={**body, "variants": [{"text": "Spring boots, 20% off."}]}
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    page = await _list(client, headers)
    assert page["total"] == 1 and [c["name"] for c in page["items"]] == ["Spring"]

    renamed = await client.patch(f"{API}/{campaign_id}", headers=headers, json={"name": "Summer"})
    assert renamed.status_code == 200, renamed.text
    assert [c["name"] for c in (await _list(client, headers))["items"]] == ["Summer"]
    assert [c["name"] for c in (await _list(client, headers, "?q=Sum"))["items"]] == ["Summer"]

    archived = await client.post(f"{API}/{campaign_id}/archive", headers=headers)
    assert archived.status_code == 200, archived.text
    assert (await _list(client, headers))["total"] == 0
    assert [c["id"] for c in (await _list(client, headers, "?archived=true"))["items"]] == [
        campaign_id
    ]


async def test_the_list_shows_a_new_edited_or_archived_campaign_at_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await _shows_writes_of_the_api_itself(client, database_of(app))


@pytest.mark.postgres
async def test_the_list_shows_a_new_edited_or_archived_campaign_at_once_on_postgres(
    pg_client: httpx.AsyncClient, pg_app: FastAPI
) -> None:
    await _shows_writes_of_the_api_itself(pg_client, database_of(pg_app))


async def _shows_counts_of_another_process(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    headers = await headers_for(client, db)
    sender_id = await make_sender(db)
    await make_contacts(db, 30, sender_id=sender_id)
    campaign_id = await start_campaign(db, settings, sender_id=sender_id)
    before = await _list(client, headers)
    assert before["items"][0]["delivery_counts"]["queued"] == 30
    assert (await _list(client, headers)) == before

    # The worker process: an engine (connections) of its own on the same database.
    worker_db = Database(db.url)
    try:
        await drain(worker_db, DeliveryWorker(worker_db, transports=transports_of(db)))
    finally:
        await worker_db.dispose()
    after = (await _list(client, headers))["items"][0]
    assert after["id"] == campaign_id
    assert after["delivery_counts"]["sent"] == 30 and after["delivery_counts"]["queued"] == 0


async def test_the_list_shows_the_counts_a_worker_in_another_process_wrote(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, virtual_clock: VirtualClock
) -> None:
    await _shows_counts_of_another_process(client, database_of(app), settings)


@pytest.mark.postgres
async def test_the_list_shows_the_counts_a_worker_in_another_process_wrote_on_postgres(
    pg_client: httpx.AsyncClient,
    pg_app: FastAPI,
    settings: Settings,
    virtual_clock: VirtualClock,
) -> None:
    await _shows_counts_of_another_process(pg_client, database_of(pg_app), settings)

"""Segments are counted when saved: odd rules and a taken name give a clear answer, never a 500
(found by the schema fuzz)."""

from __future__ import annotations

from marketing_agent.core.db import Database
from tests.agent.factories import app_client, settings
from tests.factories import headers_for


async def test_a_long_lookback_rfm_rule_is_saved_and_counted(db: Database) -> None:
    segment = {
        "name": "bought in ten years",
        "filter": {
            "match": "all",
            "conditions": [
                {"kind": "rfm", "measure": "frequency", "op": "gt", "value": 0, "within_days": 3649}
            ],
        },
    }
    async with app_client(settings(), db) as client:
        headers = await headers_for(client, db)
        saved = await client.post("/api/v1/orchestrator/segments", json=segment, headers=headers)
    assert saved.status_code == 201, saved.text
    assert saved.json()["size"] == 0


async def test_an_attribute_compared_with_a_huge_number_is_saved_and_counted(db: Database) -> None:
    value = "0" * 300
    segment = {
        "name": "huge",
        "filter": {"conditions": [{"kind": "attribute", "key": "k", "op": "eq", "value": value}]},
    }
    async with app_client(settings(), db) as client:
        headers = await headers_for(client, db)
        saved = await client.post("/api/v1/orchestrator/segments", json=segment, headers=headers)
    assert saved.status_code in (201, 422), saved.text


async def test_a_second_segment_of_the_same_name_is_not_a_server_error(db: Database) -> None:
    segment = {"name": "0", "filter": {"conditions": []}}
    async with app_client(settings(), db) as client:
        headers = await headers_for(client, db)
        first = await client.post("/api/v1/orchestrator/segments", json=segment, headers=headers)
        second = await client.post("/api/v1/orchestrator/segments", json=segment, headers=headers)
    assert first.status_code == 201, first.text
    assert second.status_code == 409, second.text
    assert "exists" in second.json()["detail"]

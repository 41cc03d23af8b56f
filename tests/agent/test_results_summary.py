"""A campaign's results summary: its reach and the A/B experiment's verdict with how sure it is,
every figure from the analytics and experiments modules (no LLM), each citing its source."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.core.settings import Settings
from tests.agent.test_chat import sent_campaign
from tests.factories import database_of, headers_for


async def test_a_sent_campaigns_summary_quotes_its_results_and_the_experiments_certainty(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    campaign_id = await sent_campaign(db, settings, 12)
    headers = await headers_for(client, db)

    response = await client.get(f"/api/v1/agent/campaigns/{campaign_id}/summary", headers=headers)
    missing = await client.get("/api/v1/agent/campaigns/999/summary", headers=headers)

    assert response.status_code == 200, response.text
    summary = response.json()
    assert "sent to 12, delivered to 12" in summary["summary"]
    assert summary["summary"].count("[S1]") == 2
    assert summary["confidence"].startswith("Experiment (clicked of sent)")
    assert summary["unverified_figures"] == [] and summary["ai_generated"] is False
    assert summary["sources"][0]["tool"] == "campaign_results"
    assert missing.status_code == 404

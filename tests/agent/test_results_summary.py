"""A campaign's results summary: its reach and the A/B experiment's verdict with how sure it is,
every figure from the analytics and experiments modules, each citing its source. Written and
kept when the campaign completes: by the LLM within the budgets, else by fixed sentences."""

from __future__ import annotations

import dataclasses

import httpx
from fastapi import FastAPI

from marketing_agent.agent.schemas import Usage
from marketing_agent.agent.service import Strategist, record_usage
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import scheduled
from marketing_agent.runtime import Runtime
from tests.agent.fake_llm import chat_tool_calls, fake_llm
from tests.agent.test_chat import chat_text, openai_settings, sent_campaign
from tests.factories import database_of, headers_for, runtime_of


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
    assert summary["written_at"] is None, "not finished: built now, not kept"
    assert missing.status_code == 404


async def test_a_campaign_that_completes_has_its_summary_written_and_kept_offline(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    campaign_id = await sent_campaign(db, settings, 12)
    headers = await headers_for(client, db)

    await scheduled.tick(runtime_of(db))  # nothing left to send: completed, summary written

    summary = (
        await client.get(f"/api/v1/agent/campaigns/{campaign_id}/summary", headers=headers)
    ).json()
    assert summary["status"] == "completed" and summary["finished"] is True
    assert summary["written_at"] is not None
    assert "is completed: sent to 12, delivered to 12" in summary["summary"]
    assert (summary["provider"], summary["ai_generated"]) == ("offline", False)
    assert summary["sources"][0]["data"]["stats"]["totals"]["sent"] == 12


def _with_llm(db: Database, settings: Settings, url: str) -> tuple[Runtime, Strategist]:
    strategist = Strategist(openai_settings(settings, url), db.sessionmaker)
    return dataclasses.replace(runtime_of(db), strategist=strategist), strategist


async def test_with_an_llm_the_summary_it_writes_quotes_only_the_tools_figures(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    campaign_id = await sent_campaign(db, settings, 12)
    headers = await headers_for(client, db)
    script = [
        chat_tool_calls(
            ("c1", "campaign_results", {"campaign_id": campaign_id}),
            prompt_tokens=300,
            completion_tokens=20,
        ),
        chat_text("Boots reached all 12 people it was sent to [S1]; none clicked yet [S1]."),
    ]
    with fake_llm(script) as server:
        runtime, _ = _with_llm(db, settings, server.url)
        await scheduled.tick(runtime)

    summary = (
        await client.get(f"/api/v1/agent/campaigns/{campaign_id}/summary", headers=headers)
    ).json()
    assert summary["summary"] == (
        "Boots reached all 12 people it was sent to [S1]; none clicked yet [S1]."
    )
    assert summary["ai_generated"] is True and summary["provider"] == "openai"
    assert summary["confidence"].startswith("Experiment (clicked of sent)")
    offered = {t["function"]["name"] for r in server.requests for t in r.body["tools"]}
    assert offered == {"campaign_results"}, "the summary writer only reads results"
    usage = (
        await client.get(f"/api/v1/agent/usage?campaign_id={campaign_id}", headers=headers)
    ).json()
    assert usage["calls"] == 1, "the summary's cost counts against the campaign"


async def test_an_llm_summary_with_a_figure_no_tool_returned_is_set_aside(
    app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    campaign_id = await sent_campaign(db, settings, 12)
    invented = "Boots was sent to 12 people [S1] and 40% bought."
    script = [
        chat_tool_calls(
            ("c1", "campaign_results", {"campaign_id": campaign_id}),
            prompt_tokens=300,
            completion_tokens=20,
        ),
        chat_text(invented),
        chat_text(invented),  # asked to fix it, the model insists
    ]
    with fake_llm(script) as server:
        runtime, strategist = _with_llm(db, settings, server.url)
        await scheduled.tick(runtime)
        principal = scheduled.summary_writer()
        summary = await strategist.results_summary(campaign_id=campaign_id, principal=principal)

    assert "40%" not in summary.summary and "sent to 12, delivered to 12" in summary.summary
    assert summary.ai_generated is False and summary.written_at is not None
    assert any("40%" in note and "set aside" in note for note in summary.notes)


async def test_a_campaign_whose_llm_budget_is_used_up_gets_the_fixed_summary_at_no_cost(
    app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    campaign_id = await sent_campaign(db, settings, 12)
    async with db.session() as session:
        spent = Usage(provider="openai", model="m", cost_usd_micros=2_000_000)
        await record_usage(session=session, usage=spent, purpose="chat", campaign_id=campaign_id)
    with fake_llm([]) as server:
        runtime, strategist = _with_llm(db, settings, server.url)
        await strategist.set_campaign_budget(campaign_id=campaign_id, limit_usd=1.0, actor="t")
        await scheduled.tick(runtime)
        principal = scheduled.summary_writer()
        summary = await strategist.results_summary(campaign_id=campaign_id, principal=principal)

    assert server.requests == [], "no call over the budget"
    assert summary.written_at is not None and summary.ai_generated is False
    assert "sent to 12" in summary.summary
    assert any("budget" in note.lower() for note in summary.notes)

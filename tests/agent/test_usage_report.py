"""What the strategist cost, per call, per campaign and per month, as the API and the CLI show
it (the ledger every plan, chat answer and summary writes)."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from typer.testing import CliRunner

from marketing_agent.agent import service as agent
from marketing_agent.agent.schemas import Usage
from marketing_agent.cli import app as cli
from marketing_agent.core.auth import Role
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from tests.factories import database_of, headers_for
from tests.orchestrator.test_campaigns_cli import cli_data_dir  # noqa: F401 - the fixture

DAY_S = 86_400.0


async def spend(db: Database, *, cost: int, campaign_id: int | None, purpose: str) -> None:
    async with db.session() as session:
        await agent.record_usage(
            session=session,
            usage=Usage(
                provider="anthropic",
                model="claude-sonnet-5-5",
                input_tokens=cost // 4,
                output_tokens=cost // 40,
                cost_usd_micros=cost,
                prompt_version="plan_system@1+plan_user@1 #x",
            ),
            purpose=purpose,
            campaign_id=campaign_id,
        )
        await session.commit()


async def test_spend_is_shown_per_call_campaign_and_month(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    await spend(db, cost=4000, campaign_id=7, purpose="plan")  # January
    virtual_clock.advance(40 * DAY_S)  # February
    await spend(db, cost=1000, campaign_id=7, purpose="chat")
    await spend(db, cost=2500, campaign_id=9, purpose="plan")
    await spend(db, cost=300, campaign_id=None, purpose="chat")
    headers = await headers_for(client, db, Role.ANALYST)

    report = await client.get("/api/v1/agent/usage/report", headers=headers)
    calls = await client.get("/api/v1/agent/usage/calls", params={"limit": 2}, headers=headers)
    of_seven = await client.get(
        "/api/v1/agent/usage/calls", params={"campaign_id": 7}, headers=headers
    )

    assert report.status_code == 200, report.text
    body = report.json()
    assert [(m["month"], m["calls"], m["cost_usd_micros"]) for m in body["months"]] == [
        ("2026-02", 3, 3800),
        ("2026-01", 1, 4000),
    ]
    assert [(c["campaign_id"], c["calls"], c["cost_usd_micros"]) for c in body["campaigns"]] == [
        (7, 2, 5000),
        (9, 1, 2500),
    ]
    assert body["since"].startswith("2025-03-01")
    page = calls.json()
    assert page["total"] == 4 and len(page["items"]) == 2
    newest = page["items"][0]
    assert (newest["purpose"], newest["campaign_id"]) == ("chat", None)
    assert newest["cost_usd_micros"] == 300
    assert newest["model"] == "claude-sonnet-5-5" and newest["prompt_version"]
    assert [c["cost_usd_micros"] for c in of_seven.json()["items"]] == [1000, 4000]
    one_month = await client.get(
        "/api/v1/agent/usage/report", params={"months": 1}, headers=headers
    )
    assert [m["month"] for m in one_month.json()["months"]] == ["2026-02"]


async def test_a_viewer_sees_no_spend_and_bad_queries_are_422(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    viewer = await headers_for(client, db, Role.VIEWER)
    analyst = await headers_for(client, db, Role.ANALYST)

    refused = await client.get("/api/v1/agent/usage/calls", headers=viewer)
    months = await client.get("/api/v1/agent/usage/report", params={"months": 0}, headers=analyst)
    limit = await client.get("/api/v1/agent/usage/calls", params={"limit": 0}, headers=analyst)

    assert refused.status_code == 403
    assert months.status_code == 422 and months.json()["errors"][0]["loc"] == ["query", "months"]
    assert limit.status_code == 422


def test_the_cli_shows_the_months_the_campaigns_and_the_calls(
    cli_data_dir: Path,  # noqa: F811
) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["campaigns", "create", "--name", "Boots", "--product", "Boots"])
    assert created.exit_code == 0, created.output

    shown = runner.invoke(cli, ["agent", "usage", "--calls", "5"])

    assert shown.exit_code == 0, shown.output
    assert "Today $0.0000 of $5.0000" in shown.output
    assert "1 of 1 call(s)." in shown.output
    month = shown.output.splitlines()[4]  # the first row of the months' table
    assert "│ 1 " in month and "$0.0000" in month
    assert "│ 1        │ 1     │ $0.0000 │" in shown.output  # campaign 1: one call, no cost

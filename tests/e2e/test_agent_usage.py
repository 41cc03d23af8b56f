"""A marketer reads what the strategist cost on the Strategist page's Usage tab, in Debian's
Chromium against the demo server: the budgets, the spend per month and per campaign, and the
call that planned their new campaign, one click from that campaign."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from marketing_agent.core import clock
from tests.e2e.conftest import Server, assert_accessible, log_in

pytestmark = pytest.mark.e2e


def test_the_usage_tab_shows_each_call_and_the_spend_per_month_and_campaign(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name = f"Usage {uuid.uuid4().hex[:6]}"
    created = api.post(
        "/api/v1/orchestrator/campaigns",
        json={"name": name, "brief": {"product": "Winter boots", "offer": "20% off"}},
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Strategist").click()
    page.get_by_role("tab", name="Usage and cost").click()

    expect(page.get_by_text("One call may spend at most $0.5000")).to_be_visible()
    months = page.get_by_role("table", name="Spend by month")
    expect(months).to_contain_text(f"{clock.now():%Y-%m}")
    calls = page.get_by_role("table", name="LLM calls")
    planned = calls.get_by_role("row").filter(
        has=page.get_by_role("link", name=f"#{campaign_id}", exact=True)
    )
    expect(planned).to_contain_text("Campaign plan")
    expect(planned).to_contain_text("offline · templates-v2")
    expect(planned).to_contain_text("$0.0000")
    assert_accessible(page)

    page.get_by_role("table", name="Spend by campaign").get_by_role(
        "link", name=f"Campaign #{campaign_id}", exact=True
    ).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()

"""The analytics pages as a marketer uses them, in Chromium against the demo server: build a funnel
and download who dropped off; a campaign's analytics with live counts that move without a reload,
an entered cost in the ROI, and a breakdown whose bot reads are unknown, not zero."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in

pytestmark = pytest.mark.e2e


def _campaign_id(api: httpx.Client, name: str) -> int:
    found = api.get("/api/v1/orchestrator/campaigns", params={"q": name}).json()["items"]
    return int(next(c["id"] for c in found if c["name"] == name))


def test_a_marketer_builds_a_funnel_and_exports_the_dropoff(page: Page, server: Server) -> None:
    log_in(page, server.admin_password)
    page.get_by_role("navigation", name="Main").get_by_role("menuitem", name="Funnels").click()
    expect(page.get_by_role("heading", name="Funnels", exact=True)).to_be_visible()

    page.get_by_label("Campaign").fill("Winter boots")
    page.locator(".ant-select-item-option", has_text="Winter boots sale").first.click()

    chart = page.get_by_role("region", name="Funnel chart")
    expect(chart).to_contain_text("1. sent")
    expect(chart).to_contain_text("4. converted")
    expect(chart).to_contain_text("of the previous step")
    expect(chart).to_contain_text(re.compile(r"\(\d+\.\d%–\d+\.\d%\)"))  # a 95% interval
    by_variant = page.get_by_role("region", name="Funnel by variant")
    expect(by_variant.get_by_role("row", name=re.compile(r"^Variant [A-Z]"))).to_have_count(3)
    expect(page.get_by_role("region", name="Time to convert")).to_contain_text("Median")
    by_sender = page.get_by_role("region", name="Funnel by sender")
    expect(by_sender).to_contain_text("the first sender that sent them")
    expect(by_sender.locator("tbody tr.ant-table-row")).not_to_have_count(0)
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Drop-off CSV").click()
    text = open(download_info.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, "nobody dropped off a four-step funnel of the demo?"
    assert set(rows[0]) == {"contact_id", "last_step", "reached_at"}
    assert {r["last_step"] for r in rows} <= {"sent", "delivered", "clicked"}

    page.get_by_role("link", name="Campaign analytics").click()
    expect(
        page.get_by_role("heading", name=re.compile("^Analytics: Winter boots sale"))
    ).to_be_visible()


def test_campaign_analytics_live_counts_roi_and_breakdown(
    page: Page, server: Server, api: httpx.Client
) -> None:
    running = _campaign_id(api, "Spring newsletter")
    log_in(page, server.admin_password)
    page.goto(f"/campaigns/{running}/analytics")
    live = page.get_by_role("region", name="Live counts")
    expect(page.get_by_text("Live", exact=True)).to_be_visible()
    sent = live.locator(".ant-statistic").filter(has_text="Sent").locator(".ant-statistic-content")
    expect(sent).to_have_text(re.compile(r"^[\d,]+$"))
    before = int(sent.inner_text().replace(",", ""))

    # A send recorded elsewhere (here through the API) shows up without a reload.
    for _ in range(2):
        recorded = api.post(
            "/api/v1/analytics/events", json={"type": "sent", "campaign_id": running}
        )
        assert recorded.status_code == 201, recorded.text
    expect(sent).to_have_text(re.compile(r"^[\d,]+$"))
    page.wait_for_function(
        """([el, before]) => Number(el.textContent.replace(/,/g, "")) >= before + 2""",
        arg=[sent.element_handle(), before],
    )

    # The finished campaign: final counts, the stream closed; a bot cannot see reads.
    finished = _campaign_id(api, "Winter boots sale")
    page.goto(f"/campaigns/{finished}/analytics")
    expect(page.get_by_text("Sending ended: final counts")).to_be_visible()
    live = page.get_by_role("region", name="Live counts")
    expect(live.locator(".ant-statistic").filter(has_text="Read")).to_contain_text("unknown")

    roi = page.get_by_role("region", name="ROI")
    roi.get_by_role("textbox", name="Cost").fill("Banner design")
    roi.get_by_role("spinbutton", name="Amount (USD)").fill("25")
    roi.get_by_role("button", name="Add cost").click()
    expect(roi.get_by_role("row", name=re.compile("Banner design"))).to_contain_text("$25.00")
    expect(roi.locator(".ant-statistic").filter(has_text="ROI")).not_to_contain_text("no costs")

    breakdown = page.get_by_role("region", name="Breakdown")
    expect(breakdown.get_by_role("row", name=re.compile(r"^[A-C] "))).to_have_count(3)
    expect(breakdown.get_by_role("row", name=re.compile(r"^A ")).first).to_contain_text("unknown")
    page.get_by_label("Break down by").click()
    page.locator(".ant-select-item-option", has_text="Send day (UTC)").click()
    expect(
        breakdown.get_by_role("row", name=re.compile(r"^\d{4}-\d{2}-\d{2} ")).first
    ).to_be_visible()
    assert_accessible(page)

    # Tidy: the cost goes again (the server is shared by the module's tests).
    roi.get_by_role("button", name="Delete cost Banner design").click()
    expect(roi.get_by_role("row", name=re.compile("Banner design"))).to_have_count(0)


def test_a_marketer_picks_a_segment_and_sees_the_funnel_of_its_people(
    page: Page, server: Server, api: httpx.Client
) -> None:
    campaign = _campaign_id(api, "Winter boots sale")
    segments = api.get("/api/v1/orchestrator/segments").json()["items"]
    vip = next(s for s in segments if s["name"] == "VIP customers")
    url = f"/api/v1/analytics/campaigns/{campaign}/funnel"
    everyone = api.get(url).json()["steps"][0]["count"]
    of_vips = api.get(url, params={"segment_id": vip["id"]}).json()["steps"][0]["count"]
    assert 0 < of_vips < everyone, "the demo's VIPs are some of the campaign's people"
    log_in(page, server.admin_password)
    page.get_by_role("navigation", name="Main").get_by_role("menuitem", name="Funnels").click()
    expect(page.get_by_role("heading", name="Funnels", exact=True)).to_be_visible()
    page.get_by_label("Campaign", exact=True).fill("Winter boots")
    page.locator(".ant-select-item-option", has_text="Winter boots sale").first.click()
    chart = page.get_by_role("region", name="Funnel chart")
    expect(chart).to_contain_text(re.compile(rf"1\. sent\s*{everyone:,} people"))

    page.get_by_label("Segment", exact=True).fill("VIP")
    page.locator(".ant-select-item-option", has_text="VIP customers").first.click()

    expect(page.get_by_text("Conversion per step: VIP customers")).to_be_visible()
    expect(chart).to_contain_text(re.compile(rf"1\. sent\s*{of_vips:,} people"))
    expect(page.get_by_text("in the segment VIP customers as it is now")).to_be_visible()
    by_variant = page.get_by_role("region", name="Funnel by variant")
    expect(by_variant.get_by_role("row", name=re.compile(r"^Variant [A-Z]"))).to_have_count(3)
    assert_accessible(page)

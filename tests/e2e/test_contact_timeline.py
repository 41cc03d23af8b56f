"""A contact's timeline as a marketer reads it, in Chromium against the demo server: what was
sent, delivered, clicked and bought, and the consent decisions, newest first; a bot's campaign
never shows "read" (bots get no read receipts) and the page says why."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in

pytestmark = pytest.mark.e2e


def test_a_marketer_reads_a_contacts_timeline(
    page: Page, server: Server, api: httpx.Client
) -> None:
    campaigns = api.get("/api/v1/orchestrator/campaigns", params={"q": "Winter boots"}).json()
    campaign_id = next(c["id"] for c in campaigns["items"] if c["name"] == "Winter boots sale")
    contacts = api.get("/api/v1/orchestrator/contacts", params={"limit": 50}).json()["items"]
    contact = next(c for c in contacts if c["consent"] == "granted")
    for kind in ("sent", "delivered", "read", "clicked"):
        recorded = api.post(
            "/api/v1/analytics/events",
            json={"type": kind, "campaign_id": campaign_id, "contact_id": contact["id"]},
        )
        assert recorded.status_code == 201, recorded.text
    bought = api.post(
        "/api/v1/analytics/events",
        json={"type": "converted", "campaign_id": campaign_id, "contact_id": contact["id"],
              "value_usd_micros": 49_000_000},
    )  # fmt: skip
    assert bought.status_code == 201, bought.text

    log_in(page, server.admin_password)
    page.goto(f"/contacts/{contact['id']}")
    # The profile: what the API holds of the person, each under its label.
    profile = page.locator(".ant-card").filter(has=page.get_by_text("Profile", exact=True))
    shown = {
        "Telegram ID": str(contact["telegram_id"]),
        "Username": f"@{contact['username']}" if contact.get("username") else "—",
        "Language": contact.get("language") or "—",
        "Time zone": contact.get("timezone") or "—",
        **{key: str(value) for key, value in (contact.get("attributes") or {}).items()},
    }
    for label, value in shown.items():
        row = profile.locator(".ant-descriptions-item").filter(
            has=page.get_by_text(label, exact=True)
        )
        expect(row.locator(".ant-descriptions-item-content")).to_have_text(value)
    timeline = page.get_by_role("region", name="Timeline")

    expect(timeline).to_contain_text("Converted (49.00 USD)")
    expect(timeline).to_contain_text("Clicked a link")
    expect(timeline).to_contain_text("Delivered")
    expect(timeline).to_contain_text("Consent granted")
    expect(timeline).to_contain_text("Bots cannot see reads")
    expect(timeline.get_by_text("Read", exact=True)).to_have_count(0)
    items = timeline.locator(".ant-timeline-item")
    expect(items.first).to_contain_text("Converted")  # newest first
    assert_accessible(page)

    timeline.get_by_role("link", name=f"Campaign {campaign_id}").first.click()
    expect(page).to_have_url(f"{server.url}/campaigns/{campaign_id}")


def test_a_demo_contacts_consent_proof_arrives_whole_commas_and_all(
    page: Page, server: Server
) -> None:
    # The demo's contacts come from a CSV whose proof has a comma in it: written with a CSV
    # writer, it is quoted, so the import keeps it whole.
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Contacts").click()
    page.get_by_label("Search contacts").fill("700000000")
    expect(page).to_have_url(re.compile(r"q=700000000"))
    rows = page.get_by_role("row").filter(has=page.get_by_role("link"))
    expect(rows).to_have_count(1)
    rows.get_by_role("link").click()
    history = page.get_by_role("region", name="Consent history")
    expect(history).to_contain_text("pressed 'Yes, subscribe' after /start shop_footer, in the bot")

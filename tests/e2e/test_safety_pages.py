"""The safety guard's pages as a person uses them: phrase lists, sender health, the review and
privacy settings, and the review queue's assignment, request for changes and flagged spans."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in, make_reviewer

RISKY = "Guaranteed results in a week, risk-free: act now for 100% free money."


def test_a_phrase_list_is_made_filled_and_switched_off_in_the_safety_page(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name = f"Crypto scams {uuid.uuid4().hex[:6]}"
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Safety").click()
    expect(page.get_by_role("heading", name="Safety")).to_be_visible()
    page.get_by_role("button", name="New phrase list").click()
    dialog = page.get_by_role("dialog", name="New phrase list")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Phrases, one a line").fill("double your bitcoin\nwallet recovery")
    dialog.get_by_role("button", name="Create list").click()
    expect(page.get_by_text(f"Phrase list “{name}” created with 2 phrases.")).to_be_visible()

    row = page.get_by_role("row", name=re.compile(re.escape(name)))
    row.get_by_role("button", name="Expand row").click()
    page.get_by_label("New phrase").fill("seed phrase giveaway")
    page.get_by_role("button", name="Add phrase").click()
    expect(page.get_by_role("cell", name="seed phrase giveaway", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="3", exact=True)).to_be_visible()  # phrase count
    page.mouse.move(0, 0)  # not hovering a button (Ant Design's hover colour is lighter)
    assert_accessible(page)

    # The check finds the new phrase however it is written, until the list is switched off.
    text = "Get your s-e-e-d phrase GIVEAWAY today"
    hits = api.post("/api/v1/safety/check", json={"text": text}).json()["reasons"]
    assert any(r["category"] == "custom" for r in hits)
    row.get_by_role("switch", name=f"{name} enabled").click()
    expect(row.get_by_role("switch", name=f"{name} enabled")).not_to_be_checked()
    hits = api.post("/api/v1/safety/check", json={"text": text}).json()["reasons"]
    assert not any(r["category"] == "custom" for r in hits)


def test_sender_health_and_the_privacy_policy_are_on_the_safety_page(
    page: Page, server: Server
) -> None:
    log_in(page, server.admin_password)
    page.goto("/safety")
    page.get_by_role("tab", name="Sender health").click()
    health = page.get_by_role("row", name=re.compile(r"Demo bot"))
    expect(
        health.get_by_label(re.compile(r"^Health: (Good|Warning|Poor|Cooling down), score \d+"))
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_role("tab", name="Review and privacy").click()
    policy = page.get_by_label("Privacy policy (the bots' answer to /privacy)")
    expect(policy).to_contain_text("STOP")
    policy.fill("We keep your Telegram id and name only. Full policy: https://demo.example/privacy")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Safety settings saved.")).to_be_visible()
    page.reload()
    page.get_by_role("tab", name="Review and privacy").click()
    expect(page.get_by_label("Privacy policy (the bots' answer to /privacy)")).to_have_value(
        re.compile(r"^We keep your Telegram id and name only\.")
    )
    expect(page.get_by_text(re.compile(r"Last changed by user:admin"))).to_be_visible()


def test_a_review_is_assigned_its_flags_shown_and_sent_back_for_changes(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name = f"Risky {uuid.uuid4().hex[:6]}"
    body = {"name": name, "goal": "Tell subscribers about spring", "variants": [{"text": RISKY}]}
    created = api.post("/api/v1/orchestrator/campaigns", json=body)
    assert created.status_code == 201 and created.json()["status"] == "pending_review"
    reviewer, password = make_reviewer(server)

    # The author (admin) asks the reviewer to decide, by the workspace's deadline.
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Review queue").click()
    row = page.get_by_role("row", name=re.compile(re.escape(name)))
    row.get_by_role("button", name="Assign").click()
    dialog = page.get_by_role("dialog", name=f"Assign “{name}”")
    dialog.get_by_label("Reviewer (username)").fill(reviewer)
    dialog.get_by_role("button", name="Assign").click()
    expect(page.get_by_text(re.compile(f"Assigned to {reviewer}, due "))).to_be_visible()
    expect(row).to_contain_text(reviewer)
    expect(row).to_contain_text("due ")

    # The reviewer sees what was flagged, where, and sends it back with a note.
    page.get_by_role("button", name="Log out").click()
    log_in(page, password, username=reviewer)
    page.get_by_role("menuitem", name="Review queue").click()
    row = page.get_by_role("row", name=re.compile(re.escape(name)))
    row.get_by_role("button", name="Expand row").click()
    texts = page.get_by_role("region", name=f"Texts of {name}")
    expect(texts.get_by_label(re.compile(r"^Flagged: ")).first).to_be_visible()
    page.mouse.move(0, 0)
    assert_accessible(page)
    row.get_by_role("button", name="Request changes").click()
    ask = page.get_by_role("dialog", name=f"Request changes to “{name}”")
    ask.get_by_label("What should change").fill("Drop 'guaranteed' and 'risk-free'.")
    ask.get_by_role("button", name="Request changes").click()
    expect(page.get_by_text(f"“{name}” is back with its author as a draft.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(re.escape(name)))).to_have_count(0)
    campaign = api.get(f"/api/v1/orchestrator/campaigns/{created.json()['id']}").json()
    assert campaign["status"] == "draft"


def test_the_admin_sets_the_send_time_rules_and_cannot_drop_four_eyes_with_a_reviewer_around(
    page: Page, server: Server, api: httpx.Client
) -> None:
    make_reviewer(server)  # someone else may approve: four eyes can always be satisfied
    log_in(page, server.admin_password)
    page.goto("/safety")
    page.get_by_role("tab", name="Review and privacy").click()
    try:
        page.get_by_label("A bot's marketing message without a way out").click()
        page.locator(".ant-select-item-option", has_text="Block the message").click()
        allow = page.get_by_label("Domains links may point to")
        allow.fill("shop.example.com")
        allow.press("Enter")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_text("Safety settings saved.")).to_be_visible()
        saved = api.get("/api/v1/safety/settings").json()
        assert saved["opt_out"] == "block" and saved["link_allowlist"] == ["shop.example.com"]
        assert saved["content_rules_source"] == "workspace"
        page.reload()
        page.get_by_role("tab", name="Review and privacy").click()
        expect(page.get_by_text("Block the message")).to_be_visible()
        expect(page.get_by_text("shop.example.com")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("switch", name=re.compile("Four eyes")).click()
        page.get_by_role("button", name="Save settings").click()
        expect(
            page.get_by_text(re.compile("only approver; someone else can approve"))
        ).to_be_visible()
        assert api.get("/api/v1/safety/settings").json()["four_eyes"] is True
    finally:  # the e2e server is shared: the other pages' sends keep the default rules
        api.patch("/api/v1/safety/settings", json={"opt_out": "add", "link_allowlist": []})

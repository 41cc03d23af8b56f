"""The safety guard's pages as a person uses them: phrase lists, sender health, the review and
privacy settings, and the review queue's assignment, request for changes and flagged spans."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in, make_reviewer, make_user

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


def test_the_built_in_phrases_are_listed_and_a_tried_text_shows_what_it_matched(
    page: Page, server: Server
) -> None:
    log_in(page, server.admin_password)
    page.goto("/safety")
    expect(page.get_by_role("heading", name="Built-in phrases (read-only)")).to_be_visible()
    built_in = page.get_by_role("row", name=re.compile(r"Built-in blacklist"))
    built_in.get_by_role("button", name="Expand row").click()
    phrases = page.get_by_role("list", name="Phrases of Built-in blacklist")
    expect(phrases.get_by_role("listitem").filter(has_text=re.compile("^act now$"))).to_be_visible()

    page.get_by_label("Text to check").fill("ACT N0W for free-money")
    page.get_by_role("button", name="Check text").click()
    result = page.get_by_role("region", name="Check result")
    found = result.get_by_role("row", name=re.compile("act now"))
    expect(found).to_contain_text("Built-in blacklist (built-in)")
    expect(found.get_by_text("ACT N0W")).to_be_visible()  # as written, not normalised
    expect(result.get_by_text("review", exact=True)).to_be_visible()
    expect(result.get_by_role("meter")).to_have_accessible_name(
        re.compile(r"^Risk score 0\.58 of 1; review from 0\.50$")
    )
    page.mouse.move(0, 0)
    assert_accessible(page)


def test_the_review_threshold_is_set_on_the_safety_page_and_marked_on_the_risk_scale(
    page: Page, server: Server, api: httpx.Client
) -> None:
    log_in(page, server.admin_password)
    page.goto("/safety")
    page.get_by_role("tab", name="Review and privacy").click()
    threshold = page.get_by_label("Review threshold (risk score, 0 safe to 1 risky)")
    expect(threshold).to_have_value("0.50")
    try:
        threshold.fill("0.3")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_text("Safety settings saved.")).to_be_visible()
        saved = api.get("/api/v1/safety/settings").json()
        assert (saved["review_threshold"], saved["review_threshold_source"]) == (0.3, "workspace")

        # One warning (0.35) now goes to review, and its page shows where review begins.
        name = f"One warning {uuid.uuid4().hex[:6]}"
        text = "Hi {first_name}, boots guaranteed to last all winter."
        body = {"name": name, "goal": "Winter boots", "variants": [{"text": text}]}
        created = api.post("/api/v1/orchestrator/campaigns", json=body).json()
        assert created["status"] == "pending_review"
        page.goto(f"/campaigns/{created['id']}")
        expect(page.get_by_role("meter")).to_have_accessible_name(
            "Risk score 0.35 of 1; review from 0.30"
        )
        assert_accessible(page)
    finally:  # the e2e server is shared: the other tests keep the default threshold
        api.patch("/api/v1/safety/settings", json={"review_threshold": 0.5})


def test_the_campaigns_last_editor_cannot_approve_it_in_the_review_queue(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name = f"Edited {uuid.uuid4().hex[:6]}"
    body = {"name": name, "goal": "Tell subscribers about spring", "variants": [{"text": RISKY}]}
    created = api.post("/api/v1/orchestrator/campaigns", json=body).json()
    assert created["status"] == "pending_review"
    editor, password = make_user(server, "admin")
    token = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": editor, "password": password}
    ).json()["access_token"]
    edited = httpx.patch(
        f"{server.url}/api/v1/orchestrator/campaigns/{created['id']}",
        json={"goal": "Tell subscribers about the spring collection"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert edited.status_code == 200, edited.text

    log_in(page, password, username=editor)
    page.get_by_role("menuitem", name="Review queue").click()
    page.get_by_role("row", name=re.compile(re.escape(name))).get_by_role(
        "button", name="Approve"
    ).click()
    dialog = page.get_by_role("dialog", name=f"Approve “{name}”?")
    dialog.get_by_role("button", name="Approve").click()
    expect(
        dialog.get_by_text(re.compile("You created or last edited this campaign"))
    ).to_be_visible()
    dialog.get_by_role("button", name="Back").click()
    assert api.get(f"/api/v1/orchestrator/campaigns/{created['id']}").json()["status"] == (
        "pending_review"
    )

    reviewer, reviewer_password = make_reviewer(server)
    page.get_by_role("button", name="Log out").click()
    log_in(page, reviewer_password, username=reviewer)
    page.get_by_role("menuitem", name="Review queue").click()
    page.get_by_role("row", name=re.compile(re.escape(name))).get_by_role(
        "button", name="Approve"
    ).click()
    page.get_by_role("dialog", name=f"Approve “{name}”?").get_by_role(
        "button", name="Approve"
    ).click()
    expect(page.get_by_text(f"Approved “{name}”: it is scheduled to send.")).to_be_visible()

"""The rest of the admin UI as a person uses it, in Debian's Chromium against the demo server:
users (invite, role, deactivate) and what a viewer may not do there, the effective settings with
secrets masked, changing one's own password, the audit log by actor, a variant's image and button
with a stale translation dropped, who never started the bot before Submit, the results chart with
a bot's reads marked as unmeasurable, and the flagged words highlighted in the review queue."""

from __future__ import annotations

import random
import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in, make_user

pytestmark = pytest.mark.e2e

RISKY = "Guaranteed results in a week, risk-free: act now for 100% free money."


def _draft(api: httpx.Client, name: str, variants: list[dict], **extra: object) -> dict:
    body = {"name": name, "goal": "Tell subscribers about spring", "variants": variants}
    response = api.post("/api/v1/orchestrator/campaigns", json={**body, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_an_admin_invites_a_user_changes_their_role_and_deactivates_them(
    page: Page, server: Server, api: httpx.Client
) -> None:
    username = f"ann{uuid.uuid4().hex[:6]}"
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.get_by_role("button", name="Invite user").click()
    dialog = page.get_by_role("dialog", name="Invite a user")
    dialog.get_by_label("Username").fill(username)
    dialog.get_by_role("button", name="Invite").click()
    password = page.get_by_label(f"One-time password for {username}")
    expect(password).to_be_visible()
    assert len(password.inner_text().strip()) >= 10
    row = page.get_by_role("row").filter(has_text=username)
    expect(row).to_contain_text("one-time password")
    assert_accessible(page)

    row.get_by_label(f"Role of {username}").click()
    page.get_by_title("marketer", exact=True).click()  # the open list's entry
    expect(page.get_by_text(f"{username} is now marketer")).to_be_visible()
    row.get_by_role("button", name="Deactivate").click()
    expect(row).to_contain_text("deactivated")
    listed = {u["username"]: u for u in api.get("/api/v1/auth/users").json()}
    assert listed[username]["role"] == "marketer" and listed[username]["is_active"] is False
    # The admin's own row offers nothing that would lock them out.
    own = page.get_by_role("row").filter(has=page.get_by_text("you", exact=True))
    expect(own.get_by_role("button", name="Deactivate")).to_be_disabled()


def test_a_marketer_sees_why_users_and_settings_are_not_theirs(page: Page, server: Server) -> None:
    username, password = make_user(server, "marketer")
    log_in(page, password, username=username)
    page.get_by_role("menuitem", name="Users").click()
    invite = page.get_by_role("button", name="Invite user")
    expect(invite).to_be_disabled()
    expect(invite).to_have_accessible_description("Your role (marketer) may not manage users.")
    expect(page.get_by_role("table")).to_have_count(0)
    page.get_by_role("menuitem", name="Settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Your role (marketer) may not manage users.")
    assert_accessible(page)

    # Their own password is theirs to change; the new one works at the next login.
    new_password = f"new-{uuid.uuid4().hex}"
    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Repeat the new password").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    with httpx.Client(base_url=server.url) as client:
        login = {"username": username, "password": new_password}
        assert client.post("/api/v1/auth/login", json=login).status_code == 200


def test_settings_show_each_value_and_where_it_came_from_with_secrets_masked(
    page: Page, server: Server
) -> None:
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Settings").click()
    config = page.get_by_role("table", name="Effective configuration")
    expect(config).to_be_visible()
    page.get_by_label("Filter settings").fill("MA_QUIET_HOURS")
    quiet = config.get_by_role("row").filter(has_text="MA_QUIET_HOURS")
    expect(quiet).to_contain_text("off")
    expect(quiet).to_contain_text("environment")  # the e2e server is started with it
    page.get_by_label("Filter settings").fill("MA_SECRET_KEY")
    secret = config.get_by_role("row").filter(has_text="Signs JWTs")
    expect(secret.first).to_contain_text(re.compile(r"set \(hidden\)|not set"))
    page.get_by_label("Filter settings").fill("")
    expect(config.get_by_role("row").filter(has_text="MA_REVIEW_ALL")).to_contain_text("default")
    assert_accessible(page)


def test_the_audit_log_shows_one_actors_entries(
    page: Page, server: Server, api: httpx.Client
) -> None:
    draft = _draft(api, f"Audited {uuid.uuid4().hex[:6]}", [{"text": "Spring is here."}])
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Audit log").click()
    page.get_by_label("Actor").fill("user:admin")
    page.get_by_label("Actor").press("Enter")
    expect(page).to_have_url(re.compile(r"actor=user%3Aadmin"))
    table = page.get_by_role("table")
    expect(table.get_by_role("button", name="Show only user:admin").first).to_be_visible()
    entries = table.get_by_role("row").filter(has=page.get_by_role("button", name="Show only"))
    expect(entries.first).to_be_visible()
    expect(entries.filter(has_not_text="user:admin")).to_have_count(0)
    table.get_by_role("button", name="Show only campaign.created").first.click()
    expect(page).to_have_url(re.compile(r"action=campaign\.created"))
    expect(page.get_by_label("Action")).to_have_value("campaign.created")
    # One entity: the campaign just made, whose creation is its one entry by the admin.
    page.get_by_label("Entity type").fill("campaign")
    page.get_by_label("Entity type").press("Enter")
    expect(page).to_have_url(re.compile(r"entity_type=campaign"))
    page.get_by_label("Entity id").fill(str(draft["id"]))
    page.get_by_label("Entity id").press("Enter")
    expect(page).to_have_url(re.compile(rf"entity_id={draft['id']}(&|$)"))
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text(f"campaign {draft['id']}")
    expect(entries).to_contain_text("campaign.created")
    assert_accessible(page)

    # Search finds text anywhere in an entry, inside its data too: the name of a key made now.
    key_name = f"Warehouse sync {uuid.uuid4().hex[:6]}"
    made = api.post("/api/v1/auth/api-keys", json={"name": key_name})
    assert made.status_code == 201, made.text
    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("Search the audit log").fill(key_name.split()[-1].upper())  # any case
    expect(page).to_have_url(re.compile(r"q="))
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text("api_key.created")


def test_a_variant_gets_an_image_and_a_button_and_loses_its_stale_translation(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name = f"Media {uuid.uuid4().hex[:6]}"
    draft = _draft(
        api, name, [{"text": "Boots are 20% off.", "translations": {"fr": "Bottes à -20 %."}}]
    )
    log_in(page, server.admin_password)
    page.goto(f"/campaigns/{draft['id']}")
    expect(page.get_by_role("group", name="Variant A")).to_contain_text("Also in: fr")
    page.get_by_role("button", name="Edit").click()
    editor = page.get_by_role("dialog", name=f"Edit “{name}”")
    expect(editor.get_by_role("region", name="Translations of variant A")).to_contain_text("fr")
    editor.get_by_label("Text of variant A").fill("Boots are 30% off, {first_name}.")
    expect(editor.get_by_text("its translation (fr) will be removed on save")).to_be_visible()
    editor.get_by_label("Image of variant A (optional)").fill("https://shop.example.com/boots.jpg")
    expect(editor).to_contain_text("/ 1024 characters (a caption under the image)")
    editor.get_by_role("button", name="Add button to variant A").click()
    editor.get_by_label("Label of button 1 of variant A").fill("Shop the boots")
    editor.get_by_label("Link of button 1 of variant A").fill("javascript:alert(1)")
    assert_accessible(page)
    editor.get_by_role("button", name="Save changes").click()
    expect(editor.get_by_text("An http(s) address")).to_be_visible()
    editor.get_by_label("Link of button 1 of variant A").fill("https://shop.example.com/boots")
    expect(editor.get_by_role("region", name="Preview of variant A")).to_contain_text(
        "Shop the boots"
    )
    editor.get_by_role("button", name="Save changes").click()
    expect(editor).to_be_hidden()
    variant = page.get_by_role("group", name="Variant A")
    expect(variant.get_by_role("listitem")).to_have_text("Shop the boots")
    expect(variant).not_to_contain_text("Also in")
    saved = api.get(f"/api/v1/orchestrator/campaigns/{draft['id']}").json()["variants"][0]
    assert saved["translations"] == {}
    assert saved["image_url"] == "https://shop.example.com/boots.jpg"
    assert saved["buttons"] == [{"text": "Shop the boots", "url": "https://shop.example.com/boots"}]


def test_submit_says_how_many_contacts_never_started_the_bot(
    page: Page, server: Server, api: httpx.Client
) -> None:
    # Someone added by hand with consent on record, who never pressed Start in the bot.
    telegram_id = random.randint(10**9, 2 * 10**9)
    contact = api.post(
        "/api/v1/orchestrator/contacts", json={"telegram_id": telegram_id, "first_name": "Nia"}
    )
    assert contact.status_code == 201, contact.text
    sender_id = api.get("/api/v1/telegram/senders").json()[0]["id"]
    consent = api.post(
        "/api/v1/compliance/consents",
        json={
            "contact_id": contact.json()["id"],
            "sender_id": sender_id,
            "purpose": "marketing",
            "source": "manual",
            "proof": {"text": "signed up at the counter"},
        },
    )
    assert consent.status_code == 201, consent.text
    name = f"Reach {uuid.uuid4().hex[:6]}"
    draft = _draft(api, name, [{"text": "Spring is here."}], quiet_hours=None)
    preview = api.get(f"/api/v1/orchestrator/campaigns/{draft['id']}/launch-preview").json()
    never = preview["never_started_bot"]
    assert never >= 1
    log_in(page, server.admin_password)
    page.goto(f"/campaigns/{draft['id']}")
    page.get_by_role("button", name="Submit").click()
    dialog = page.get_by_role("dialog", name=f"Submit “{name}”?")
    noun = "contact" if never == 1 else "contacts"
    expect(dialog).to_contain_text(f"{never:,} {noun} never started this bot")
    assert_accessible(page)
    dialog.get_by_role("button", name="Back").click()


def test_results_over_time_and_a_bots_reads_marked_as_not_measurable(
    page: Page, server: Server
) -> None:
    log_in(page, server.admin_password)
    last = page.get_by_role("region", name="Last results")
    last.get_by_role("link", name="Winter boots sale").click()
    chart = page.get_by_role("region", name="Results over time")
    expect(chart.get_by_role("img", name=re.compile(r"^Counts per hour"))).to_be_visible()
    expect(chart.get_by_text("Bots cannot see reads")).to_be_visible()
    results = page.get_by_role("region", name="Per-variant results")
    expect(results.get_by_text("Bots cannot see reads").first).to_be_visible()
    page.get_by_text("Per day", exact=True).click()
    expect(chart.get_by_role("img", name=re.compile(r"^Counts per day"))).to_be_visible()
    page.get_by_role("switch", name="Show as a table").click()
    table = chart.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Delivered")).to_be_visible()
    days = table.get_by_role("row").filter(has_not=page.get_by_role("columnheader"))
    expect(days.first).to_contain_text(re.compile(r"\d"))
    assert_accessible(page)


def test_the_review_queue_highlights_the_flagged_words(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name = f"Flagged {uuid.uuid4().hex[:6]}"
    draft = _draft(api, name, [{"text": RISKY}])
    assert draft["status"] == "pending_review"
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Review queue").click()
    text = page.get_by_role("region", name=f"Variant A of {name}")
    expect(text).to_contain_text("risk-free")
    marks = text.locator("mark")
    expect(marks.first).to_be_visible()
    flagged = " ".join(marks.all_inner_texts()).lower()
    assert "guaranteed" in flagged or "free money" in flagged or "risk-free" in flagged, flagged
    # Beside the texts, in the same row, the reasons the guard gave.
    reviews = api.get("/api/v1/orchestrator/reviews", params={"limit": 500}).json()["items"]
    [review] = [r for r in reviews if r["campaign_id"] == draft["id"]]
    assert review["risk_reasons"]
    row = page.get_by_role("row").filter(has=text)
    for reason in review["risk_reasons"]:
        expect(row).to_contain_text(reason["message"])
    assert_accessible(page)

"""The everyday pages of the admin UI as a marketer uses them, in Chromium against the demo server:
the campaign list (its result columns, search, sort and status filter kept in the URL, clone and
archive), a campaign's deliveries by name (masked for a viewer), results that keep arriving after
sending ends (and refresh again for a campaign finished long ago that gets a late event), contacts
filtered and paged with a formula-safe export, an API key shown once and revoked, the audit chain
verified, a password reset, and a hovered button that keeps its contrast."""

from __future__ import annotations

import csv
import io
import re
import uuid
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in, make_user

pytestmark = pytest.mark.e2e


def _draft(api: httpx.Client, name: str, text: str, **extra: object) -> dict:
    body = {"name": name, "goal": "Tell subscribers about spring", "variants": [{"text": text}]}
    response = api.post("/api/v1/orchestrator/campaigns", json={**body, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def _campaign_id(api: httpx.Client, name: str) -> int:
    found = api.get("/api/v1/orchestrator/campaigns", params={"q": name}).json()["items"]
    return next(c["id"] for c in found if c["name"] == name)


def _cell(page: Page, region: str, row_label: str, column: str) -> str:
    """The text of one cell of a table in `region`, found by its row's first cell and its header."""
    table = page.get_by_role("region", name=region).get_by_role("table")
    headers = [text.strip() for text in table.get_by_role("columnheader").all_inner_texts()]
    index = headers.index(column)
    for row in table.get_by_role("row").all():
        cells = [text.strip() for text in row.get_by_role("cell").all_inner_texts()]
        if cells and cells[0] == row_label and len(cells) > index:
            return cells[index]
    return ""


def _dollars(text: str) -> float:
    return float(re.sub(r"[^\d.]", "", text) or 0)


def test_the_campaign_list_searches_sorts_and_filters_in_the_url_and_clones_and_archives(
    page: Page, server: Server, api: httpx.Client
) -> None:
    tag = uuid.uuid4().hex[:6]
    name = f"Listed {tag}"
    _draft(api, name, "Spring is here, {first_name}.")
    winter = api.get(
        f"/api/v1/analytics/campaigns/{_campaign_id(api, 'Winter boots sale')}/stats"
    ).json()["totals"]
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Campaigns").click()
    for column in ("Sent", "Delivered", "Clicked", "Converted", "Opt-outs"):
        expect(page.get_by_role("columnheader", name=column, exact=True)).to_be_visible()
    # Found by search: the other tests' campaigns may have pushed it to a later page.
    page.get_by_label("Search campaigns").fill("Winter boots sale")
    expect(page).to_have_url(re.compile(r"q=Winter"))
    winter_row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name="Winter boots sale", exact=True)
    )
    expect(winter_row).to_contain_text(f"{winter['sent']:,}")
    expect(winter_row).to_contain_text("Completed")
    # A hovered primary button keeps white text readable (the theme darkens it, not lightens).
    page.get_by_role("button", name="New campaign").hover()
    assert_accessible(page)

    page.get_by_label("Search campaigns").fill(tag)
    expect(page).to_have_url(re.compile(rf"q={tag}"))
    listed = page.get_by_role("row").filter(has=page.get_by_role("link"))
    expect(listed).to_have_count(1)
    page.get_by_role("button", name=f"Clone {name}", exact=True).click()
    expect(page.get_by_text(f"Cloned as “{name} (copy)”")).to_be_visible()
    expect(listed).to_have_count(2)

    page.get_by_role("columnheader", name="Name").click()
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(listed.first.get_by_role("link")).to_have_text(name)
    page.get_by_role("columnheader", name="Name").click()
    expect(page).to_have_url(re.compile(r"sort=-name"))
    expect(listed.first.get_by_role("link")).to_have_text(f"{name} (copy)")

    page.get_by_label("Filter by status").click()
    completed = page.locator(".ant-select-dropdown:visible").get_by_title("Completed", exact=True)
    expect(completed).to_be_visible()
    completed.click()
    expect(page).to_have_url(re.compile(r"status=completed"))
    expect(page.get_by_text("No campaign matches.")).to_be_visible()
    # The URL is the list: opened again, it shows the same search, sort and filter.
    page.reload()
    expect(page.get_by_label("Search campaigns")).to_have_value(tag)
    expect(page.get_by_text("No campaign matches.")).to_be_visible()
    status_filter = page.locator(".ant-select").filter(has=page.get_by_label("Filter by status"))
    status_filter.hover()
    status_filter.locator(".ant-select-clear").click()  # the filter's clear cross
    expect(page).not_to_have_url(re.compile(r"status="))
    expect(listed).to_have_count(2)

    page.get_by_role("button", name=f"Archive {name} (copy)").click()
    expect(listed).to_have_count(1)
    page.get_by_role("switch", name="Show archived").click()
    expect(page).to_have_url(re.compile(r"archived=1"))
    expect(listed).to_have_count(1)
    expect(page.get_by_role("button", name=f"Restore {name} (copy)")).to_be_visible()
    assert_accessible(page)


def test_deliveries_name_each_contact_filter_and_page_and_a_viewer_sees_them_masked(
    page: Page, server: Server, api: httpx.Client
) -> None:
    campaign_id = _campaign_id(api, "Winter boots sale")
    first = api.get(
        f"/api/v1/orchestrator/campaigns/{campaign_id}/deliveries",
        params={"status": "sent", "limit": 1},
    ).json()["items"][0]
    log_in(page, server.admin_password)
    page.goto(f"/campaigns/{campaign_id}")
    deliveries = page.get_by_role("region", name="Deliveries")
    # The detail page asks for a dozen things at once: on a busy machine it takes a while.
    expect(deliveries.get_by_role("link", name=first["contact_first_name"]).first).to_be_visible(
        timeout=30_000
    )
    expect(deliveries.get_by_role("link", name=re.compile(r"^Contact \d+$"))).to_have_count(0)
    # Per variant, the replies, opt-outs and revenue beside the counts.
    for column in ("Replied", "Opt-outs", "Revenue"):
        results = page.get_by_role("region", name="Per-variant results")
        expect(results.get_by_role("columnheader", name=column)).to_be_visible()

    page.get_by_label("Filter deliveries by status").click()
    page.get_by_title("sent", exact=True).click()
    expect(page).to_have_url(re.compile(r"delivery_status=sent"))
    rows = deliveries.get_by_role("row").filter(has=page.get_by_role("link"))
    expect(rows.first).to_contain_text("sent")
    expect(rows.filter(has_not_text="sent")).to_have_count(0)
    deliveries.get_by_title("Next Page").click()
    expect(page).to_have_url(re.compile(r"delivery_page=2"))
    expect(rows.first).to_be_visible()
    # The status filter's dropdown closes with an animation; its unnamed listbox is not the page.
    expect(page.locator(".ant-select-dropdown:visible")).to_have_count(0)
    assert_accessible(page)

    # Every delivery, with its variant and outcome, as a spreadsheet.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    assert download.value.suggested_filename == f"campaign-{campaign_id}-deliveries.csv"
    exported = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    total = api.get(
        f"/api/v1/orchestrator/campaigns/{campaign_id}/deliveries", params={"limit": 1}
    ).json()["total"]
    assert len(exported) == total
    row = next(r for r in exported if r["delivery_id"] == str(first["id"]))
    assert row["first_name"] == first["contact_first_name"] and row["status"] == "sent"
    assert {r["variant"] for r in exported} == {"A", "B", "C"}

    username, password = make_user(server, "viewer")
    page.get_by_role("button", name="Log out").click()
    log_in(page, password, username=username)
    page.goto(f"/campaigns/{campaign_id}")
    masked = f"{first['contact_first_name'][0]}•••"
    expect(deliveries.get_by_role("link", name=masked).first).to_be_visible(timeout=30_000)
    expect(
        deliveries.get_by_role("link", name=first["contact_first_name"], exact=True)
    ).to_have_count(0)
    expect(page.get_by_role("button", name="Export CSV")).to_be_disabled()


def test_results_keep_arriving_on_the_page_after_sending_ends(
    page: Page, server: Server, api: httpx.Client
) -> None:
    segments = api.get("/api/v1/orchestrator/segments").json()["items"]
    segment = next(s for s in segments if s["name"] == "Boots fans in Germany")
    name = f"Germany boots {uuid.uuid4().hex[:6]}"
    draft = _draft(
        api, name, "Hallo {first_name}, boots are here.", segment_id=segment["id"], quiet_hours=None
    )
    submitted = api.post(f"/api/v1/orchestrator/campaigns/{draft['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    log_in(page, server.admin_password)
    page.goto(f"/campaigns/{draft['id']}")
    expect(page.get_by_role("status", name="Campaign status")).to_have_text(
        "Completed", timeout=90_000
    )
    expect(page.get_by_text(re.compile(r"Live · every \d+ s"))).to_be_visible()
    expect(page.get_by_role("region", name="Per-variant results")).to_contain_text("All variants")
    before = _dollars(_cell(page, "Per-variant results", "All variants", "Revenue"))

    # A purchase comes in after the last message went out: the page shows it without a reload.
    delivery = api.get(
        f"/api/v1/orchestrator/campaigns/{draft['id']}/deliveries", params={"status": "sent"}
    ).json()["items"][0]
    bought = api.post(
        "/api/v1/analytics/events",
        json={"type": "converted", "campaign_id": draft["id"], "variant_key": "A",
              "contact_id": delivery["contact_id"], "value_usd_micros": 49_000_000},
    )  # fmt: skip
    assert bought.status_code == 201, bought.text
    revenue = page.get_by_role("region", name="Per-variant results").get_by_role(
        "row", name=re.compile("^All variants")
    )
    expect(revenue).to_contain_text(f"{before + 49:,.2f}", timeout=30_000)

    # Archived, it is put away: the page no longer refreshes it.
    archived = api.post(f"/api/v1/orchestrator/campaigns/{draft['id']}/archive")
    assert archived.status_code == 200, archived.text
    page.reload()
    expect(page.get_by_text("Not sending", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Live · every \d+ s"))).to_have_count(0)


def test_a_campaign_finished_long_ago_is_refreshed_again_while_its_events_still_arrive(
    page: Page, server: Server, api: httpx.Client
) -> None:
    vip = _campaign_id(api, "VIP early access")  # the demo's: finished over a week ago
    stats_url = re.compile(rf"/api/v1/analytics/campaigns/{vip}/stats$")
    log_in(page, server.admin_password)
    page.goto(f"/campaigns/{vip}")
    expect(page.get_by_role("status", name="Campaign status")).to_have_text("Completed")
    expect(page.get_by_text("Not sending", exact=True)).to_be_visible()

    # A late event (a delivery receipt, counted already): the campaign's results move again.
    delivery = api.get(
        f"/api/v1/orchestrator/campaigns/{vip}/deliveries", params={"status": "sent"}
    ).json()["items"][0]
    late = api.post(
        "/api/v1/analytics/events",
        json={"type": "delivered", "campaign_id": vip, "contact_id": delivery["contact_id"],
              "variant_key": delivery["variant_key"]},
    )  # fmt: skip
    assert late.status_code == 201, late.text
    page.reload()
    expect(page.get_by_text(re.compile(r"Live · every \d+ s"))).to_be_visible()
    # It keeps asking: two more answers of the stats without a reload.
    for _ in range(2):
        with page.expect_response(stats_url, timeout=30_000) as answered:
            pass
        assert answered.value.ok


def test_contacts_filter_by_consent_page_and_export_formula_safe(
    page: Page, server: Server, api: httpx.Client
) -> None:
    telegram_id = 600_000_000 + uuid.uuid4().int % 10_000_000
    made = api.post(
        "/api/v1/orchestrator/contacts",
        json={
            "telegram_id": telegram_id,
            "first_name": '=HYPERLINK("https://x.example")',
            "username": f"formula{telegram_id}",
            "attributes": {"plan": "gold"},
        },
    )
    assert made.status_code == 201, made.text
    withdrawn = api.get("/api/v1/orchestrator/contacts", params={"consent": "withdrawn"}).json()
    assert withdrawn["total"] > 0
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Contacts").click()
    page.get_by_title("Next Page").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    # Scoped to the pager: the menu's review-queue badge may also be titled "2".
    pager = page.locator(".ant-pagination")
    expect(pager.get_by_title("2", exact=True)).to_have_class(re.compile(r"item-active"))

    page.get_by_label("Filter by consent").click()
    page.get_by_title("Withdrawn", exact=True).click()
    expect(page).to_have_url(re.compile(r"consent=withdrawn"))
    expect(page).not_to_have_url(re.compile(r"page=2"))  # a new filter starts at page 1
    consent_cells = page.get_by_role("row").filter(has=page.get_by_role("link"))
    expect(consent_cells.first).to_contain_text("Withdrawn")
    expect(consent_cells.filter(has_not_text="Withdrawn")).to_have_count(0)
    # The count the page shows is the API's: the demo's running campaign may bring opt-outs
    # meanwhile, so it lies between the count before and the count after.
    shown = page.get_by_text(re.compile(r"^[\d,]+ contacts?$"))
    expect(shown).to_be_visible()
    after = api.get("/api/v1/orchestrator/contacts", params={"consent": "withdrawn"}).json()
    assert (
        withdrawn["total"] <= int(shown.inner_text().split()[0].replace(",", "")) <= after["total"]
    )
    page.get_by_label("Filter by tag").fill("vip")
    page.get_by_label("Filter by tag").press("Enter")
    expect(page).to_have_url(re.compile(r"tag=vip"))
    expect(consent_cells.filter(has_not_text="vip")).to_have_count(0)
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    exported = download.value.path().read_text()
    rows = {row["telegram_id"]: row for row in csv.DictReader(io.StringIO(exported))}
    # A spreadsheet shows the name as text; it never runs it as a formula.
    assert rows[str(telegram_id)]["first_name"] == '\'=HYPERLINK("https://x.example")'

    # Found by Telegram id or by @username, with its own attributes in a column.
    page.goto("/contacts")
    listed = page.get_by_role("row").filter(has=page.get_by_role("link"))
    for term in (str(telegram_id), f"@formula{telegram_id}"):
        page.get_by_label("Search contacts").fill(term)
        expect(page).to_have_url(re.compile(rf"q={re.escape(quote(term))}"))
        expect(listed).to_have_count(1)
        expect(listed).to_contain_text(str(telegram_id))
        expect(listed).to_contain_text("plan: gold")


def test_an_api_key_is_shown_once_works_and_stops_when_revoked(page: Page, server: Server) -> None:
    name = f"CRM sync {uuid.uuid4().hex[:4]}"
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="API keys").click()
    page.get_by_label("Key name").fill(name)
    page.get_by_role("button", name="Create key").click()
    shown = page.get_by_label("New API key")
    expect(shown).to_be_visible()
    key = shown.inner_text().strip()
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 200
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("active")
    assert_accessible(page)

    page.reload()
    expect(row).to_be_visible()
    expect(page.get_by_label("New API key")).to_have_count(0)  # shown once, never again
    expect(page.get_by_text(key)).to_have_count(0)
    row.get_by_role("button", name=f"Revoke {name}").click()
    page.get_by_role("button", name="Revoke", exact=True).click()
    expect(row).to_contain_text("revoked")
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 401


def test_the_admin_verifies_the_audit_chain_and_resets_a_password(
    page: Page, server: Server
) -> None:
    username, _ = make_user(server, "marketer")
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Audit log").click()
    page.get_by_role("button", name="Verify the chain").click()
    expect(page.get_by_role("status").filter(has_text="The chain is intact")).to_contain_text(
        re.compile(r"\d+ entries checked")
    )
    assert_accessible(page)

    page.get_by_role("menuitem", name="Users").click()
    row = page.get_by_role("row").filter(has_text=username)
    row.get_by_role("button", name="Reset password").click()
    page.get_by_role("button", name="Reset", exact=True).click()
    one_time = page.get_by_label(f"One-time password for {username}")
    expect(one_time).to_be_visible()
    with httpx.Client(base_url=server.url) as client:
        login = {"username": username, "password": one_time.inner_text().strip()}
        assert client.post("/api/v1/auth/login", json=login).status_code == 200

"""The admin UI driven as a person would, in headless Chromium, against the real demo server.

A flagged campaign goes through the whole human-in-the-loop flow: created from the UI, approved in
the review queue, then watched on its page until every variant has been sent.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import ROOT, Server, log_in, make_reviewer

pytestmark = pytest.mark.e2e

CAMPAIGN_SCREENSHOT = ROOT / "test-results" / "campaign.png"
# The demo has a few hundred contacts on a simulated bot sending 30 messages a second.
COMPLETION_TIMEOUT_MS = 90_000


def sent_per_variant(page: Page) -> dict[str, int]:
    """Read the "Sent" column of the per-variant results table, keyed by variant letter."""
    table = page.get_by_role("region", name="Per-variant results").get_by_role("table")
    headers = [text.strip() for text in table.get_by_role("columnheader").all_inner_texts()]
    sent_column = headers.index("Sent")
    sent: dict[str, int] = {}
    for row in table.get_by_role("row").all():
        cells = [text.strip() for text in row.get_by_role("cell").all_inner_texts()]
        if len(cells) > sent_column and cells[0].startswith("Variant "):
            sent[cells[0].removeprefix("Variant ")] = int(
                re.sub(r"\D", "", cells[sent_column]) or 0
            )
    return sent


def every_variant_sent(sent: dict[str, int], variant_keys: set[str]) -> bool:
    return set(sent) == variant_keys and all(count > 0 for count in sent.values())


def test_wrong_password_shows_the_servers_problem(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))


# Kept by the page from its first script on: what its policy refused, and images that failed
# (ReDoc's sidebar logo, which it hides once its load has failed).
WATCH_THE_DOCS = """
window.refusedByPolicy = [];
window.imagesFailed = 0;
document.addEventListener("securitypolicyviolation", (e) => {
  window.refusedByPolicy.push(e.blockedURI);
});
window.addEventListener("error", (e) => {
  if (e.target instanceof HTMLImageElement) window.imagesFailed += 1;
}, true);
"""


def test_the_api_docs_render_offline_under_the_servers_own_policy(
    browser: Browser, server: Server
) -> None:
    # No internet: anything not from the server is refused, and any attempt fails the test, as
    # does anything the docs' own policy refused (no CSP bypass here).
    context = browser.new_context(base_url=server.url)
    context.add_init_script(WATCH_THE_DOCS)
    outside: list[str] = []

    def refuse(route: Route) -> None:
        outside.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(?!" + re.escape(server.url) + r"/)"), refuse)
    page = context.new_page()
    try:
        page.goto("/docs")
        expect(
            page.get_by_role("heading", name=re.compile(r"^Marketing Intelligence Agent"))
        ).to_be_visible()
        expect(page.get_by_text("/api/v1/auth/login", exact=True).first).to_be_visible()
        assert page.evaluate("window.refusedByPolicy") == []
        page.goto("/redoc")
        # ReDoc lays out the whole schema before it shows anything: slow on a busy machine.
        expect(
            page.get_by_role("heading", name=re.compile(r"^Marketing Intelligence Agent"))
        ).to_be_visible(timeout=60_000)
        expect(page.get_by_text("/api/v1/auth/login").first).to_be_attached()
        # The sidebar's footer, whose logo came from Redocly's CDN: once its image has been
        # tried (and given up), an outside address would have been asked for by now.
        expect(page.get_by_role("link", name="API docs by Redocly")).to_be_attached()
        page.wait_for_function("window.imagesFailed > 0")
        assert page.evaluate("window.refusedByPolicy") == []
        assert outside == []
    finally:
        context.close()


def test_reviewer_approves_a_flagged_campaign_and_watches_it_complete(
    page: Page, server: Server, browser: Browser
) -> None:
    log_in(page, server.admin_password)

    # A marketer writes the messages herself, with promises the safety guard does not let through
    # unreviewed. (One blacklisted phrase alone is only a warning, and the AI strategist rewrites
    # flagged drafts, so the variants are hand-written with two phrases each.)
    name = f"Spring launch {uuid.uuid4().hex[:6]}"
    page.get_by_role("menuitem", name="Campaigns").click()
    page.get_by_role("button", name="New campaign").click()
    form = page.get_by_role("dialog", name="New campaign")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Brief").fill(
        "Tell subscribers about the spring collection: guaranteed results, 20% off until Sunday."
    )
    form.get_by_role("switch", name="Write the variants myself").click()
    form.get_by_label("Variant A", exact=True).fill(
        "Spring collection: guaranteed results in a week, risk-free. 20% off until Sunday."
    )
    form.get_by_label("Variant B", exact=True).fill(
        "Guaranteed to refresh your wardrobe, and risk-free: spring styles at 20% off."
    )
    form.get_by_label("CTA URL").fill("https://example.com/spring")
    # The schedule is optional and folded away; by default it sends once approved.
    form.get_by_role("button", name="Advanced: schedule").click()
    expect(form.get_by_label("Start at")).to_be_visible()
    expect(form.get_by_label("Repeat (cron)")).to_be_visible()
    form.get_by_role("button", name="Create campaign").click()
    created = form.get_by_role("region", name="Created campaign")
    expect(created).to_be_visible(timeout=60_000)
    expect(created).to_contain_text("Pending review")
    form.get_by_role("button", name="Close").click()

    # A reviewer (not the admin who wrote it: nobody approves their own campaign) approves it
    # from the queue, with a note for the audit log; then the admin watches it.
    reviewer_name, reviewer_password = make_reviewer(server)
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1440, "height": 900}, bypass_csp=True
    )
    reviewer = context.new_page()
    log_in(reviewer, reviewer_password, username=reviewer_name)
    reviewer.get_by_role("menuitem", name="Review queue").click()
    item = reviewer.get_by_role("row").filter(
        has=reviewer.get_by_role("link", name=name, exact=True)
    )
    expect(item).to_be_visible()
    item.get_by_role("button", name="Approve").click()
    decision = reviewer.get_by_role("dialog").filter(has_text=f"Approve “{name}”?")
    decision.get_by_label("Note").fill("Claim checked against the refund policy.")
    decision.get_by_role("button", name="Approve").click()
    expect(item).to_be_hidden()
    context.close()

    # Its page shows the sending live until every recipient has been handled.
    page.get_by_role("menuitem", name="Campaigns").click()
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    status = page.get_by_role("status", name="Campaign status")
    expect(status).to_have_text("Completed", timeout=COMPLETION_TIMEOUT_MS)

    variants = page.get_by_role("group", name=re.compile(r"^Variant [A-Z]$"))
    expect(variants.first).to_be_visible()
    labels = [variant.get_attribute("aria-label") or "" for variant in variants.all()]
    variant_keys = {label.removeprefix("Variant ") for label in labels}
    assert len(variant_keys) >= 2

    # The last poll may land just after the status changed: give the numbers a moment to arrive.
    deadline = time.monotonic() + 15
    sent = sent_per_variant(page)
    while not every_variant_sent(sent, variant_keys) and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        sent = sent_per_variant(page)
    assert set(sent) == variant_keys, sent
    assert all(n > 0 for n in sent.values()), sent

    delivery = page.get_by_role("region", name="Delivery counts")
    expect(delivery).to_contain_text("Dead")
    expect(delivery).to_contain_text("In doubt")

    funnel = page.get_by_role("region", name="Funnel")
    expect(funnel.get_by_role("progressbar").first).to_be_visible()
    CAMPAIGN_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(CAMPAIGN_SCREENSHOT), full_page=True)

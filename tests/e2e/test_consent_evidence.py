"""Consent a data-protection officer can prove, in Chromium against the demo server: a marketer
imports a sign-up sheet declaring its lawful basis and where it was collected, a row without a
basis is refused in the problem table, and the contact's consent history shows the basis, the
text version and the import's evidence (the file's SHA-256, who uploaded it, when); a consent
given by a Telegram join request shows the join request (channel, invite link, time)."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in
from tests.telegram.bot_api_server import BotApiServer

pytestmark = pytest.mark.e2e


def test_an_imports_lawful_basis_and_evidence_show_in_the_consent_history(
    page: Page, server: Server, api: httpx.Client, tmp_path: Path
) -> None:
    tag = f"ev{uuid.uuid4().hex[:6]}"
    first_id = 910_000_000 + uuid.uuid4().int % 10_000_000
    csv_file = tmp_path / "fair.csv"
    csv_file.write_text(
        "telegram_id,first_name,tags,consent_at,lawful_basis,consent_text_version\n"
        f"{first_id},Greta,{tag},2026-05-01T10:00:00Z,,form-v2\n"
        f"{first_id + 1},Hugo,{tag},2026-05-01T10:00:00Z,whim,\n"
    )
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Contacts").click()
    page.get_by_role("button", name="Import CSV").click()
    drawer = page.get_by_role("dialog", name="Import contacts")
    drawer.get_by_label("Consent was given to").click()
    page.keyboard.press("Enter")  # the first sender: the demo bot
    expect(drawer.get_by_title("Demo bot (simulator)")).to_be_visible()
    expect(drawer.get_by_title("consent", exact=True)).to_be_visible()  # the declared basis
    drawer.get_by_label("Where the consents were collected").fill("Spring fair sign-up sheet")
    with page.expect_file_chooser() as chooser:
        drawer.get_by_text("Choose a CSV file or drop it here").click()
    chooser.value.set_files(str(csv_file))

    problems = drawer.get_by_role("region", name="Problems in the file")
    refused = problems.get_by_role("row").filter(has_text="lawful_basis")
    expect(refused).to_contain_text("is no lawful basis")
    assert_accessible(page)
    drawer.get_by_role("button", name="Import the 1 valid rows only").click()
    result = drawer.get_by_role("region", name="Import result")
    expect(result).to_contain_text("1 created")
    expect(result).to_contain_text("Kept as evidence: import batch")
    drawer.get_by_role("button", name="Close").click()

    page.get_by_label("Search contacts").fill(tag)
    expect(page).to_have_url(re.compile(rf"q={tag}"))  # the search has applied: the list is settled
    rows = page.get_by_role("row").filter(has_text=tag)
    expect(rows).to_have_count(1)  # Hugo's row was refused whole
    rows.get_by_role("link", name="Greta").click()
    history = page.get_by_role("region", name="Consent history")
    expect(history).to_contain_text("Lawful basis")
    expect(history.get_by_role("cell", name="consent", exact=True)).to_be_visible()
    expect(history).to_contain_text("form-v2")
    digest = hashlib.sha256(csv_file.read_bytes()).hexdigest()
    expect(history).to_contain_text(digest)
    expect(history).to_contain_text("by user:admin")
    expect(history).to_contain_text("Spring fair sign-up sheet")
    assert_accessible(page)

    # The file the marketer kept proves to be the one imported.
    contacts = api.get("/api/v1/orchestrator/contacts", params={"q": tag}).json()["items"]
    [consent] = api.get(f"/api/v1/compliance/contacts/{contacts[0]['id']}/consents").json()
    checked = api.post(
        f"/api/v1/compliance/import-batches/{consent['import_batch_id']}/check",
        files={"file": ("fair.csv", csv_file.read_bytes(), "text/csv")},
    )
    assert checked.json()["matches"] is True


def test_a_join_requests_evidence_shows_in_the_consent_history(
    page: Page, server: Server, api: httpx.Client
) -> None:
    """A person asks to join the shop's channel through its 'Winter ad' invite link (a bot of
    the simulated Bot API, added as a sender): the bot confirms in their private chat, then
    approves it, and the contact's consent history shows the join request as the evidence: the
    channel, the link and when."""
    telegram_api = BotApiServer()
    try:
        with httpx.Client(base_url=telegram_api.url, timeout=10) as sim:
            bot = sim.post("/sim/bots", json={"profile": "bot"}).json()
            added = api.post(
                "/api/v1/telegram/senders",
                json={
                    "name": f"Channel bot {bot['username']}",
                    "transport": "botapi",
                    "secret": bot["token"],
                    "bot_api_url": telegram_api.url,
                },
            )
            assert added.status_code == 201, added.text
            name = f"Ida{uuid.uuid4().hex[:6]}"
            person = 920_000_000 + uuid.uuid4().int % 10_000_000
            joined = sim.post(
                f"/sim/users/{person}/join",
                json={
                    "bot": bot["username"],
                    "chat_id": -1001234567890,
                    "chat_title": "Boot Shop News",
                    "invite_link_name": "Winter ad",
                    "first_name": name,
                },
            )
            assert joined.status_code == 201, joined.text
            contact = _wait_for_contact(api, name)
            _wait_for_approval(sim, bot["username"])
            received = sim.get(f"/sim/users/{person}/messages", params={"bot": bot["username"]})
        assert "You're subscribed" in received.json()[0]["text"]  # sent before the approval

        log_in(page, server.admin_password)
        page.goto(f"{server.url}/contacts/{contact['id']}")
        history = page.get_by_role("region", name="Consent history")
        evidence = history.get_by_label("Join request to Boot Shop News")
        expect(evidence).to_contain_text("Boot Shop News (channel -1001234567890)")
        expect(evidence).to_contain_text("Winter ad: https://t.me/+")
        expect(evidence).to_contain_text("requested:")
        expect(history).to_contain_text("bot:join-Winter-ad")
        expect(history).to_contain_text(
            "asked to join Boot Shop News through the invite link 'Winter ad'"
        )
        assert_accessible(page)
    finally:
        telegram_api.stop()


def _wait_for_contact(api: httpx.Client, name: str) -> dict[str, Any]:
    """Returns the contact named `name` once the server's scheduler has applied the update."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = api.get("/api/v1/orchestrator/contacts", params={"q": name}).json()["items"]
        if found:
            return dict(found[0])
        time.sleep(0.2)
    raise AssertionError(f"no contact {name} after the join request")


def _wait_for_approval(sim: httpx.Client, username: str) -> None:
    """Returns once the bot approved the join request (after its confirmation went out)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        requests = sim.get(f"/sim/bots/{username}").json()["join_requests"]
        if requests and requests[0]["status"] == "approved":
            return
        time.sleep(0.2)
    raise AssertionError("the join request was not approved")

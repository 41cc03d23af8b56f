"""The Privacy page as a privacy officer uses it, in Chromium against the demo server: a
data-subject request from receipt to erasure with its deadline, an erasure confirmed by typing,
the suppression list, the privacy scanner's redaction, retention run on request, and the audit
log's export downloaded, verified and caught when tampered with."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in

pytestmark = pytest.mark.e2e


def _contact(api: httpx.Client, **extra: object) -> dict:
    telegram_id = 700_000_000 + uuid.uuid4().int % 10_000_000
    body = {"telegram_id": telegram_id, "first_name": "Greta", **extra}
    response = api.post("/api/v1/orchestrator/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def at_rest(page: Page) -> None:
    """Moves the pointer away and the focus off the last button pressed: a hovered or focused
    button is lighter than at rest, and the check is of the page as it rests."""
    page.get_by_role("heading", name="Privacy", exact=True).click()
    page.mouse.move(0, 0)


def _open_privacy(page: Page, server: Server) -> None:
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Privacy").click()
    expect(page.get_by_role("heading", name="Privacy", exact=True)).to_be_visible()


def test_a_request_goes_from_receipt_to_erasure_and_the_person_is_suppressed(
    page: Page, server: Server, api: httpx.Client
) -> None:
    person = _contact(api)
    _open_privacy(page, server)

    page.get_by_label("Kind").click()
    page.get_by_title("Erasure", exact=True).click()  # the list's option, named by its title
    page.get_by_label("Contact id").fill(str(person["id"]))
    page.get_by_role("button", name="Record request").click()
    pending = page.get_by_role("row").filter(has_text=re.compile(rf"Erasure.*GDPR.*{person['id']}"))
    expect(pending).to_contain_text("received")
    requests = api.get("/api/v1/compliance/requests").json()
    [request] = [r for r in requests if r["contact_id"] == person["id"]]
    row = page.get_by_role("row").filter(
        has=page.get_by_role("cell", name=str(request["id"]), exact=True)
    )
    expect(row).to_contain_text(request["due_at"][:4])  # a deadline one month out is shown
    at_rest(page)
    assert_accessible(page)

    row.get_by_role("button", name=f"Verify identity of request {request['id']}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("How did the requester prove who they are?").fill(
        "wrote from their own Telegram account to our bot"
    )
    dialog.get_by_role("button", name="Record verification").click()
    expect(row).to_contain_text("verified")

    row.get_by_role("button", name=f"Complete request {request['id']}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("This cannot be undone")
    dialog.get_by_role("button", name="Erase for good").click()
    expect(row).to_contain_text("completed")
    expect(row).to_contain_text("erased")
    assert api.get(f"/api/v1/orchestrator/contacts/{person['id']}").status_code == 404

    page.get_by_role("tab", name="Erasure & suppression").click()
    page.get_by_label("Telegram id to check").fill(str(person["telegram_id"]))
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("status")).to_contain_text("This person was erased")

    # An erasure straight from the page asks for ERASE to be typed first.
    other = _contact(api)
    page.get_by_label("Contact id to erase").fill(str(other["id"]))
    page.get_by_role("button", name="Erase…").click()
    dialog = page.get_by_role("dialog")
    erase = dialog.get_by_role("button", name="Erase for good")
    expect(erase).to_be_disabled()
    dialog.get_by_label("Type ERASE to confirm").fill("ERASE")
    erase.click()
    expect(page.get_by_role("status").first).to_contain_text(f"Contact {other['id']} erased")
    assert api.get(f"/api/v1/orchestrator/contacts/{other['id']}").status_code == 404
    at_rest(page)
    assert_accessible(page)


def test_the_scanner_redacts_and_the_audit_export_verifies_and_catches_tampering(
    page: Page, server: Server, api: httpx.Client, tmp_path: Path
) -> None:
    mail = f"greta.{uuid.uuid4().hex[:6]}@example.com"
    person = _contact(api, attributes={"note": f"prefers {mail}"})
    _open_privacy(page, server)

    page.get_by_role("tab", name="Privacy scanner").click()
    page.get_by_role("button", name="Scan for personal data").click()
    redact = page.get_by_role("button", name=f"Redact contact {person['id']} attributes.note")
    expect(redact).to_be_visible()
    expect(page.get_by_role("main").first).not_to_contain_text(mail)  # shown masked only
    at_rest(page)
    assert_accessible(page)
    redact.click()
    expect(redact).to_have_count(0)
    shown = api.get(f"/api/v1/orchestrator/contacts/{person['id']}").json()
    assert shown["attributes"]["note"] == "prefers [EMAIL]"

    page.get_by_role("tab", name="Retention & records").click()
    page.get_by_role("button", name="Run retention now").click()
    expect(page.get_by_text(re.compile(r"by user:admin: \d+ contacts erased"))).to_be_visible()
    expect(
        page.get_by_text(
            re.compile(r"\d+ events anonymised, \d+ replies deleted, \d+ logged updates deleted")
        )
    ).to_be_visible()
    for label in ("Events linked to people", "Replies"):  # the demo keeps them (0 days)
        expect(page.get_by_role("cell", name=f"{label} : kept")).to_be_visible()
    expect(
        page.get_by_role("cell", name="Telegram updates log : 30 days after applied, then deleted")
    ).to_be_visible()
    expect(
        page.get_by_role("cell", name="Strategist chats : not stored", exact=False)
    ).to_be_visible()
    expect(page.get_by_role("cell", name="Telegram updates log", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="replies", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="contact profile")).to_be_visible()

    page.get_by_role("tab", name="Audit export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download audit export").click()
    export = tmp_path / "audit-log.jsonl"
    download.value.save_as(export)
    lines = export.read_text().splitlines()
    assert "head" in json.loads(lines[-1])

    page.get_by_label("Verify an export file").set_input_files(export)
    expect(page.get_by_role("status")).to_contain_text("The export is intact")

    entry = json.loads(lines[1])
    entry["actor"] = "user:mallory"
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join([lines[0], json.dumps(entry), *lines[2:]]) + "\n")
    page.get_by_label("Verify an export file").set_input_files(tampered)
    expect(page.get_by_role("status")).to_contain_text(f"tampered with at entry {entry['seq']}")
    at_rest(page)
    assert_accessible(page)


def _recorded_request(page: Page, api: httpx.Client, kind: str, person: dict) -> dict:
    page.get_by_label("Kind").click()
    page.locator(".ant-select-item-option", has_text=kind).click()
    page.get_by_label("Contact id").fill(str(person["id"]))
    page.get_by_role("button", name="Record request").click()
    expect(
        page.get_by_role("row").filter(has_text=re.compile(rf"{kind}.*{person['id']}"))
    ).to_be_visible()
    [request] = [
        r for r in api.get("/api/v1/compliance/requests").json() if r["contact_id"] == person["id"]
    ]
    return request


def test_an_officer_extends_one_request_with_a_reason_and_rejects_another(
    page: Page, server: Server, api: httpx.Client
) -> None:
    _open_privacy(page, server)
    first = _recorded_request(page, api, "Access / portability", _contact(api))
    row = page.get_by_role("row").filter(
        has=page.get_by_role("cell", name=str(first["id"]), exact=True)
    )
    expect(row).to_contain_text(re.compile(r"\d+ days left"))

    row.get_by_role("button", name=f"Extend deadline of request {first['id']}").click()
    dialog = page.get_by_role("dialog", name=f"Extend the deadline of request {first['id']}")
    expect(dialog).to_contain_text("two further months")
    dialog.get_by_role("button", name="Extend deadline").click()
    expect(dialog.get_by_text("Give the reason the requester is told")).to_be_visible()
    dialog.get_by_label("Why is more time needed?").fill(
        "Hundreds of requests arrived after the campaign."
    )
    dialog.get_by_role("button", name="Extend deadline").click()
    expect(page.get_by_text(f"Request {first['id']}: deadline extended.")).to_be_visible()
    expect(row.get_by_text(re.compile(r"^Extended from"))).to_be_visible()
    expect(
        row.get_by_role("button", name=f"Extend deadline of request {first['id']}")
    ).to_have_count(0)
    extended = next(
        r for r in api.get("/api/v1/compliance/requests").json() if r["id"] == first["id"]
    )
    assert extended["original_due_at"] == first["due_at"] and extended["due_at"] > first["due_at"]
    assert extended["extension_reason"] == "Hundreds of requests arrived after the campaign."
    at_rest(page)
    assert_accessible(page)

    second = _recorded_request(page, api, "Rectification", _contact(api))
    row = page.get_by_role("row").filter(
        has=page.get_by_role("cell", name=str(second["id"]), exact=True)
    )
    row.get_by_role("button", name=f"Reject request {second['id']}").click()
    dialog = page.get_by_role("dialog", name=f"Reject request {second['id']}")
    dialog.get_by_label("Why is the request rejected?").fill(
        "The requester could not show they hold the account."
    )
    dialog.get_by_role("button", name="Reject request").click()
    expect(page.get_by_text(f"Request {second['id']} rejected.")).to_be_visible()
    expect(row).to_contain_text("rejected")
    expect(row).to_contain_text("The requester could not show they hold the account.")
    audit = api.get(
        "/api/v1/compliance/audit",
        params={"entity_type": "privacy_request", "entity_id": str(second["id"])},
    ).json()["items"]
    assert audit[0]["action"] == "privacy_request.rejected"

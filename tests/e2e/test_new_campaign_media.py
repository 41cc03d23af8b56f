"""A marketer gives a hand-written variant an image and a link button in the New campaign form,
in Debian's Chromium against the demo server, and finds both on the campaign's page."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in

pytestmark = pytest.mark.e2e

IMAGE = "https://shop.example.com/boots.jpg"


def test_a_new_campaign_gets_an_image_and_a_button_from_the_form(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name = f"Boots {uuid.uuid4().hex[:6]}"
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Campaigns").click()
    page.get_by_role("button", name="New campaign").click()
    form = page.get_by_role("dialog", name="New campaign")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Brief").fill("Tell subscribers the winter boots are back in stock.")
    form.get_by_role("switch", name="Write the variants myself").click()
    form.get_by_role("button", name="Remove variant B").click()
    form.get_by_label("Variant A", exact=True).fill("Our winter boots are back, {first_name}.")
    form.get_by_label("Image of variant A (optional)").fill(IMAGE)
    form.get_by_role("button", name="Add button to variant A").click()
    form.get_by_label("Label of button 1 of variant A").fill("Shop the boots")
    form.get_by_label("Link of button 1 of variant A").fill("javascript:alert(1)")
    form.get_by_role("button", name="Create campaign").click()
    expect(form.get_by_text("An http(s) address")).to_be_visible()
    assert_accessible(page)
    form.get_by_label("Link of button 1 of variant A").fill("https://shop.example.com/boots")
    form.get_by_role("button", name="Create campaign").click()
    created = form.get_by_role("region", name="Created campaign")
    expect(created).to_be_visible(timeout=60_000)
    created.get_by_role("button", name="Open campaign").click()

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    variant = page.get_by_role("group", name="Variant A")
    expect(variant.get_by_role("link", name=IMAGE)).to_be_visible()
    expect(variant.get_by_role("listitem")).to_have_text("Shop the boots")
    # The editor of the draft starts from what was created: the same image and button.
    page.get_by_role("button", name="Edit").click()
    editor = page.get_by_role("dialog", name=f"Edit “{name}”")
    expect(editor.get_by_label("Image of variant A (optional)")).to_have_value(IMAGE)
    expect(editor.get_by_role("region", name="Preview of variant A")).to_contain_text(
        "Shop the boots"
    )
    campaign_id = int(page.url.rsplit("/", 1)[-1])
    saved = api.get(f"/api/v1/orchestrator/campaigns/{campaign_id}").json()["variants"]
    assert [(v["image_url"], v["buttons"]) for v in saved] == [
        (IMAGE, [{"text": "Shop the boots", "url": "https://shop.example.com/boots"}])
    ]

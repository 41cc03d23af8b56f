"""The strategist's prompts as an admin changes one: edit it, read the diff against the shipped
text, save it as a new version, see that version run, and reset it to the shipped text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in

pytestmark = pytest.mark.e2e

ADDED = "Write every variant for readers on a phone."


def test_an_admin_edits_a_prompt_reads_the_diff_saves_and_resets_it(
    page: Page, server: Server
) -> None:
    log_in(page, server.admin_password)
    page.goto("/agent?tab=prompts")
    expect(page.get_by_role("tab", name="Prompts", selected=True)).to_be_visible()
    card = page.get_by_label("Prompt plan_user")
    expect(card.get_by_text("runs plan_user@1", exact=True)).to_be_visible()
    assert_accessible(page)

    box = card.get_by_label("Text of plan_user")
    shipped = box.input_value()
    box.fill(shipped + "\n" + ADDED)
    card.get_by_role("button", name="Show diff against shipped").click()
    diff = card.get_by_role("region", name="Diff of plan_user against shipped")
    expect(diff.locator("[data-diff=added]")).to_have_text(f"+ {ADDED}")
    expect(diff.locator("[data-diff=removed]")).to_have_count(0)
    page.mouse.move(0, 0)  # a hovered button is lighter; the page at rest is what is checked
    assert_accessible(page)

    card.get_by_label("Why plan_user changes").fill("phones first")
    card.get_by_role("button", name="Save as new version").click()
    expect(card.get_by_text(re.compile(r"^runs plan_user@1\.edit\d+$"))).to_be_visible()
    expect(card.get_by_text(re.compile(r"by user:admin.*phones first"))).to_be_visible()
    expect(card.get_by_label("Text of plan_user")).to_have_value(shipped + "\n" + ADDED)

    card.get_by_role("button", name="Reset to shipped").click()
    expect(card.get_by_text("runs plan_user@1", exact=True)).to_be_visible()
    expect(
        card.get_by_text(re.compile(r"^Reset to shipped version 1 by user:admin"))
    ).to_be_visible()
    expect(card.get_by_label("Text of plan_user")).to_have_value(shipped)


def test_an_admin_previews_a_draft_prompt_filled_in_for_the_sample_brief(
    page: Page, server: Server
) -> None:
    log_in(page, server.admin_password)
    page.goto("/agent?tab=prompts")
    card = page.get_by_label("Prompt plan_user")
    box = card.get_by_label("Text of plan_user")
    shipped = box.input_value()
    box.fill(shipped + "\nThe product, once more: $product.")

    card.get_by_role("button", name="Preview with a sample brief").click()

    preview = card.get_by_role("region", name="Preview of plan_user")
    expect(preview).to_contain_text("The product, once more: The new winter boots collection.")
    expect(preview).not_to_contain_text("$product")
    expect(card.get_by_text("Preview of plan_user (unsaved)", exact=False)).to_be_visible()
    expect(
        card.get_by_text(re.compile(r"\$cta = https://shop\.example/winter-boots"))
    ).to_be_visible()
    expect(card.get_by_text("runs plan_user@1", exact=True)).to_be_visible()  # nothing saved
    page.mouse.move(0, 0)
    assert_accessible(page)

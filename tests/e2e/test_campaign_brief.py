"""A marketer creates a campaign from a structured brief in the New campaign form, in Debian's
Chromium against the demo server (no API key: the offline strategist), writes for a Russian and
a German audience, gives the product's Russian words, and reads each language's own text and the
strategist's notes on the campaign's page."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in

pytestmark = pytest.mark.e2e


def _pick(page: Page, label: str, option: str) -> None:
    """Chooses `option` in the select labelled `label`, as a person would: open it, click it."""
    page.get_by_role("dialog", name="New campaign").get_by_label(label, exact=True).click()
    # The open list's entry (antd also keeps a hidden list for screen readers).
    page.locator(".ant-select-item-option:visible", has_text=option).click()


def test_a_brief_for_a_russian_and_german_audience_is_written_in_their_words(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name = f"Boots {uuid.uuid4().hex[:6]}"
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Campaigns").click()
    page.get_by_role("button", name="New campaign").click()
    form = page.get_by_role("dialog", name="New campaign")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Product", exact=True).fill("Winter boots")
    form.get_by_label("Offer", exact=True).fill("20% off")
    form.get_by_label("Offer ends", exact=True).fill("2026-12-07")
    form.get_by_label("Call to action", exact=True).fill("Shop the boots")
    form.get_by_label("CTA URL").fill("https://shop.example/boots")
    _pick(page, "Write for", "English (en)")
    _pick(page, "Write for", "Русский (ru)")
    _pick(page, "Write for", "Deutsch (de)")
    page.keyboard.press("Escape")  # close the list, as a person clicks away
    expect(form.get_by_role("group", name="Words in Русский")).to_be_visible()
    expect(form.get_by_role("group", name="Words in Deutsch")).to_be_visible()
    # English is the brief's own language: nothing to give for it.
    expect(form.get_by_role("group", name="Words in English")).to_have_count(0)
    form.get_by_label("Product in Русский", exact=True).fill("Зимние ботинки")
    form.get_by_label("Call to action in Русский", exact=True).fill("Выбрать ботинки")
    assert_accessible(page)

    form.get_by_role("button", name="Create campaign").click()
    created = form.get_by_role("region", name="Created campaign")
    expect(created).to_be_visible(timeout=60_000)
    notes = created.get_by_role("status").filter(has_text="The strategist's notes")
    expect(notes).to_contain_text("The product 'Winter boots' has no words in Deutsch")
    expect(notes).to_contain_text("leave it out")
    expect(notes).not_to_contain_text("Русский")  # its words were given
    created.get_by_role("button", name="Open campaign").click()

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    variant = page.get_by_role("group", name="Variant A", exact=True)
    expect(variant).to_contain_text("Winter boots: 20% off until 7 December.")
    expect(variant).to_contain_text("Shop the boots: https://shop.example/boots")
    in_russian = variant.get_by_role("group", name="Text in ru")
    expect(in_russian).to_contain_text("Зимние ботинки: скидка 20% до 7 декабря.")
    expect(in_russian).to_contain_text("Выбрать ботинки: https://shop.example/boots")
    expect(in_russian).not_to_contain_text("off")
    in_german = variant.get_by_role("group", name="Text in de")
    # No German words for the product were given: the German text says the offer only.
    expect(in_german).to_contain_text("20 % Rabatt bis 7. Dezember.")
    expect(in_german).not_to_contain_text("Winter boots")
    expect(in_german).to_contain_text("Jetzt ansehen: https://shop.example/boots")
    expect(in_german).not_to_contain_text("Shop the boots")
    expect(page.get_by_role("status").filter(has_text="The strategist's notes")).to_contain_text(
        "--product-in"
    )
    campaign_id = int(page.url.rsplit("/", 1)[-1])
    saved = api.get(f"/api/v1/orchestrator/campaigns/{campaign_id}").json()
    assert saved["goal"] == "Winter boots: 20% off"
    assert set(saved["variants"][0]["translations"]) == {"ru", "de"}


def test_a_brief_that_names_nothing_asks_for_the_goal_or_the_product(
    page: Page, server: Server
) -> None:
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Campaigns").click()
    page.get_by_role("button", name="New campaign").click()
    form = page.get_by_role("dialog", name="New campaign")
    form.get_by_label("Name", exact=True).fill("Nothing yet")
    form.get_by_label("Call to action", exact=True).fill("Shop")

    form.get_by_role("button", name="Create campaign").click()

    expect(form.get_by_text("Describe the goal, or give the product or the offer")).to_be_visible()
    form.get_by_label("Offer", exact=True).fill("Free shipping")
    form.get_by_role("button", name="Create campaign").click()
    expect(form.get_by_role("region", name="Created campaign")).to_be_visible(timeout=60_000)


def test_texts_an_llm_wrote_are_marked_ai_generated_on_the_campaigns_page(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name = f"Drafted {uuid.uuid4().hex[:6]}"
    created = api.post(
        "/api/v1/orchestrator/campaigns",
        json={
            "name": name,
            "goal": "A draft the chat proposed",
            "variants": [{"text": "Winter boots are 20% off, {first_name}. Reply /stop to stop."}],
            "written_by_ai": "anthropic",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["ai_generated"] is True
    log_in(page, server.admin_password)

    page.goto(f"/campaigns/{created.json()['id']}")

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_text("AI-generated", exact=True)).to_be_visible()
    expect(page.get_by_role("group", name="Variant A", exact=True)).to_contain_text(
        "control · AI-generated"
    )
    # Own texts, no brief: nothing to re-plan from.
    expect(page.get_by_role("button", name="Re-plan from brief")).to_have_count(0)


def test_the_campaign_page_shows_its_brief_and_a_clone_is_re_planned_from_it(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name = f"Scarves {uuid.uuid4().hex[:6]}"
    created = api.post(
        "/api/v1/orchestrator/campaigns",
        json={
            "name": name,
            "brief": {
                "product": "Wool scarves",
                "offer": "Free shipping",
                "tone": "playful",
                "languages": ["en", "fr"],
                "translations": {"fr": {"product": "Écharpes en laine"}},
            },
            "cta_url": "https://shop.example/scarves",
            "variant_count": 2,
        },
    )
    assert created.status_code == 201, created.text
    log_in(page, server.admin_password)
    page.goto(f"/campaigns/{created.json()['id']}")

    brief = page.get_by_role("region", name="Brief", exact=True)
    expect(brief).to_contain_text("Wool scarves")
    expect(brief).to_contain_text("Free shipping")
    expect(brief).to_contain_text("playful")
    expect(brief).to_contain_text("fr: Écharpes en laine")
    assert_accessible(page)

    page.get_by_role("button", name="Re-plan from brief").click()

    expect(page.get_by_role("heading", name=f"{name} (copy)")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(f"Re-planned from the brief as “{name} (copy)”")).to_be_visible()
    expect(page.get_by_role("group", name="Variant A", exact=True)).to_contain_text("Wool scarves")
    expect(page.get_by_role("region", name="Brief", exact=True)).to_contain_text(
        "fr: Écharpes en laine"
    )
    copy_id = int(page.url.rsplit("/", 1)[-1])
    assert copy_id != created.json()["id"]
    saved = api.get(f"/api/v1/orchestrator/campaigns/{copy_id}").json()
    assert saved["brief"] == created.json()["brief"]

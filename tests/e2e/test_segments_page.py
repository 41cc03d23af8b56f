"""The segment builder as a marketer uses it: a rule on an attribute and on behaviour (clicked in
the last week), the count and sample before saving, a bad rule's message, then a campaign on the
segment, whose reach is the segment counted again when it is about to be sent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in

pytestmark = pytest.mark.e2e


def _pick(page: Page, scope: object, label: str, option: str) -> None:
    """Opens the select labelled `label` inside `scope` and clicks `option`."""
    scope.get_by_label(label, exact=True).click()  # type: ignore[attr-defined]
    # Ant Design's visible options are titled items of the open dropdown (its listbox is virtual).
    page.locator(".ant-select-dropdown:visible").get_by_title(option, exact=True).click()


def test_a_marketer_builds_a_behaviour_segment_and_a_campaign_reaches_it_at_send_time(
    page: Page, server: Server, api: httpx.Client
) -> None:
    tag = f"seg{uuid.uuid4().hex[:6]}"
    first_id = 700_000_000 + uuid.uuid4().int % 10_000_000
    people = []
    for n, spent in enumerate([250, 180, 120, 40, 10]):
        response = api.post(
            "/api/v1/orchestrator/contacts",
            json={
                "telegram_id": first_id + n,
                "first_name": f"Shopper{n}",
                "tags": [tag],
                "attributes": {"spent": spent},
            },
        )
        assert response.status_code == 201, response.text
        people.append(response.json()["id"])

    def click(contact_id: int, days_ago: int) -> None:
        at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
        response = api.post(
            "/api/v1/analytics/events",
            json={"type": "clicked", "contact_id": contact_id, "occurred_at": at},
        )
        assert response.status_code == 201, response.text

    click(people[0], 2)
    click(people[1], 3)
    click(people[2], 20)  # too long ago for "in the last 7 days"
    click(people[3], 1)  # clicked, but spent too little

    name = f"Big spenders who clicked {tag}"
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Segments").click()
    page.get_by_role("button", name="New segment").click()
    builder = page.get_by_role("dialog", name="New segment")
    builder.get_by_label("Name", exact=True).fill(name)
    builder.get_by_label("Has any of these tags").fill(tag)
    builder.get_by_label("Has any of these tags").press("Enter")
    count = builder.get_by_role("status", name="Matching contacts count")
    expect(count).to_have_text("5 contacts match")

    builder.get_by_role("button", name="Add condition").click()
    first = builder.get_by_role("group", name="Condition 1")
    _pick(page, first, "Kind of condition", "Attribute")
    first.get_by_label("Attribute name").fill("spent")
    _pick(page, first, "Comparison", "is more than")
    expect(first).to_contain_text("Not counted until it is complete.")
    first.get_by_label("Value").fill("100")
    expect(count).to_have_text("3 contacts match")

    builder.get_by_role("button", name="Add condition").click()
    second = builder.get_by_role("group", name="Condition 2")
    _pick(page, second, "Kind of condition", "Did something (event)")
    _pick(page, second, "Event", "clicked a tracked link")
    expect(count).to_have_text("3 contacts match")  # clicked ever: all three did
    second.get_by_label("In the last days").fill("7")
    expect(count).to_have_text("2 contacts match")
    sample = builder.get_by_role("region", name="Matching contacts")
    expect(sample.get_by_role("cell", name="Shopper0")).to_be_visible()
    expect(sample.get_by_role("cell", name="Shopper1")).to_be_visible()
    expect(sample.get_by_role("cell", name="Shopper2")).to_have_count(0)
    assert_accessible(page)

    # "any condition" widens it: spent over 100 or clicked this week.
    builder.get_by_text("any condition", exact=True).click()
    expect(builder.get_by_role("radio", name="any condition")).to_be_checked()
    expect(count).to_have_text("4 contacts match")
    builder.get_by_text("all conditions", exact=True).click()
    expect(count).to_have_text("2 contacts match")

    builder.get_by_role("button", name="Save segment").click()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("2")
    expect(row).to_contain_text(
        "spent is more than 100 and clicked a tracked link in the last 7 days"
    )

    # A campaign on the segment.
    campaign_name = f"Thank you {tag}"
    page.get_by_role("menuitem", name="Campaigns").click()
    page.get_by_role("button", name="New campaign").click()
    form = page.get_by_role("dialog", name="New campaign")
    form.get_by_label("Name", exact=True).fill(campaign_name)
    form.get_by_label("Brief").fill("Thank our best customers with early access to the sale.")
    form.get_by_role("switch", name="Write the variants myself").click()
    form.get_by_label("Variant A", exact=True).fill("Hi {first_name}, early access is yours.")
    form.get_by_label("Variant B", exact=True).fill("{first_name}, the sale opens early for you.")
    _pick(page, form, "Segment", f"{name} (2)")
    # The pick took (a click on a list that re-rendered would leave "All consenting contacts").
    expect(form.get_by_title(f"{name} (2)", exact=True)).to_be_visible()
    form.get_by_role("button", name="Create campaign").click()
    created = form.get_by_role("region", name="Created campaign")
    expect(created).to_be_visible(timeout=60_000)
    form.get_by_role("button", name="Close").click()
    page.get_by_role("link", name=campaign_name, exact=True).click()
    expect(page.get_by_role("heading", name=campaign_name)).to_be_visible()

    # Someone else clicks after the segment was saved: the campaign reaches them too.
    click(people[2], 0)
    page.get_by_role("button", name="Submit").click()
    reach = page.get_by_role("dialog", name=f"Submit “{campaign_name}”?").get_by_role(
        "region", name="Reach"
    )
    expect(reach).to_contain_text("of 3 will receive it")
    assert_accessible(page)


def test_a_rule_the_api_refuses_says_which_field_is_wrong(page: Page, server: Server) -> None:
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Segments").click()
    page.get_by_role("button", name="New segment").click()
    builder = page.get_by_role("dialog", name="New segment")
    builder.get_by_label("Name", exact=True).fill(f"Words {uuid.uuid4().hex[:4]}")
    builder.get_by_role("button", name="Add condition").click()
    first = builder.get_by_role("group", name="Condition 1")
    _pick(page, first, "Kind of condition", "Attribute")
    first.get_by_label("Attribute name").fill("spent")
    _pick(page, first, "Comparison", "is more than")
    first.get_by_label("Value").fill("lots")
    expect(first.get_by_role("alert")).to_have_text("value: 'gt' compares numbers: give a number")
    builder.get_by_role("button", name="Save segment").click()
    saved = builder.get_by_role("alert").filter(has_text="filter.conditions.0.value")
    expect(saved).to_contain_text("Validation failed")
    expect(builder).to_be_visible()  # nothing saved: the builder stays open to fix it
    page.mouse.move(
        0, 0
    )  # the pointer off Save: its hover colour is the theme's, checked elsewhere
    assert_accessible(page)

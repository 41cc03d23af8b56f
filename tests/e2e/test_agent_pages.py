"""The strategist's page as a marketer uses it, against the demo server: ask about a campaign and
read where each figure comes from, then answer a recipient's reply from the inbox."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in

pytestmark = pytest.mark.e2e


def test_a_marketer_asks_about_a_campaign_and_sees_the_sources(page: Page, server: Server) -> None:
    log_in(page, server.admin_password)
    page.get_by_role("menuitem", name="Strategist").click()
    expect(page.get_by_role("heading", name="Strategist")).to_be_visible()

    page.get_by_label("Your question").fill("How did the Winter boots sale campaign do?")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/agent/chat/stream")) as streamed:
        page.get_by_role("button", name="Ask").click()

    assert streamed.value.headers["content-type"].startswith("text/event-stream")
    answer = page.get_by_label("Answer", exact=True)
    expect(answer).to_contain_text("“Winter boots sale” is completed: sent to")
    expect(answer.get_by_text("S2 · campaign_results").first).to_be_visible()
    expect(answer.get_by_text("Offline rules, no LLM")).to_be_visible()
    answer.get_by_role("button", name=re.compile(r"^Tool calls \(2\)")).click()
    expect(answer.get_by_text("list_campaigns", exact=True).first).to_be_visible()
    expect(answer.get_by_text("ok", exact=True)).to_have_count(2)
    assert_accessible(page)


def test_a_marketer_sends_the_suggested_answer_to_a_reply(page: Page, server: Server) -> None:
    log_in(page, server.admin_password)
    page.goto("/agent?tab=inbox")
    expect(page.get_by_role("tab", name="Reply inbox", selected=True)).to_be_visible()
    reply = page.get_by_label(re.compile(r"^Reply \d+$")).filter(has_text="How much is it?").first
    expect(reply).to_contain_text("Wants to buy")
    box = reply.get_by_role("textbox")
    expect(box).to_have_value(re.compile(r"\S"))  # a suggestion in the contact's own language
    assert_accessible(page)

    box.fill("Great to hear! The boots are 20% off this week: https://shop.example/boots")
    reply.get_by_role("button", name="Send answer").click()

    expect(page.get_by_text("Answer sent.")).to_be_visible()
    page.get_by_text("Answered", exact=True).click()
    expect(
        page.get_by_text(re.compile(r"Answered by user:admin: “Great to hear! The boots"))
    ).to_be_visible()


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server.url, viewport={"width": 390, "height": 844}, locale="en-US", bypass_csp=True
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def test_the_strategist_fits_a_phone(phone: Page, server: Server) -> None:
    log_in(phone, server.admin_password)
    phone.get_by_role("button", name="Menu").click()
    phone.get_by_role("menuitem", name="Strategist").click()
    phone.get_by_label("Your question").fill("Which campaigns do I have?")
    phone.get_by_role("button", name="Ask").click()

    answer = phone.get_by_label("Answer")  # the server is shared: other tests add campaigns
    expect(answer).to_contain_text(re.compile(r"There are \d+ campaigns"))
    expect(answer).to_contain_text("S1 · list_campaigns")
    phone.get_by_role("tab", name="Reply inbox").click()
    expect(phone.get_by_label(re.compile(r"^Reply \d+$")).first).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the Strategist page is {width}px wide on a 390px screen"


def test_a_marketer_gives_a_campaign_its_own_llm_budget(page: Page, server: Server) -> None:
    log_in(page, server.admin_password)
    page.goto("/agent")
    picker = page.get_by_label("About a campaign (its budget counts too):")
    picker.click()
    picker.fill("Winter boots sale")  # the list holds every test's campaigns: narrow it first
    option = page.locator(
        '.ant-select-dropdown:visible .ant-select-item-option[title="Winter boots sale"]'
    )
    expect(option).to_have_count(1)
    option.click()

    expect(
        page.get_by_text(re.compile(r"This campaign's LLM spend: .* the default per campaign"))
    ).to_be_visible()
    summary = page.get_by_label("Results summary")
    expect(summary).to_contain_text(re.compile(r"“Winter boots sale” is completed: sent to \d+"))
    expect(summary).to_contain_text("Experiment (clicked of sent)")
    assert_accessible(page)  # before a click leaves the pointer over antd's hover colours
    page.get_by_label("Campaign LLM budget in USD").fill("1.5")
    page.get_by_role("button", name="Set budget").click()

    expect(page.get_by_text(re.compile(r"of \$1\.50? .*its own budget"))).to_be_visible()
    page.get_by_label("Your question").fill("How did the Winter boots sale campaign do?")
    page.get_by_role("button", name="Ask").click()
    expect(page.get_by_label("Answer", exact=True)).to_contain_text("“Winter boots sale” is")
    page.get_by_role("button", name="Use the default").click()
    expect(page.get_by_text(re.compile(r"the default per campaign"))).to_be_visible()


def test_a_finished_campaigns_page_shows_the_summary_written_when_it_finished(
    page: Page, server: Server
) -> None:
    log_in(page, server.admin_password)
    page.goto("/campaigns")
    page.get_by_role("link", name="Winter boots sale").first.click()
    expect(page.get_by_role("heading", name="Winter boots sale")).to_be_visible()

    summary = page.get_by_label("Results summary")
    expect(summary).to_contain_text("written when it finished")
    expect(summary).to_contain_text(re.compile(r"“Winter boots sale” is completed: sent to \d+"))
    expect(summary.get_by_text("S1 · campaign_results")).to_be_visible()
    expect(summary).to_contain_text("no LLM")
    expect(summary).not_to_contain_text("[S1]")
    assert_accessible(page)

"""The experiments pages as a marketer uses them, in Chromium against the demo server: checking
another tool's counts and planning a test's size, then a test-then-send campaign whose rest of the
audience waits for the marketer to choose a variant, with every decision on the timeline."""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, assert_accessible, log_in

pytestmark = pytest.mark.e2e

TEXTS = [
    "Hi {first_name}, our spring jackets are 15% off this week.",
    "Hello {first_name}! Spring jackets: 15% off until Sunday.",
]


def jackets_campaign(api: httpx.Client, label: str) -> tuple[str, int]:
    """A new draft of the three jacket texts, named uniquely ("Jackets <label> <hex>")."""
    name = " ".join(part for part in ("Jackets", label, uuid.uuid4().hex[:6]) if part)
    created = api.post(
        "/api/v1/orchestrator/campaigns",
        json={"name": name, "goal": "Spring jackets", "variants": [{"text": t} for t in TEXTS]},
    )
    assert created.status_code == 201, created.text
    return name, created.json()["id"]


def sent_by_variant(page: Page, api: httpx.Client, campaign_id: int) -> dict[str, list[Any]]:
    """Waits (a condition, not a time) until the campaign has sent to its whole audience;
    returns the sent deliveries of A and B (each has some)."""
    sent: list[dict[str, Any]] = []
    for _ in range(600):
        deliveries = api.get(
            f"/api/v1/orchestrator/campaigns/{campaign_id}/deliveries", params={"limit": 500}
        ).json()
        sent = [d for d in deliveries["items"] if d["status"] == "sent"]
        if sent and all(d["status"] not in ("queued", "sending") for d in deliveries["items"]):
            break
        page.wait_for_timeout(100)
    by_variant = {key: [d for d in sent if d["variant_key"] == key] for key in ("A", "B")}
    assert by_variant["A"] and by_variant["B"], [
        (d["status"], d["reason"]) for d in deliveries["items"]
    ]
    return by_variant


def test_a_marketer_checks_counts_and_plans_a_test_with_the_certainty_stated(
    page: Page, server: Server
) -> None:
    log_in(page, server.admin_password)
    page.get_by_role("navigation", name="Main").get_by_role("menuitem", name="Experiments").click()
    expect(page.get_by_role("heading", name="Experiments")).to_be_visible()

    counts = page.get_by_role("form", name="Counts to analyse")
    second = counts.get_by_role("group", name="Arm 2")
    second.get_by_label("Successes").fill("95")
    counts.get_by_role("button", name="Analyse").click()

    verdict = page.get_by_role("status").filter(has_text="Winner: variant B")
    expect(verdict).to_be_visible()
    expect(verdict).to_contain_text("chance")  # the verdict says how sure it is
    expect(page.get_by_text("You can stop the test")).to_be_visible()
    results = page.get_by_role("region", name="Calculator results")
    row_b = results.get_by_role("row").filter(has_text=re.compile(r"^B"))
    expect(row_b).to_contain_text(">99.9%")
    expect(row_b).to_contain_text("better")
    expect(
        page.get_by_role("img", name=re.compile(r"^Variant B: 9\.50%, 95% credible"))
    ).to_be_visible()

    planner = page.get_by_role("form", name="Sample size planner")
    planner.get_by_label("Audience").fill("20000")
    planner.get_by_role("button", name="Plan").click()
    answer = page.get_by_role("status").filter(has_text="recipients per variant")
    expect(answer).to_contain_text("does not give")
    expect(answer).to_contain_text("80% power")
    page.mouse.move(0, 0)  # not hovering the button just pressed (its hover shade is lighter)
    assert_accessible(page)


def test_test_then_send_waits_for_the_marketer_and_records_the_choice(
    page: Page, server: Server, api: httpx.Client
) -> None:
    _name, campaign_id = jackets_campaign(api, "")

    log_in(page, server.admin_password)
    page.goto(f"/campaigns/{campaign_id}")
    page.get_by_role("link", name="Open the experiment").click()
    expect(
        page.get_by_role("heading", name=f"Experiment of campaign {campaign_id}")
    ).to_be_visible()

    mode = page.get_by_role("form", name="Rollout mode")
    mode.get_by_text("Test then send").click()
    mode.get_by_label("Share tested first (%)").fill("50")
    mode.get_by_label("Test window (minutes)").fill("0.1")
    mode.get_by_role("switch", name="Send the winner automatically").click()
    mode.get_by_role("button", name="Save rollout").click()
    timeline = page.get_by_role("region", name="Decisions")
    expect(timeline).to_contain_text("Test-then-send: 50% tested for 0.1 min")

    submitted = api.post(f"/api/v1/orchestrator/campaigns/{campaign_id}/submit")
    assert submitted.status_code == 200, submitted.text

    expect(timeline).to_contain_text("held for the experiment's decision", timeout=60_000)
    # The window ends with too few sends for a verdict: the rest waits and the page says why.
    expect(timeline).to_contain_text(
        re.compile("waits for more data|wait for a person's approval"), timeout=60_000
    )
    page.get_by_role("button", name="Send variant B to the rest").click()
    page.get_by_role("button", name="Send", exact=True).click()

    expect(timeline).to_contain_text("admin chose variant B for the rest of the audience")
    expect(page.get_by_text("winner sent to the rest")).to_be_visible(timeout=60_000)
    assert_accessible(page)


def test_a_bandit_campaign_shows_its_traffic_shifting_batch_by_batch(
    page: Page, server: Server, api: httpx.Client
) -> None:
    _name, campaign_id = jackets_campaign(api, "bandit")
    rollout = {"mode": "bandit", "batch_size": 3, "interval_minutes": 0.02, "burn_in_per_arm": 1}
    assert api.put(f"/api/v1/experiments/campaigns/{campaign_id}/rollout", json=rollout).is_success
    assert api.post(f"/api/v1/orchestrator/campaigns/{campaign_id}/submit").is_success

    log_in(page, server.admin_password)
    page.goto(f"/experiments/campaigns/{campaign_id}")
    batches = page.get_by_role("list", name="Traffic share per batch").get_by_role("listitem")
    expect(batches.nth(1)).to_be_attached(timeout=60_000)
    expect(batches.first).to_have_accessible_name(re.compile(r"^Batch 2 at .*: A \d"))
    expect(page.get_by_role("region", name="Decisions")).to_contain_text("Batch 3:")
    assert_accessible(page)


def test_revenue_per_recipient_shows_which_variant_brings_more_and_how_sure(
    page: Page, server: Server, api: httpx.Client
) -> None:
    _name, campaign_id = jackets_campaign(api, "revenue")
    assert api.post(f"/api/v1/orchestrator/campaigns/{campaign_id}/submit").is_success

    log_in(page, server.admin_password)
    page.goto(f"/experiments/campaigns/{campaign_id}")
    card = page.get_by_role("region", name="Revenue per recipient")
    expect(card).to_contain_text("no revenue per recipient to compare")
    by_variant = sent_by_variant(page, api, campaign_id)
    # Every B recipient buys for 50 USD, no A recipient does.
    batch = {
        "source": "shop",
        "events": [
            {
                "id": f"order-{campaign_id}-{d['contact_id']}",
                "occurred_at": datetime.now(UTC).isoformat(),
                "value": "50",
                "currency": "USD",
                "contact_id": d["contact_id"],
                "campaign_id": campaign_id,
            }
            for d in by_variant["B"]
        ],
    }
    recorded = api.post("/api/v1/analytics/conversions", json=batch)
    assert recorded.status_code == 200, recorded.text

    verdict = card.get_by_role("status", name="Revenue verdict")
    expect(verdict).to_contain_text("per recipient", timeout=30_000)
    table = card.get_by_role("table", name="Revenue per recipient")
    row_b = table.get_by_role("row").filter(has_text=re.compile(r"^B"))
    expect(row_b).to_contain_text("$50.00")
    expect(row_b).to_contain_text(f"{len(by_variant['B'])}")
    row_a = table.get_by_role("row").filter(has_text=re.compile(r"^A \(control\)"))
    expect(row_a).to_contain_text("$0.00")
    assert_accessible(page)


def test_a_bandit_set_to_send_faster_than_its_feedback_warns_the_marketer(
    page: Page, server: Server, api: httpx.Client
) -> None:
    _name, campaign_id = jackets_campaign(api, "fast bandit")

    log_in(page, server.admin_password)
    page.goto(f"/experiments/campaigns/{campaign_id}")
    mode = page.get_by_role("form", name="Rollout mode")
    mode.get_by_text("Bandit", exact=True).click()
    mode.get_by_label("Batch size").fill("3")
    mode.get_by_label("Minutes between batches").fill("0.02")
    mode.get_by_label("Or after this many new successes").fill("50")
    mode.get_by_label("Recurring: an earlier send counts as (0-1 of a new one)").fill("0.2")
    mode.get_by_role("button", name="Save rollout").click()
    timeline = page.get_by_role("region", name="Decisions")
    expect(timeline).to_contain_text("starts from the previous run's results")
    expect(timeline).to_contain_text("each earlier send worth 0.2 of a new one")
    expect(timeline).to_contain_text("every 0.02 min or every 50 new converted")

    assert api.post(f"/api/v1/orchestrator/campaigns/{campaign_id}/submit").is_success

    # Batches of 3 every 1.2 s send the whole audience long before a send is an hour old.
    warning = page.get_by_role("alert").filter(has_text="The bandit can hardly learn")
    expect(warning).to_be_visible(timeout=60_000)
    expect(warning).to_contain_text("before any send is 60 min old")
    expect(warning).to_contain_text("Spread the send")
    assert_accessible(page)


def scipy_chance_b_beats_a(a: tuple[int, int], b: tuple[int, int]) -> float:
    """P(rate B > rate A) for (sends, conversions) under flat priors, integrated by SciPy."""
    from scipy import integrate, stats

    pa = stats.beta(1 + a[1], 1 + a[0] - a[1])
    pb = stats.beta(1 + b[1], 1 + b[0] - b[1])
    return float(integrate.quad(lambda x: pa.pdf(x) * pb.sf(x), 0, 1, limit=200)[0])


def as_the_page_writes(p: float) -> str:
    """A chance rounded down to 0.1%, like the experiment pages."""
    if p >= 0.999:
        return ">99.9%"
    if p < 0.001:
        return "<0.1%"
    return f"{math.floor(p * 1000) / 10:.1f}%"


def test_the_chance_to_win_over_time_shows_what_the_sends_and_conversions_say(
    page: Page, server: Server, api: httpx.Client
) -> None:
    _name, campaign_id = jackets_campaign(api, "chance")
    assert api.post(f"/api/v1/orchestrator/campaigns/{campaign_id}/submit").is_success

    log_in(page, server.admin_password)
    page.goto(f"/experiments/campaigns/{campaign_id}")
    by_variant = sent_by_variant(page, api, campaign_id)
    # Three of B's recipients buy, one of A's: a chance far from 0 and 1, so its digits show.
    buyers = [*by_variant["A"][:1], *by_variant["B"][:3]]
    batch = {
        "source": "shop",
        "events": [
            {
                "id": f"chance-{campaign_id}-{d['contact_id']}",
                "occurred_at": datetime.now(UTC).isoformat(),
                "contact_id": d["contact_id"],
                "campaign_id": campaign_id,
            }
            for d in buyers
        ],
    }
    assert api.post("/api/v1/analytics/conversions", json=batch).status_code == 200
    # The demo's simulated recipients convert too: read the chart's latest moment until its
    # counts are the experiment's results as they stand, then check its chances with SciPy.
    card = page.get_by_role("region", name="Chance to win over time")
    moments = card.get_by_role("list", name="Chance to be best over time").get_by_role("listitem")
    shape = re.compile(
        r"chance to be best A (\S+) \((\d+) of (\d+)\), B (\S+) \((\d+) of (\d+)\); (.+)$"
    )
    shown: re.Match[str] | None = None
    agreed = False
    for _ in range(120):
        shown = shape.search(moments.last.get_attribute("aria-label") or "")
        arms = api.get(f"/api/v1/experiments/campaigns/{campaign_id}").json()["results"]["arms"]
        now = {arm["key"]: (arm["trials"], arm["successes"]) for arm in arms}
        if shown and now == {
            "A": (int(shown[3]), int(shown[2])),
            "B": (int(shown[6]), int(shown[5])),
        }:
            agreed = True
            break
        page.wait_for_timeout(250)
    assert shown is not None and agreed, (moments.last.get_attribute("aria-label"), now)
    a, b = now["A"], now["B"]
    assert a[1] >= 1 and b[1] >= 3  # our shop's orders are in
    expected = scipy_chance_b_beats_a(a, b)
    assert (shown[1], shown[4]) == (as_the_page_writes(1 - expected), as_the_page_writes(expected))
    assert shown[7] in ("no clear winner yet", "not enough data yet", "winner A", "winner B")
    # Before the conversions came, nobody had converted: the first moment says so.
    expect(moments.first).to_have_accessible_name(
        re.compile(r"A (—|[<>\d.]+%) \(0 of \d+\), B (—|[<>\d.]+%) \(0 of \d+\)")
    )
    expect(card).to_contain_text("a winner needs")
    assert_accessible(page)


def textbook_per_arm(p1: float, lift: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """The textbook two-proportion sample: (z.975 sqrt(2 p q) + z.8 sqrt(p1 q1 + p2 q2))^2 / d^2."""
    from scipy import stats

    p2 = p1 * (1 + lift)
    mean = (p1 + p2) / 2
    root = stats.norm.ppf(1 - alpha / 2) * math.sqrt(2 * mean * (1 - mean)) + stats.norm.ppf(
        power
    ) * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root**2 / (p2 - p1) ** 2)


def test_submit_says_whether_the_reach_gives_the_test_its_power(
    page: Page, server: Server, api: httpx.Client
) -> None:
    name, campaign_id = jackets_campaign(api, "power")
    preview = api.get(f"/api/v1/orchestrator/campaigns/{campaign_id}/launch-preview").json()
    assert preview["base_rate"]["metric"] == "converted"

    log_in(page, server.admin_password)
    page.goto(f"/campaigns/{campaign_id}")
    page.get_by_role("button", name="Submit").click()
    dialog = page.get_by_role("dialog", name=f"Submit “{name}”?")
    power = dialog.get_by_role("status", name="Power of the test")
    # The rate is the one earlier campaigns to this audience (all contacts) observed, else the
    # workspace's, else an assumed 3%, and the dialog names which. The demo's history has a
    # handful of conversions (fewer than the 10 a rate is planned on) and its running campaign
    # may add some meanwhile, so the sentence shown is read back for the rate it states.
    expect(power).to_contain_text("Planned on a")
    source = re.search(
        r"Planned on (?:an assumed 3% conversion rate: this audience's \d+ earlier campaigns? "
        r"ha(?:s|ve) only [\d,]+ converted of [\d,]+ sent|a [\d.]+% conversion rate: "
        r"(?:this audience's|the workspace's) (?:\d+ )?earlier campaigns? \(([\d,]+) converted "
        r"of ([\d,]+) sent\))",
        power.inner_text(),
    )
    assert source, power.inner_text()
    rate = (
        0.03
        if source[1] is None
        else int(source[1].replace(",", "")) / int(source[2].replace(",", ""))
    )
    per_arm = textbook_per_arm(rate, 0.1)
    expect(power).to_contain_text(
        f"To detect a +10.0% relative lift on a {rate:.2%} rate at 80% power you need "
        f"{per_arm:,} recipients per arm, {2 * per_arm:,} in all"
    )
    assert 0 < preview["will_receive"] < 2 * per_arm
    # The demo's running campaign takes opt-outs meanwhile, so the reach the dialog read lies
    # between the previews before and after it.
    expect(power).to_contain_text(re.compile(r"an audience of [\d,]+ does not give that"))
    shown = int(re.search(r"an audience of ([\d,]+)", power.inner_text())[1].replace(",", ""))
    after = api.get(f"/api/v1/orchestrator/campaigns/{campaign_id}/launch-preview").json()
    reach = sorted((preview["will_receive"], after["will_receive"]))
    assert reach[0] <= shown <= reach[1]
    expect(power).to_contain_text("Too few recipients for the test")
    assert_accessible(page)
    dialog.get_by_role("button", name="Back").click()


def test_the_calculator_warns_when_the_sends_do_not_match_the_planned_shares(
    page: Page, server: Server
) -> None:
    from scipy import stats

    log_in(page, server.admin_password)
    page.goto("/experiments")
    counts = page.get_by_role("form", name="Counts to analyse")
    first, second = (
        counts.get_by_role("group", name="Arm 1"),
        counts.get_by_role("group", name="Arm 2"),
    )
    first.get_by_label("Planned share (%)").fill("50")
    second.get_by_label("Planned share (%)").fill("50")
    second.get_by_label("Trials").fill("1300")
    counts.get_by_role("button", name="Analyse").click()

    # 1000 and 1300 sends planned half and half: SciPy's chi-square test of the split.
    p_value = stats.chisquare([1000, 1300], [1150, 1150]).pvalue
    mismatch = page.get_by_role("alert").filter(has_text="Sample ratio mismatch")
    expect(mismatch).to_be_visible()
    expect(mismatch).to_contain_text(f"chi-square p = {p_value:.1e} < 0.001")

    second.get_by_label("Trials").fill("1010")
    counts.get_by_role("button", name="Analyse").click()
    expect(page.get_by_role("status").filter(has_text="Winner: variant B")).to_be_visible()
    expect(mismatch).to_have_count(0)
    assert_accessible(page)


def test_a_variant_whose_opt_outs_pass_the_guardrail_is_flagged_on_the_experiment_page(
    page: Page, server: Server, api: httpx.Client
) -> None:
    _name, campaign_id = jackets_campaign(api, "guardrail")
    assert api.post(f"/api/v1/orchestrator/campaigns/{campaign_id}/submit").is_success
    by_variant = sent_by_variant(page, api, campaign_id)

    log_in(page, server.admin_password)
    page.goto(f"/experiments/campaigns/{campaign_id}")
    guardrails = page.get_by_role("table", name="Guardrails")
    expect(guardrails.get_by_text("breached: surely above the limit")).to_have_count(0)

    # Every recipient of B opts out: far above the 2% opt-out limit, whatever the interval.
    for delivery in by_variant["B"]:
        opted_out = api.post(
            "/api/v1/analytics/events",
            json={
                "type": "unsubscribed",
                "campaign_id": campaign_id,
                "variant_key": "B",
                "contact_id": delivery["contact_id"],
            },
        )
        assert opted_out.status_code == 201, opted_out.text

    warning = page.get_by_role("alert").filter(
        has_text="Guardrail: B's unsubscribed rate is 100.0%"
    )
    expect(warning).to_be_visible(timeout=30_000)
    expect(warning).to_contain_text("above the 2.0% limit")
    row_b = guardrails.get_by_role("row").filter(has_text=re.compile(r"^Bopt-out"))
    expect(row_b).to_contain_text("breached: surely above the limit")
    row_a = guardrails.get_by_role("row").filter(has_text=re.compile(r"^Aopt-out"))
    expect(row_a).to_contain_text("within")
    assert_accessible(page)

"""The admin UI driven as a person would, in headless Chromium, against the real demo server.

A flagged campaign goes through the whole human-in-the-loop flow: created from the UI, approved in
the review queue, then watched on its page until every variant has been sent.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# `make screenshot` points this at docs/screenshot.png, the README's picture.
SCREENSHOT = Path(os.environ.get("MA_E2E_SCREENSHOT", ROOT / "test-results" / "screenshot.png"))
CHROMIUM = os.environ.get("MA_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ADMIN_PASSWORD = "e2e-Admin-pass-7481"
STARTUP_TIMEOUT_S = 60
# The demo has a few hundred contacts on a simulated bot sending 30 messages a second.
COMPLETION_TIMEOUT_MS = 90_000


@dataclass(frozen=True)
class Server:
    url: str
    admin_password: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_executable() -> str:
    override = os.environ.get("MA_E2E_SERVER_EXE")
    if override:
        return override
    local = ROOT / ".venv" / "bin" / "marketing-agent"
    return str(local) if local.exists() else (shutil.which("marketing-agent") or str(local))


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    pytest.fail(f"server not healthy after {STARTUP_TIMEOUT_S} s:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`marketing-agent run --demo` on a free loopback port with its own data folder.

    MA_E2E_BASE_URL (and MA_E2E_ADMIN_PASSWORD) point the tests at a server already running instead.
    """
    external = os.environ.get("MA_E2E_BASE_URL")
    if external:
        yield Server(external.rstrip("/"), os.environ.get("MA_E2E_ADMIN_PASSWORD", ADMIN_PASSWORD))
        return

    data_dir = tmp_path_factory.mktemp("ma-data")
    log_path = data_dir / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # No quiet hours: the demo's contacts live in Europe and New York; the test runs at any hour.
    env = {
        **os.environ,
        "MA_DATA_DIR": str(data_dir),
        "MA_LOG_JSON": "false",
        "MA_QUIET_HOURS": "off",
    }
    command = [
        server_executable(), "run", "--host", "127.0.0.1", "--port", str(port),
        "--demo", "--admin-password", ADMIN_PASSWORD,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(url, process, log_path)
            yield Server(url, ADMIN_PASSWORD)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: apt-get install -y chromium (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1440, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, password: str, username: str = "admin") -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()


def make_reviewer(server: Server) -> tuple[str, str]:
    """Invites a reviewer through the API and sets their own password, as they would at their
    first login; returns the username and password. (Nobody approves their own campaign, so the
    admin who creates it needs a second person.)"""
    username, password = f"rita{uuid.uuid4().hex[:6]}", "rita-reviews-carefully"
    with httpx.Client(base_url=server.url, timeout=10) as api:
        admin = api.post(
            "/api/v1/auth/login", json={"username": "admin", "password": server.admin_password}
        ).json()["access_token"]
        invited = api.post(
            "/api/v1/auth/users",
            json={"username": username, "role": "reviewer"},
            headers={"Authorization": f"Bearer {admin}"},
        ).json()
        first = api.post(
            "/api/v1/auth/login",
            json={"username": username, "password": invited["one_time_password"]},
        ).json()["access_token"]
        changed = api.post(
            "/api/v1/auth/password",
            json={"current_password": invited["one_time_password"], "new_password": password},
            headers={"Authorization": f"Bearer {first}"},
        )
        assert changed.status_code == 200, changed.text
    return username, password


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


def test_reviewer_approves_a_flagged_campaign_and_watches_it_complete(
    page: Page, server: Server, browser: Browser
) -> None:
    log_in(page, server.admin_password)

    # A marketer writes the messages herself, with promises the safety guard does not let through
    # unreviewed. (One blacklisted phrase alone is only a warning, and the AI strategist rewrites
    # flagged drafts, so the variants are hand-written with two phrases each.)
    name = f"Spring launch {uuid.uuid4().hex[:6]}"
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

    # A reviewer (not the admin who wrote it) approves it from the queue, with a note for the
    # audit log; then the admin watches it.
    reviewer_name, reviewer_password = make_reviewer(server)
    context = browser.new_context(base_url=server.url, viewport={"width": 1440, "height": 900})
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
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

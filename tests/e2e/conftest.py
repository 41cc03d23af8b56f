"""The end-to-end tests' server (`marketing-agent run --demo` on a free port), browser and helpers:
log in, an authenticated API client for setting up data, and the axe-core accessibility check."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import axe_playwright_python
import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

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
# Assertions wait for the page; on a busy 2-core machine a lazily loaded page takes a while.
expect.set_options(timeout=15_000)

# The demo simulates weeks of history at start-up: ~15 s on an idle 2-core machine, more when busy.
STARTUP_TIMEOUT_S = 120


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


@contextmanager
def demo_server(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """Starts `marketing-agent run --demo` on a free loopback port with its data in `data_dir`
    (and `extra_env` over the e2e settings); stops it on leaving."""
    log_path = data_dir / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # No quiet hours: the demo's contacts live in Europe and New York; the test runs at any hour.
    env = {
        **os.environ,
        "MA_DATA_DIR": str(data_dir),
        "MA_LOG_JSON": "false",
        "MA_QUIET_HOURS": "off",
        # Every test logs in as a person does, a few dozen a minute from one address: above
        # the default 10 a minute per address that stops password guessing.
        "MA_LOGIN_RATE_PER_MIN": "600",
        # The server is shared by every e2e test, whose campaigns reach the same demo contacts:
        # a 2-a-week cap skipped the later tests' recipients ("frequency_cap").
        "MA_FREQUENCY_CAP_COUNT": "0",
        **(extra_env or {}),
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


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`marketing-agent run --demo` on a free loopback port with its own data folder.

    MA_E2E_BASE_URL (and MA_E2E_ADMIN_PASSWORD) point the tests at a server already running instead.
    """
    external = os.environ.get("MA_E2E_BASE_URL")
    if external:
        yield Server(external.rstrip("/"), os.environ.get("MA_E2E_ADMIN_PASSWORD", ADMIN_PASSWORD))
        return
    with demo_server(tmp_path_factory.mktemp("ma-data")) as started:
        yield started


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
    # bypass_csp: the tests inject axe-core (an inline script) and evaluate conditions, which
    # the UI's Content-Security-Policy rightly forbids; tests/gateway/test_ui_csp.py proves the
    # UI itself runs under it.
    context = browser.new_context(
        base_url=server.url,
        viewport={"width": 1440, "height": 900},
        locale="en-US",
        bypass_csp=True,
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, password: str, username: str = "admin") -> None:
    """Logs in from the login page; the first page after it is the dashboard."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def make_reviewer(server: Server) -> tuple[str, str]:
    """A second person who may approve (nobody approves their own campaign)."""
    return make_user(server, "reviewer")


def make_user(server: Server, role: str) -> tuple[str, str]:
    """Invites a user of `role` through the API and sets their own password, as they would at
    their first login (an invited user must change the one-time password); returns the username
    and password."""
    username, password = f"{role}{uuid.uuid4().hex[:6]}", f"{role}-chose-this-password"
    with httpx.Client(base_url=server.url, timeout=10) as api:
        admin = api.post(
            "/api/v1/auth/login", json={"username": "admin", "password": server.admin_password}
        ).json()["access_token"]
        invited = api.post(
            "/api/v1/auth/users",
            json={"username": username, "role": role},
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


@pytest.fixture(scope="session")
def api(server: Server) -> Iterator[httpx.Client]:
    """The API as the admin, for setting up what a test needs (the test itself uses the browser)."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/login", json={"username": "admin", "password": server.admin_password}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
SERIOUS = {"serious", "critical"}


def assert_accessible(page: Page) -> None:
    """Runs axe-core (WCAG 2 A/AA rules) on the page; fails on any serious or critical violation."""
    # A drawer or dialog still fading in has translucent text: check what settles on screen.
    page.wait_for_function(
        "document.getAnimations().every(a => a.playState !== 'running'"
        " || a.effect?.getComputedTiming().endTime === Infinity)",  # a spinner never ends
        timeout=10_000,
    )
    page.add_script_tag(path=str(AXE_JS))
    result: dict[str, Any] = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}})"""
    )
    serious = [v for v in result["violations"] if v["impact"] in SERIOUS]
    summary = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in serious
    ]
    assert not serious, json.dumps(summary, indent=1)

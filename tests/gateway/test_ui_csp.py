"""The built admin UI still works under its Content-Security-Policy, in headless Chromium."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import ConsoleMessage, expect, sync_playwright

from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.gateway.app import UVICORN_OPTIONS, create_app
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e
CHROMIUM = os.environ.get("MA_E2E_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server_url(settings: Settings, db: Database) -> Iterator[str]:
    port = _free_port()
    app = create_app(settings.model_copy(update={"database_url": db.url}))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", **UVICORN_OPTIONS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def test_the_ui_logs_in_and_shows_campaigns_without_a_csp_violation(
    db: Database, server_url: str
) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    username = await make_user(db)
    import asyncio

    violations = await asyncio.to_thread(_log_in_and_collect_violations, server_url, username)
    assert violations == []


def _log_in_and_collect_violations(url: str, username: str) -> list[str]:
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        page = browser.new_page(base_url=url)
        page.on("console", on_console)
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "console.error('Refused to load (CSP): ' + e.violatedDirective + ' ' + e.blockedURI))"
        )
        page.goto("/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=20_000)
        page.get_by_role("menuitem", name="Review queue").click()
        page.wait_for_load_state("networkidle")
        browser.close()
    return violations

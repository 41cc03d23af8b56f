"""Hardening that an operator notices: owner-only data files, no secrets in arguments, safe Bot
API servers, security headers, and the first admin of a scale deployment."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from typer.testing import CliRunner

from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings, get_settings
from marketing_agent.gateway.app import create_app
from marketing_agent.migrate import upgrade
from tests.factories import headers_for


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_sqlite_file_and_its_wal_and_shm_are_owner_only_in_an_owner_only_folder(
    tmp_path: Path,
) -> None:
    from marketing_agent.bootstrap import prepare

    settings = Settings(data_dir=tmp_path / "data", secret_key="k" * 40)  # type: ignore[arg-type]
    await prepare(settings, demo=False, admin_password=None)
    db = Database(settings.resolved_database_url)
    async with db.session() as session:  # a write: SQLite opens the -wal and -shm files
        from marketing_agent.gateway import service as gateway

        await gateway.ensure_admin(session=session, username="second")
        first = await gateway.get_user_by_name(session=session, username="admin")
        files = sorted(p.name for p in settings.data_dir.iterdir())
        modes = {p.name: _mode(p) for p in settings.data_dir.iterdir()}
    await db.dispose()

    assert first is not None and first.must_change_password  # `run --no-demo`: one-time
    assert {"marketing_agent.db-wal", "marketing_agent.db-shm"} <= set(files)
    assert _mode(settings.data_dir) == 0o700
    assert all(mode == 0o600 for mode in modes.values()), modes


async def test_an_existing_world_readable_database_is_made_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    path.chmod(0o644)

    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.dispose()

    assert _mode(path) == 0o600


@pytest.fixture
def cli_env(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MA_DATABASE_URL", db.url)
    monkeypatch.setenv("MA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MA_SECRET_KEY", "cli-test-secret-key-" + "y" * 32)
    yield
    get_settings.cache_clear()


def test_add_bot_takes_no_token_argument(cli_env: None) -> None:
    from marketing_agent.cli import app as cli

    result = CliRunner().invoke(
        cli, ["accounts", "add-bot", "--name", "Shop", "--token", "123:secret-token"]
    )

    assert result.exit_code == 2
    assert "No such option" in result.output


def test_add_bot_refuses_a_plain_http_bot_api_server_that_is_not_loopback(
    cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketing_agent.cli import app as cli

    monkeypatch.setenv("MA_BOT_TOKEN", "123456:AAbbCCddEEff")
    result = CliRunner().invoke(
        cli,
        ["accounts", "add-bot", "--name", "Shop", "--bot-api-url", "http://bots.example.com"],
    )

    assert result.exit_code == 2
    assert "must be https" in result.output
    assert "AAbbCCddEEff" not in result.output


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.telegram.org", True),
        ("http://127.0.0.1:8081", True),
        ("http://[::1]:8081", True),
        ("http://localhost:8081", True),
        ("http://bots.example.com", False),
        ("http://10.0.0.5:8081", False),
    ],
)
async def test_a_senders_bot_api_server_must_be_https_or_loopback(
    client: httpx.AsyncClient, app: FastAPI, url: str, allowed: bool
) -> None:
    admin = await headers_for(client, app.state.database)
    body = {
        "name": f"Bot {url}",
        "kind": "bot",
        "transport": "botapi",
        "secret": "123456:AAbbCCddEEff",
        "bot_api_url": url,
    }

    response = await client.post("/api/v1/telegram/senders", json=body, headers=admin)

    if allowed:  # the URL passes; getMe then fails, nothing listens there
        assert response.status_code != 422 or "bot_api_url" not in str(response.json()["errors"])
    else:
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "bot_api_url"]


def test_the_default_bot_api_server_must_be_https_or_loopback_unless_allowed() -> None:
    with pytest.raises(ValueError, match="must be https"):
        Settings(telegram_bot_api_url="http://bots.example.com")
    allowed = Settings(
        telegram_bot_api_url="http://bots.example.com", allow_insecure_bot_api_url=True
    )
    assert allowed.telegram_bot_api_url == "http://bots.example.com"


async def test_ui_api_and_docs_carry_security_headers(client: httpx.AsyncClient) -> None:
    for path in ("/", "/campaigns", "/api/v1/orchestrator/campaigns", "/healthz", "/docs"):
        response = await client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
    ui = (await client.get("/")).headers["Content-Security-Policy"]
    assert "script-src 'self';" in ui and "unsafe-eval" not in ui


def test_create_admin_reads_the_password_from_the_environment_and_the_admin_logs_in(
    cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketing_agent.cli import app as cli

    monkeypatch.setenv("MA_ADMIN_PASSWORD", "first-admin-passphrase")
    created = CliRunner().invoke(cli, ["users", "create-admin", "--username", "root"])
    again = CliRunner().invoke(cli, ["users", "create-admin", "--username", "root"])
    as_argument = CliRunner().invoke(
        cli, ["users", "create-admin", "--password", "first-admin-passphrase"]
    )

    assert created.exit_code == 0, created.output
    assert "first-admin-passphrase" not in created.output
    assert again.exit_code == 2 and "exists" in again.output
    assert as_argument.exit_code == 2 and "No such option" in as_argument.output


def test_a_generated_first_admin_password_must_be_changed_at_first_login(
    cli_env: None, db: Database, settings: Settings
) -> None:
    from marketing_agent.cli import app as cli

    result = CliRunner().invoke(cli, ["users", "create-admin", "--generate"])
    assert result.exit_code == 0, result.output
    password = result.output.split("one-time password")[1].split()[0]

    async def first_login() -> tuple[httpx.Response, httpx.Response]:
        app = create_app(settings.model_copy(update={"database_url": db.url}))
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client,
        ):
            body = {"username": "admin", "password": password}
            login = await client.post("/api/v1/auth/login", json=body)
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            return login, await client.get("/api/v1/auth/users", headers=headers)

    login, refused = asyncio.run(first_login())

    assert login.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["title"] == "Password change required"


def test_reset_password_from_the_cli_prints_a_one_time_password(cli_env: None) -> None:
    from marketing_agent.cli import app as cli

    CliRunner().invoke(cli, ["users", "create-admin", "--generate", "--username", "boss"])
    reset = CliRunner().invoke(cli, ["users", "reset-password", "boss"])
    unknown = CliRunner().invoke(cli, ["users", "reset-password", "nobody"])

    assert reset.exit_code == 0, reset.output
    assert "one-time password for boss" in reset.output
    assert unknown.exit_code == 2 and "does not exist" in unknown.output


@pytest.mark.postgres
async def test_a_database_error_is_logged_with_its_sqlstate_but_not_its_values(
    pg_db: Database,
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from marketing_agent.gateway.problems import describe_failure

    secret = "a-value-the-log-must-not-hold"
    async with pg_db.engine.connect() as conn:
        await conn.execute(text("CREATE TEMPORARY TABLE narrow (v VARCHAR(4))"))
        with pytest.raises(DBAPIError) as failure:
            await conn.execute(text("INSERT INTO narrow VALUES (:v)"), {"v": secret})

    facts = describe_failure(failure.value)

    assert facts["sqlstate"] == "22001"  # string data right truncation
    assert facts["driver_cause"] == "StringDataRightTruncationError"
    assert secret not in str(facts)


def test_users_are_invited_given_a_role_and_deactivated_from_the_cli(cli_env: None) -> None:
    from marketing_agent.cli import app as cli

    CliRunner().invoke(cli, ["users", "create-admin", "--generate", "--username", "boss"])
    invited = CliRunner().invoke(cli, ["users", "invite", "ann", "--role", "reviewer"])
    assert invited.exit_code == 0, invited.output
    assert "one-time password" in invited.output
    again = CliRunner().invoke(cli, ["users", "invite", "ann"])
    assert again.exit_code != 0 and "ann" in again.output
    bad = CliRunner().invoke(cli, ["users", "invite", "no spaces please"])
    assert bad.exit_code == 2 and "username" in bad.output

    role = CliRunner().invoke(cli, ["users", "set-role", "ann", "marketer"])
    assert role.exit_code == 0 and "ann is now marketer" in role.output, role.output
    off = CliRunner().invoke(cli, ["users", "deactivate", "ann"])
    assert off.exit_code == 0, off.output
    listed = CliRunner().invoke(cli, ["users", "list"])
    [ann] = [line for line in listed.output.splitlines() if " ann " in line]
    assert "marketer" in ann and "deactivated" in ann and "one-time password" in ann
    # The last admin stays one.
    last = CliRunner().invoke(cli, ["users", "deactivate", "boss"])
    assert last.exit_code != 0
    assert "boss" in CliRunner().invoke(cli, ["users", "list"]).output
    unknown = CliRunner().invoke(cli, ["users", "set-role", "nobody", "viewer"])
    assert unknown.exit_code == 2 and "does not exist" in unknown.output

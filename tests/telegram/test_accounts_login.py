"""Logging a user account in: phone → code → 2FA password, Telethon's real errors mapped to
clear problems, pending logins that expire, and an account stored without showing a secret."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from structlog.testing import capture_logs
from telethon import errors

from marketing_agent.core.auth import Role
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.db import Database
from marketing_agent.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.accounts import (
    LOGIN_TTL_S,
    LoginExpired,
    LoginRegistry,
    login_interactively,
)
from marketing_agent.telegram.api import get_logins
from marketing_agent.telegram.models import Sender
from tests.factories import database_of, headers_for
from tests.telegram.mtproto import ScriptedLogin

API_HASH = "0123456789abcdef0123456789abcdef"
PHONE = "+4915112345678"
SESSION = "1BVtsOK4Bu-fresh-session-string-secret"
PASSWORD = "correct horse battery"
SECRETS = (API_HASH, PHONE, "4915112345678", SESSION, PASSWORD, "12345")


def registry_with(client: ScriptedLogin, **kwargs: float) -> LoginRegistry:
    return LoginRegistry(open_client=lambda api_id, api_hash: client, **kwargs)  # type: ignore[arg-type]


async def start(registry: LoginRegistry, actor: str = "user:alice") -> str:
    progress = await registry.start(
        name="Sales account", api_id=12345, api_hash=API_HASH, phone=PHONE, actor=actor
    )
    assert progress.next == "code"
    return progress.login_id


async def test_a_code_alone_completes_an_account_without_two_step_verification() -> None:
    client = ScriptedLogin(session=SESSION)
    registry = registry_with(client)

    login_id = await start(registry)
    done = await registry.submit_code(login_id, "12345", actor="user:alice")

    assert done.next == "done" and done.completed is not None
    assert (done.completed.name, done.completed.api_id) == ("Sales account", 12345)
    assert (done.completed.session, done.completed.api_hash) == (SESSION, API_HASH)
    assert SESSION not in repr(done) and API_HASH not in repr(done)
    assert registry.pending == 0 and not client.connected


async def test_two_step_verification_asks_for_the_password_after_the_code() -> None:
    registry = registry_with(ScriptedLogin(password=PASSWORD))
    login_id = await start(registry)

    after_code = await registry.submit_code(login_id, "12345", actor="user:alice")
    done = await registry.submit_password(login_id, PASSWORD, actor="user:alice")

    assert after_code.next == "password"
    assert done.next == "done"


async def test_a_wrong_code_or_password_can_be_corrected() -> None:
    registry = registry_with(ScriptedLogin(password=PASSWORD))
    login_id = await start(registry)

    with pytest.raises(ValidationFailed) as wrong_code:
        await registry.submit_code(login_id, "99999", actor="user:alice")
    await registry.submit_code(login_id, "12345", actor="user:alice")
    with pytest.raises(ValidationFailed) as wrong_password:
        await registry.submit_password(login_id, "guess", actor="user:alice")
    done = await registry.submit_password(login_id, PASSWORD, actor="user:alice")

    assert wrong_code.value.errors[0]["loc"] == ["body", "code"]
    assert wrong_password.value.errors[0]["loc"] == ["body", "password"]
    assert done.next == "done"


async def test_an_expired_code_ends_the_login() -> None:
    client = ScriptedLogin()
    client.code_expired = True
    registry = registry_with(client)
    login_id = await start(registry)

    with pytest.raises(LoginExpired):
        await registry.submit_code(login_id, "12345", actor="user:alice")

    assert registry.pending == 0 and not client.connected


async def test_too_many_wrong_codes_end_the_login() -> None:
    registry = registry_with(ScriptedLogin())
    login_id = await start(registry)

    for _ in range(4):
        with pytest.raises(ValidationFailed):
            await registry.submit_code(login_id, "99999", actor="user:alice")
    with pytest.raises(LoginExpired):
        await registry.submit_code(login_id, "99999", actor="user:alice")

    assert registry.pending == 0


@pytest.mark.parametrize(
    ("error", "problem", "field"),
    [
        (errors.PhoneNumberInvalidError(request=None), ValidationFailed, "phone"),
        (errors.PhoneNumberBannedError(request=None), ValidationFailed, "phone"),
        (errors.ApiIdInvalidError(request=None), ValidationFailed, "api_id"),
        (errors.FloodWaitError(request=None, capture=30), RateLimited, None),
        (errors.PhoneNumberFloodError(request=None), RateLimited, None),
    ],
)
async def test_a_refused_start_says_why_and_leaves_nothing_pending(
    error: BaseException, problem: type[Exception], field: str | None
) -> None:
    client = ScriptedLogin()
    client.errors.append(error)
    registry = registry_with(client)

    with pytest.raises(problem) as refused:
        await start(registry)

    if field is not None:
        assert isinstance(refused.value, ValidationFailed)
        assert refused.value.errors[0]["loc"] == ["body", field]
    assert registry.pending == 0 and not client.connected


async def test_a_pending_login_expires(virtual_clock: VirtualClock) -> None:
    client = ScriptedLogin()
    registry = registry_with(client)
    login_id = await start(registry)

    virtual_clock.advance(LOGIN_TTL_S + 1)

    with pytest.raises(NotFound, match="expired"):
        await registry.submit_code(login_id, "12345", actor="user:alice")
    assert not client.connected


async def test_a_login_belongs_to_whoever_started_it_and_goes_step_by_step() -> None:
    registry = registry_with(ScriptedLogin(password=PASSWORD))
    login_id = await start(registry)

    with pytest.raises(NotFound):
        await registry.submit_code(login_id, "12345", actor="user:mallory")
    with pytest.raises(InvalidTransition):
        await registry.submit_password(login_id, PASSWORD, actor="user:alice")
    with pytest.raises(Conflict):
        await start(registry)  # the same name is already being logged in


async def test_the_cli_login_asks_again_after_a_wrong_code_and_stores_the_account(
    db: Database,
) -> None:
    answers = iter(["12 345 6", "99999", "12345", PASSWORD])
    asked: list[str] = []
    said: list[str] = []

    async def ask_secret(label: str) -> str:
        asked.append(label)
        return next(answers)

    sender = await login_interactively(
        db=db,
        secret_box=SecretBox("cli-key"),
        registry=registry_with(ScriptedLogin(password=PASSWORD, session=SESSION)),
        name="Sales account",
        api_id=12345,
        api_hash=API_HASH,
        phone="+49 151 1234-5678",
        ask_secret=ask_secret,
        say=said.append,
    )

    assert asked == ["Login code"] * 3 + ["Two-step verification password"]
    assert "Wrong code; check it and send it again" in said
    assert (sender.name, sender.kind, sender.transport) == ("Sales account", "user", "telethon")
    async with db.session() as session:
        row = await session.get(Sender, sender.id)
    assert row is not None and SecretBox("cli-key").decrypt(row.secret_encrypted or "") == SESSION


@pytest.fixture
def scripted_login(app: FastAPI) -> Iterator[ScriptedLogin]:
    client = ScriptedLogin(password=PASSWORD, session=SESSION)
    registry = registry_with(client)
    app.dependency_overrides[get_logins] = lambda: registry
    yield client
    app.dependency_overrides.pop(get_logins, None)


async def test_api_login_with_two_step_verification_creates_a_user_account_showing_no_secret(
    client: httpx.AsyncClient, app: FastAPI, scripted_login: ScriptedLogin
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db, Role.ADMIN)
    base = "/api/v1/telegram/accounts/login"

    with capture_logs() as logs:
        started = await client.post(
            base,
            headers=headers,
            json={"name": "Sales account", "api_id": 12345, "api_hash": API_HASH, "phone": PHONE},
        )
        login_id = started.json()["login_id"]
        coded = await client.post(
            f"{base}/{login_id}/code", headers=headers, json={"code": "12345"}
        )
        done = await client.post(
            f"{base}/{login_id}/password", headers=headers, json={"password": PASSWORD}
        )
        listed = await client.get("/api/v1/telegram/senders", headers=headers)

    assert started.status_code == 201, started.text
    assert (started.json()["next"], coded.json()["next"], done.json()["next"]) == (
        "code",
        "password",
        "done",
    )
    sender = done.json()["sender"]
    assert (sender["kind"], sender["transport"], sender["profile"]) == ("user", "telethon", "user")
    assert sender["status"] == "active" and sender["has_secret"] is True
    assert [s["name"] for s in listed.json()] == ["Sales account"]
    for response in (started, coded, done, listed):
        assert not any(secret in response.text for secret in SECRETS)
        assert "encrypted" not in response.text
    logged = repr(logs)
    assert not any(secret in logged for secret in SECRETS)


async def test_api_login_problems_are_clear_4xx(
    client: httpx.AsyncClient, app: FastAPI, scripted_login: ScriptedLogin
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db, Role.ADMIN)
    viewer = await headers_for(client, db, Role.VIEWER)
    base = "/api/v1/telegram/accounts/login"
    body = {"name": "Sales account", "api_id": 12345, "api_hash": API_HASH, "phone": PHONE}

    badly_typed = await client.post(base, headers=headers, json={**body, "phone": "call me"})
    forbidden = await client.post(base, headers=viewer, json=body)
    scripted_login.errors.append(errors.FloodWaitError(request=None, capture=30))
    flooded = await client.post(base, headers=headers, json=body)
    scripted_login.errors.append(errors.PhoneNumberInvalidError(request=None))
    invalid = await client.post(base, headers=headers, json=body)
    login_id = (await client.post(base, headers=headers, json=body)).json()["login_id"]
    wrong = await client.post(f"{base}/{login_id}/code", headers=headers, json={"code": "99999"})
    early = await client.post(
        f"{base}/{login_id}/password", headers=headers, json={"password": "x"}
    )
    unknown = await client.post(f"{base}/nope/code", headers=headers, json={"code": "12345"})
    scripted_login.code_expired = True
    expired = await client.post(f"{base}/{login_id}/code", headers=headers, json={"code": "12345"})

    assert badly_typed.status_code == 422 and "call me" not in badly_typed.text
    assert forbidden.status_code == 403
    assert (flooded.status_code, flooded.headers["retry-after"]) == (429, "30")
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["loc"] == ["body", "phone"]
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["body", "code"]
    assert early.status_code == 409
    assert unknown.status_code == 404
    assert expired.status_code == 410


async def test_api_refuses_a_name_already_taken_before_any_code_is_sent(
    client: httpx.AsyncClient, app: FastAPI, scripted_login: ScriptedLogin
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db, Role.ADMIN)
    async with db.session() as session:
        await telegram.ensure_demo_sender(session=session)

    taken = await client.post(
        "/api/v1/telegram/accounts/login",
        headers=headers,
        json={
            "name": telegram.DEMO_SENDER_NAME,
            "api_id": 1,
            "api_hash": API_HASH,
            "phone": PHONE,
        },
    )

    assert taken.status_code == 409
    assert scripted_login.calls == []

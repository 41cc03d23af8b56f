"""Login throttling: per account and per address, shared by API processes through Redis, and
not fooled by X-Forwarded-For unless the proxy sending it is trusted."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.gateway.app import UVICORN_OPTIONS, create_app
from tests.conftest import REDIS_URL
from tests.factories import PASSWORD, make_user

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "login_max_failures_per_account": 3,
            "login_max_failures_per_address": 6,
            "login_lockout_s": 600.0,
        }
    )


def _client(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _attempt(
    client: httpx.AsyncClient, username: str, password: str, **headers: str
) -> httpx.Response:
    return await client.post(
        LOGIN, json={"username": username, "password": password}, headers=headers
    )


async def test_an_account_is_locked_after_failures_and_the_right_password_works_after_the_window(
    app: FastAPI, virtual_clock: VirtualClock
) -> None:
    username = await make_user(app.state.database)
    async with _client(app, "198.51.100.1") as one, _client(app, "198.51.100.2") as two:
        failures = [(await _attempt(one, username, "wrong")).status_code for _ in range(3)]
        locked = await _attempt(two, username, PASSWORD)  # even from elsewhere, even correct
        virtual_clock.advance(601)
        after = await _attempt(two, username, PASSWORD)

    assert failures == [401, 401, 401]
    assert locked.status_code == 429
    assert locked.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(locked.headers["Retry-After"]) <= 600
    assert after.status_code == 200


async def test_an_address_is_locked_after_failures_across_accounts(
    app: FastAPI, virtual_clock: VirtualClock
) -> None:
    username = await make_user(app.state.database)
    async with _client(app, "198.51.100.7") as attacker, _client(app, "198.51.100.8") as user:
        for n in range(6):
            assert (await _attempt(attacker, f"guess{n}", "wrong")).status_code == 401
        blocked = await _attempt(attacker, username, PASSWORD)
        elsewhere = await _attempt(user, username, PASSWORD)

    assert blocked.status_code == 429
    assert elsewhere.status_code == 200


async def test_a_forwarded_for_header_from_an_untrusted_peer_does_not_reset_the_count(
    app: FastAPI, virtual_clock: VirtualClock
) -> None:
    async with _client(app, "203.0.113.5") as attacker:
        statuses = [
            (
                await _attempt(attacker, f"guess{n}", "wrong", **{"X-Forwarded-For": f"10.0.0.{n}"})
            ).status_code
            for n in range(8)
        ]

    assert statuses == [401] * 6 + [429] * 2


@pytest.fixture
async def proxied_app(settings: Settings, db: Database) -> AsyncIterator[FastAPI]:
    trusted = settings.model_copy(update={"trusted_proxies": "192.0.2.10, 10.1.0.0/16"})
    application = create_app(trusted, database=db)
    async with LifespanManager(application):
        yield application


async def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_on_its_own(
    proxied_app: FastAPI, virtual_clock: VirtualClock
) -> None:
    async with _client(proxied_app, "192.0.2.10") as proxy:
        # The client may prepend anything; the address the proxy appended is the one counted.
        first = [
            (
                await _attempt(
                    proxy, f"guess{n}", "wrong", **{"X-Forwarded-For": f"6.6.6.{n}, 198.51.100.20"}
                )
            ).status_code
            for n in range(7)
        ]
        other = await _attempt(proxy, "guess", "wrong", **{"X-Forwarded-For": "198.51.100.21"})

    assert first == [401] * 6 + [429]
    assert other.status_code == 401


async def test_failures_through_one_api_process_lock_the_account_in_another_through_redis(
    settings: Settings, db: Database, redis_prefix: str, virtual_clock: VirtualClock
) -> None:
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "redis_prefix": redis_prefix})
    username = await make_user(db)
    first, second = create_app(shared, database=db), create_app(shared, database=db)
    async with LifespanManager(first), LifespanManager(second):
        async with _client(first, "198.51.100.30") as one, _client(second, "198.51.100.31") as two:
            for _ in range(3):
                assert (await _attempt(one, username, "wrong")).status_code == 401
            locked = await _attempt(two, username, PASSWORD)
            virtual_clock.advance(601)
            after = await _attempt(two, username, PASSWORD)

    assert locked.status_code == 429
    assert after.status_code == 200


async def test_without_its_redis_the_login_is_refused_with_503_not_let_through(
    settings: Settings, db: Database
) -> None:
    gone = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{_free_port()}/0"})
    username = await make_user(db)
    app = create_app(gone, database=db)
    async with LifespanManager(app), _client(app, "198.51.100.40") as client:
        response = await _attempt(client, username, PASSWORD)

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Redis" in response.json()["detail"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_real_server_on_loopback_does_not_believe_forwarded_for(
    settings: Settings, db: Database
) -> None:
    port = _free_port()
    app = create_app(settings.model_copy(update={"database_url": db.url}))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", **UVICORN_OPTIONS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            statuses = [
                (
                    await _attempt(
                        client, f"guess{n}", "wrong", **{"X-Forwarded-For": f"10.9.0.{n}"}
                    )
                ).status_code
                for n in range(7)
            ]
    finally:
        server.should_exit = True
        thread.join(timeout=10)

    assert statuses == [401] * 6 + [429]

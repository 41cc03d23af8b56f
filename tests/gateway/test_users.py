"""Users managed through the API: a disabled, deleted, demoted or reset user's tokens stop at
once, and a one-time password must be changed before anything else."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.gateway.app import create_app
from tests.factories import PASSWORD, database_of, headers_for, login, make_user
from tests.waits import wait_until

CAMPAIGNS = "/api/v1/orchestrator/campaigns"
USERS = "/api/v1/auth/users"
ROLES = "/api/v1/auth/roles"


async def _user_id(client: httpx.AsyncClient, admin: dict[str, str], username: str) -> int:
    users = (await client.get(USERS, headers=admin)).json()
    return next(u["id"] for u in users if u["username"] == username)


async def _log_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


def _bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_disabled_users_token_stops_at_once_and_works_again_when_enabled(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db)
    username = await make_user(db, Role.MARKETER)
    marketer = await login(client, username)
    assert (await client.get(CAMPAIGNS, headers=marketer)).status_code == 200
    user_id = await _user_id(client, admin, username)

    disabled = await client.patch(f"{USERS}/{user_id}", json={"is_active": False}, headers=admin)

    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    refused = await client.get(CAMPAIGNS, headers=marketer)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await _log_in(client, username, PASSWORD)).status_code == 401
    await client.patch(f"{USERS}/{user_id}", json={"is_active": True}, headers=admin)
    assert (await client.get(CAMPAIGNS, headers=marketer)).status_code == 401  # old token: ended
    again = _bearer(await _log_in(client, username, PASSWORD))
    assert (await client.get(CAMPAIGNS, headers=again)).status_code == 200


async def test_a_demoted_users_token_stops_and_the_new_login_has_the_new_role(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db)
    username = await make_user(db, Role.MARKETER)
    marketer = await login(client, username)
    user_id = await _user_id(client, admin, username)

    demoted = await client.patch(f"{USERS}/{user_id}", json={"role": "viewer"}, headers=admin)

    assert demoted.status_code == 200 and demoted.json()["role"] == "viewer"
    assert (await client.get(CAMPAIGNS, headers=marketer)).status_code == 401
    viewer = _bearer(await _log_in(client, username, PASSWORD))
    create = await client.post(CAMPAIGNS, json={"name": "x", "goal": "boots"}, headers=viewer)
    assert create.status_code == 403


async def test_a_deleted_users_token_and_api_key_stop_and_the_user_is_gone(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db)
    username = await make_user(db, Role.ANALYST)
    analyst = await login(client, username)
    key = (await client.post("/api/v1/auth/api-keys", json={"name": "bi"}, headers=analyst)).json()
    user_id = await _user_id(client, admin, username)

    deleted = await client.delete(f"{USERS}/{user_id}", headers=admin)

    assert deleted.status_code == 204
    assert (await client.get(CAMPAIGNS, headers=analyst)).status_code == 401
    assert (await client.get(CAMPAIGNS, headers={"X-API-Key": key["key"]})).status_code == 401
    assert (await client.get(f"{USERS}/{user_id}", headers=admin)).status_code == 404
    assert username not in [u["username"] for u in (await client.get(USERS, headers=admin)).json()]
    again = await client.post(USERS, json={"username": username}, headers=admin)
    assert again.status_code == 201  # the name is free for someone new
    assert (await client.get(CAMPAIGNS, headers=analyst)).status_code == 401


async def test_every_user_sees_the_roles_and_what_each_may_do(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)

    roles = {r["role"]: r["permissions"] for r in (await client.get(ROLES, headers=viewer)).json()}

    assert set(roles) == {"admin", "marketer", "reviewer", "analyst", "viewer"}
    assert "safety:manage" in roles["admin"] and "safety:manage" not in roles["marketer"]
    assert roles["viewer"] == ["read"]


async def test_an_invited_user_must_change_the_one_time_password_before_anything_else(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await headers_for(client, database_of(app))
    body = {"username": "maria", "role": "marketer"}
    invited = await client.post(USERS, json=body, headers=admin)
    assert invited.status_code == 201
    one_time = invited.json()["one_time_password"]
    assert invited.json()["must_change_password"] is True

    first = await _log_in(client, "maria", one_time)
    assert first.json()["user"]["must_change_password"] is True
    maria = _bearer(first)
    refused = await client.get(CAMPAIGNS, headers=maria)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/password-change-required")
    assert "POST /api/v1/auth/password" in refused.json()["detail"]
    assert (await client.get("/api/v1/auth/me", headers=maria)).status_code == 200

    changed = await client.post(
        "/api/v1/auth/password",
        json={"current_password": one_time, "new_password": "maria-own-passphrase"},
        headers=maria,
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["user"]["must_change_password"] is False
    assert (await client.get(CAMPAIGNS, headers=_bearer(changed))).status_code == 200
    assert (await client.get(CAMPAIGNS, headers=maria)).status_code == 401  # the old session
    assert (await _log_in(client, "maria", one_time)).status_code == 401


async def test_an_admin_reset_password_ends_the_users_sessions_and_is_one_time(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db)
    username = await make_user(db, Role.REVIEWER)
    reviewer = await login(client, username)
    user_id = await _user_id(client, admin, username)

    reset = await client.post(f"{USERS}/{user_id}/password-reset", headers=admin)

    assert reset.status_code == 200
    assert (await client.get(CAMPAIGNS, headers=reviewer)).status_code == 401
    assert (await _log_in(client, username, PASSWORD)).status_code == 401
    fresh = _bearer(await _log_in(client, username, reset.json()["one_time_password"]))
    assert (await client.get(CAMPAIGNS, headers=fresh)).status_code == 403


async def test_changing_the_own_password_needs_the_current_one(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app), Role.VIEWER)
    wrong = await client.post(
        "/api/v1/auth/password",
        json={"current_password": "not it", "new_password": "a-new-passphrase"},
        headers=headers,
    )
    same = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD},
        headers=headers,
    )
    short = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=headers,
    )

    assert wrong.status_code == 403
    assert same.status_code == short.status_code == 422
    assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200


async def test_no_admin_locks_themselves_out_and_the_last_admin_stays(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db)
    me = (await client.get("/api/v1/auth/me", headers=admin)).json()

    demote = await client.patch(f"{USERS}/{me['id']}", json={"role": "viewer"}, headers=admin)
    delete = await client.delete(f"{USERS}/{me['id']}", headers=admin)
    other = await make_user(db, Role.ADMIN)
    other_id = await _user_id(client, admin, other)
    self_disable = await client.patch(
        f"{USERS}/{me['id']}", json={"is_active": False}, headers=admin
    )
    other_disable = await client.patch(
        f"{USERS}/{other_id}", json={"is_active": False}, headers=admin
    )

    self_reset = await client.post(f"{USERS}/{me['id']}/password-reset", headers=admin)
    assert demote.status_code == delete.status_code == self_disable.status_code == 409
    assert self_reset.status_code == 409
    assert other_disable.status_code == 200
    assert (await client.get(CAMPAIGNS, headers=admin)).status_code == 200


async def test_user_changes_are_audited(client: httpx.AsyncClient, app: FastAPI) -> None:
    db = database_of(app)
    admin = await headers_for(client, db)
    username = await make_user(db, Role.VIEWER)
    user_id = await _user_id(client, admin, username)
    await client.patch(f"{USERS}/{user_id}", json={"role": "analyst"}, headers=admin)
    await client.post(f"{USERS}/{user_id}/password-reset", headers=admin)

    audit = await client.get(
        "/api/v1/compliance/audit",
        params={"entity_type": "user", "entity_id": str(user_id)},
        headers=admin,
    )

    actions = [e["action"] for e in audit.json()["items"]]
    assert actions == ["user.password_reset", "user.updated", "user.created"]
    assert "one_time_password" not in audit.text


@pytest.fixture
async def other_process(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process on the same database, which caches users' states briefly."""
    application = create_app(settings.model_copy(update={"user_state_cache_s": 0.3}), database=db)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
            yield client


async def test_a_user_disabled_through_one_process_is_refused_by_another_within_its_cache_time(
    client: httpx.AsyncClient, app: FastAPI, other_process: httpx.AsyncClient
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db)
    username = await make_user(db, Role.MARKETER)
    marketer = await login(client, username)
    assert (await other_process.get(CAMPAIGNS, headers=marketer)).status_code == 200
    user_id = await _user_id(client, admin, username)

    await client.patch(f"{USERS}/{user_id}", json={"is_active": False}, headers=admin)

    started = time.monotonic()
    status = 200
    while status == 200 and time.monotonic() - started < 5:
        status = (await other_process.get(CAMPAIGNS, headers=marketer)).status_code
        await asyncio.sleep(0.05)
    assert status == 401
    assert time.monotonic() - started < 1.5  # the cache time is 0.3 s


async def _api_key(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    created = await client.post("/api/v1/auth/api-keys", json={"name": "bi"}, headers=headers)
    assert created.status_code == 201, created.text
    return {"X-API-Key": created.json()["key"], "id": str(created.json()["id"])}


async def test_a_demoted_users_api_key_acts_with_the_new_role_at_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db)
    username = await make_user(db, Role.MARKETER)
    key = await _api_key(client, await login(client, username))
    headers = {"X-API-Key": key["X-API-Key"]}
    assert (await client.get("/api/v1/auth/me", headers=headers)).json()["role"] == "marketer"

    user_id = await _user_id(client, admin, username)
    await client.patch(f"{USERS}/{user_id}", json={"role": "viewer"}, headers=admin)

    assert (await client.get("/api/v1/auth/me", headers=headers)).json()["role"] == "viewer"
    create = await client.post(CAMPAIGNS, json={"name": "x", "goal": "boots"}, headers=headers)
    assert create.status_code == 403


async def test_an_api_key_revoked_through_one_process_is_refused_by_another_within_its_cache_time(
    client: httpx.AsyncClient, app: FastAPI, other_process: httpx.AsyncClient
) -> None:
    owner = await headers_for(client, database_of(app), Role.ANALYST)
    key = await _api_key(client, owner)
    headers = {"X-API-Key": key["X-API-Key"]}
    assert (await other_process.get(CAMPAIGNS, headers=headers)).status_code == 200

    await client.delete(f"/api/v1/auth/api-keys/{key['id']}", headers=owner)

    assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 401  # at once here

    async def refused() -> bool:
        return (await other_process.get(CAMPAIGNS, headers=headers)).status_code == 401

    await wait_until(refused, what="the other process refuses the revoked key")


async def test_an_api_keys_last_use_is_shown(client: httpx.AsyncClient, app: FastAPI) -> None:
    owner = await headers_for(client, database_of(app), Role.ANALYST)
    key = await _api_key(client, owner)
    listed = (await client.get("/api/v1/auth/api-keys", headers=owner)).json()
    assert listed[0]["last_used_at"] is None

    for _ in range(3):
        page = await client.get(CAMPAIGNS, headers={"X-API-Key": key["X-API-Key"]})
        assert page.status_code == 200

    listed = (await client.get("/api/v1/auth/api-keys", headers=owner)).json()
    assert listed[0]["last_used_at"] is not None

"""Every route is closed unless it must be open; roles decide what a caller may do."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from marketing_agent.core.auth import Role, get_principal
from tests.factories import database_of, headers_for, make_user
from tests.routes import api_routes

OPEN = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/auth/login",
    "/{path:path}",
    # Telegram posts bots' updates here and cannot log in: it proves itself with the secret
    # given to it with setWebhook (X-Telegram-Bot-Api-Secret-Token, compared in constant time).
    "/api/v1/telegram/webhook/{sender_id}",
    # Tracked links are clicked by people who never log in; the token is the proof (AES-GCM
    # sealed with a key derived from the secret key), and the route is rate limited per address.
    "/r/{token}",
    # A shop's server posts conversions and cannot log in: each request is signed with the
    # source's secret (HMAC-SHA256 over timestamp and body), a stale timestamp is refused.
    "/api/v1/analytics/webhooks/{source}",
}


def _depends_on_principal(dependant: Dependant) -> bool:
    return any(
        dep.call is get_principal or _depends_on_principal(dep) for dep in dependant.dependencies
    )


async def test_no_route_is_open_except_health_login_metrics_and_the_ui_shell(app: FastAPI) -> None:
    routes = api_routes(app)
    assert len(routes) > 30
    unprotected = {r.path for r in routes if not _depends_on_principal(r.dependant)}
    assert unprotected == OPEN


async def test_protected_route_without_credentials_is_401_problem(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/orchestrator/campaigns")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Not authenticated"


async def test_forged_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/orchestrator/campaigns", headers={"Authorization": "Bearer not.a.jwt"}
    )
    assert response.status_code == 401


async def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    username = await make_user(database_of(app))
    wrong = await client.post("/api/v1/auth/login", json={"username": username, "password": "x"})
    unknown = await client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_viewer_reads_but_cannot_create_or_decide(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    assert (await client.get("/api/v1/orchestrator/campaigns", headers=viewer)).status_code == 200
    create = await client.post(
        "/api/v1/orchestrator/campaigns", headers=viewer, json={"name": "x", "goal": "boots sale"}
    )
    assert create.status_code == 403
    assert "campaigns:write" in create.json()["detail"]
    decide = await client.post("/api/v1/orchestrator/reviews/1/approve", headers=viewer)
    assert decide.status_code == 403


async def test_api_key_is_shown_once_and_works_until_revoked(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app), Role.ANALYST)
    created = (
        await client.post("/api/v1/auth/api-keys", json={"name": "bi"}, headers=headers)
    ).json()
    key = created["key"]
    listed = (await client.get("/api/v1/auth/api-keys", headers=headers)).json()
    assert "key" not in listed[0] and listed[0]["prefix"] == key[:10]
    me = await client.get("/api/v1/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["role"] == "analyst"
    await client.delete(f"/api/v1/auth/api-keys/{created['id']}", headers=headers)
    assert (await client.get("/api/v1/auth/me", headers={"X-API-Key": key})).status_code == 401


async def test_health_metrics_and_request_ids(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    assert (await client.get("/readyz")).json()["database"] == "ok"
    response = await client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.headers["X-Request-ID"] == "abc123"
    metrics = (await client.get("/metrics")).text
    assert "ma_http_requests_total" in metrics

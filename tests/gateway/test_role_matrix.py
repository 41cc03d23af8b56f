"""Every route x every role: a role without the route's permission gets 403, a role with it is
let through (whatever the route then says about the made-up ids and empty bodies sent)."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from marketing_agent.core.auth import ROLE_PERMISSIONS, Permission, Role
from tests.factories import database_of, headers_for
from tests.routes import api_routes

# Open by design (tests/gateway/test_access.py says why); everything else needs a permission.
OPEN = {"/healthz", "/readyz", "/metrics", "/api/v1/auth/login", "/{path:path}"}
OPEN_PREFIXES = ("/api/v1/telegram/webhook/", "/r/", "/api/v1/analytics/webhooks/")

# The review gate and access control, pinned: loosening one of these must be a visible change.
PINNED = {
    ("POST", "/api/v1/safety/blacklist"): Permission.SAFETY_MANAGE,
    ("DELETE", "/api/v1/safety/blacklist/{term_id}"): Permission.SAFETY_MANAGE,
    ("POST", "/api/v1/orchestrator/reviews/{review_id}/approve"): Permission.REVIEWS_DECIDE,
    ("POST", "/api/v1/orchestrator/reviews/{review_id}/reject"): Permission.REVIEWS_DECIDE,
    ("GET", "/api/v1/auth/users"): Permission.USERS_MANAGE,
    ("POST", "/api/v1/auth/users"): Permission.USERS_MANAGE,
    ("PATCH", "/api/v1/auth/users/{user_id}"): Permission.USERS_MANAGE,
    ("DELETE", "/api/v1/auth/users/{user_id}"): Permission.USERS_MANAGE,
    ("POST", "/api/v1/auth/users/{user_id}/password-reset"): Permission.USERS_MANAGE,
    ("POST", "/api/v1/telegram/senders"): Permission.SENDERS_MANAGE,
}


def _permissions(dependant: Dependant) -> set[Permission]:
    found: set[Permission] = set()
    for dep in dependant.dependencies:
        permission = getattr(dep.call, "permission", None)
        if permission is not None:
            found.add(permission)
        found |= _permissions(dep)
    return found


def _route_table(app: FastAPI) -> list[tuple[str, str, Permission]]:
    """Returns (method, path, permission) of every protected route."""
    table = []
    for route in api_routes(app):
        if route.path in OPEN or route.path.startswith(OPEN_PREFIXES):
            continue
        permissions = _permissions(route.dependant)
        assert len(permissions) == 1, f"{route.path} needs exactly one permission: {permissions}"
        table += [(method, route.path, *permissions) for method in sorted(route.methods)]
    return table


def _url(route_path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", route_path)


def _expected(role: Role, permission: Permission) -> str:
    return "allow" if permission in ROLE_PERMISSIONS[role] else "deny"


async def test_the_pinned_routes_need_the_permissions_the_review_gate_relies_on(
    app: FastAPI,
) -> None:
    table = {(method, path): permission for method, path, permission in _route_table(app)}
    assert {key: table.get(key) for key in PINNED} == PINNED
    assert not ROLE_PERMISSIONS[Role.MARKETER] & {Permission.SAFETY_MANAGE, Permission.USERS_MANAGE}


async def test_every_route_allows_exactly_the_roles_whose_permissions_grant_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    table = _route_table(app)
    assert len(table) > 40
    headers = {role: await headers_for(client, db, role) for role in Role}
    wrong = []
    for method, path, permission in table:
        for role in Role:
            body = {} if method in ("POST", "PUT", "PATCH") else None
            response = await client.request(method, _url(path), json=body, headers=headers[role])
            expected = _expected(role, permission)
            if expected == "deny":
                ok = response.status_code == 403 and permission in response.json()["detail"]
            else:
                ok = response.status_code not in (401, 403)
            if not ok:
                wrong.append(f"{role:8} {method:6} {path}: {response.status_code}, {expected}")
    assert wrong == []


async def test_the_matrix_is_not_vacuous(app: FastAPI) -> None:
    decisions = {_expected(role, p) for _, _, p in _route_table(app) for role in Role}
    assert decisions == {"allow", "deny"}
    admin_only = {p for _, _, p in _route_table(app)} - set().union(
        *(ROLE_PERMISSIONS[r] for r in Role if r is not Role.ADMIN)
    )
    assert admin_only >= {Permission.USERS_MANAGE, Permission.SAFETY_MANAGE}


def test_routes_helper_sees_api_routes(app: FastAPI) -> None:
    assert all(isinstance(r, APIRoute) for r in api_routes(app))

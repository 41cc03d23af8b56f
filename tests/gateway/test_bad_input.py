"""Bad input to every write endpoint is a 4xx problem+json with the fields named, never a 500."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import database_of, headers_for
from tests.routes import api_routes

GARBAGE_BODIES = [{"name": 12345, "goal": None, "unexpected": [1, 2]}, [], "not json"]


def write_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in api_routes(app)
        for method in route.methods
        if method in {"POST", "PUT", "PATCH", "DELETE"} and route.path != "/api/v1/auth/login"
    )


async def test_every_write_endpoint_answers_bad_input_with_problem_json(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app))
    routes = write_routes(app)
    assert len(routes) >= 15
    for method, path in routes:
        concrete = re.sub(r"\{[^}]+\}", "999999", path)
        for body in GARBAGE_BODIES:
            kwargs = {"content": body} if isinstance(body, str) else {"json": body}
            response = await client.request(method, concrete, headers=headers, **kwargs)
            assert 400 <= response.status_code < 500, (method, path, body, response.text)
            assert response.headers["content-type"].startswith("application/problem+json"), path
            problem = response.json()
            assert {"type", "title", "status", "detail"} <= problem.keys()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "", "goal": "x", "variant_count": 9}, {"name", "goal", "variant_count"}),
        ({"name": "ok", "goal": "a sale", "start_at": "2026-12-01T09:00:00"}, {"start_at"}),
        ({"name": "ok", "goal": "a sale", "cta_url": "not a url"}, {"cta_url"}),
    ],
)
async def test_campaign_validation_names_every_bad_field_at_once(
    client: httpx.AsyncClient, app: FastAPI, body: dict, fields: set[str]
) -> None:
    headers = await headers_for(client, database_of(app))
    response = await client.post("/api/v1/orchestrator/campaigns", json=body, headers=headers)
    assert response.status_code == 422
    named = {e["loc"][-1] for e in response.json()["errors"]}
    assert fields <= named

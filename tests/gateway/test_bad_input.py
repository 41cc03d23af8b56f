"""Bad input to every write endpoint is a 4xx problem+json with the fields named, never a 500."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from marketing_agent.core.logging import configure_logging
from tests.factories import database_of, headers_for, make_sender
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


# Values the database cannot hold, found by fuzzing the schema ---------------------------------

BEYOND_INT64 = 2**63
INT64_ERROR_TYPES = {"less_than_equal", "greater_than_equal"}


def _schema_types(schema: dict[str, Any]) -> set[str]:
    types = {schema.get("type", "")}
    for option in schema.get("anyOf", []):
        types.add(option.get("type", ""))
    return types


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


def integer_inputs(spec: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Returns (method, path, where, name) of every integer parameter and top-level body field."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if "integer" in _schema_types(param["schema"]):
                    found.append((method.upper(), path, param["in"], param["name"]))
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            if body is None:
                continue
            for name, prop in _resolve(spec, body).get("properties", {}).items():
                if "integer" in _schema_types(prop):
                    found.append((method.upper(), path, "body", name))
    return found


async def test_ids_beyond_int64_are_refused_in_every_path_query_and_body(
    pg_client: httpx.AsyncClient, pg_app: FastAPI
) -> None:
    headers = await headers_for(pg_client, database_of(pg_app))
    inputs = integer_inputs(pg_app.openapi())
    assert len(inputs) >= 30
    for method, path, where, name in inputs:
        concrete = path.replace("{" + name + "}", str(BEYOND_INT64))
        concrete = re.sub(r"\{[^}]+\}", "1", concrete)
        kwargs: dict[str, Any] = {}
        if where == "query":
            kwargs["params"] = {name: str(BEYOND_INT64)}
        if where == "body":
            kwargs["json"] = {name: BEYOND_INT64}
        response = await pg_client.request(method, concrete, headers=headers, **kwargs)
        assert response.status_code == 422, (method, path, name, response.text)
        named = {e["loc"][-1]: e["type"] for e in response.json()["errors"]}
        assert named.get(name) in INT64_ERROR_TYPES, (method, path, name, response.text)


async def test_webhook_route_refuses_an_id_beyond_int64_without_login(
    pg_client: httpx.AsyncClient,
) -> None:
    response = await pg_client.post(
        f"/api/v1/telegram/webhook/{BEYOND_INT64}",
        json={"update_id": 1},
        headers={"X-Telegram-Bot-Api-Secret-Token": "x"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_nul_characters_are_refused_before_postgresql_sees_them(
    pg_client: httpx.AsyncClient, pg_app: FastAPI
) -> None:
    login = await pg_client.post(
        "/api/v1/auth/login", json={"username": "ad\u0000min", "password": "x"}
    )
    assert login.status_code == 422, login.text
    headers = await headers_for(pg_client, database_of(pg_app))
    attempts = [
        ("POST", "/api/v1/orchestrator/contacts", {"telegram_id": 5, "first_name": "A\u0000"}),
        ("POST", "/api/v1/orchestrator/contacts", {"telegram_id": 5, "attributes": {"k\u0000": 1}}),
        ("POST", "/api/v1/safety/blacklist", {"term": "bad\u0000word"}),
        ("POST", "/api/v1/auth/api-keys", {"name": "\u0000"}),
    ]
    for method, path, body in attempts:
        response = await pg_client.request(method, path, json=body, headers=headers)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["type"] == "nul_character"
    audit = await pg_client.get(
        "/api/v1/compliance/audit", params={"entity_type": "a\u0000"}, headers=headers
    )
    assert audit.status_code == 422, audit.text
    contacts = await pg_client.get("/api/v1/orchestrator/contacts", headers=headers)
    assert contacts.json()["total"] == 0  # nothing half-written


async def test_every_write_route_refuses_nul_in_any_field(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app))
    for method, path in write_routes(app):
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        body = {"anything": {"nested": ["ok", "not\u0000ok"]}}
        response = await client.request(method, concrete, json=body, headers=headers)
        assert response.status_code == 422, (method, path, response.text)
        assert response.json()["errors"][0]["type"] == "nul_character", (method, path)


@pytest.mark.parametrize("zone", ["Europe", "Etc", "America/"])
async def test_a_time_zone_folder_is_not_a_time_zone(
    client: httpx.AsyncClient, app: FastAPI, zone: str
) -> None:
    headers = await headers_for(client, database_of(app))
    contact = await client.post(
        "/api/v1/orchestrator/contacts", json={"telegram_id": 7, "timezone": zone}, headers=headers
    )
    assert contact.status_code == 422, contact.text
    assert contact.json()["errors"][0]["loc"][-1] == "timezone"
    campaign = await client.post(
        "/api/v1/orchestrator/campaigns",
        json={"name": "n", "goal": "a sale", "timezone": zone},
        headers=headers,
    )
    assert campaign.status_code == 422, campaign.text
    assert {e["loc"][-1] for e in campaign.json()["errors"]} == {"timezone"}


@pytest.mark.parametrize("start_at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:00Z"])
async def test_a_recurring_campaign_starting_at_the_ends_of_time_is_refused(
    client: httpx.AsyncClient, app: FastAPI, start_at: str
) -> None:
    headers = await headers_for(client, database_of(app))
    await make_sender(database_of(app))
    response = await client.post(
        "/api/v1/orchestrator/campaigns",
        json={
            "name": "weekly",
            "goal": "a sale",
            "variants": [{"text": "Hi"}],
            "start_at": start_at,
            "recurrence": "0 9 * * MON",
        },
        headers=headers,
    )
    assert response.status_code == 422, response.text
    assert "start_at" in {e["loc"][-1] for e in response.json()["errors"]}


@pytest.mark.parametrize("depth", [100, 5000])
async def test_json_nested_hundreds_deep_is_refused(
    client: httpx.AsyncClient, app: FastAPI, depth: int
) -> None:
    headers = await headers_for(client, database_of(app))
    attributes = "[" * depth + "]" * depth
    body = '{"telegram_id": 9, "attributes": {"deep": ' + attributes + "}}"
    response = await client.post(
        "/api/v1/orchestrator/contacts",
        content=body,
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text[:300]
    assert response.json()["errors"][0]["type"] == "too_deep"


async def test_many_shallow_objects_and_brackets_in_texts_pass_but_one_deep_value_is_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = {**await headers_for(client, database_of(app)), "content-type": "application/json"}
    shallow = {"telegram_id": 12, "tags": ["[" * 40, '"{' * 40], "attributes": {}}
    shallow["attributes"] = {f"k{i}": {"v": [i]} for i in range(50)}  # 100+ brackets, depth 4
    response = await client.post("/api/v1/orchestrator/contacts", json=shallow, headers=headers)
    assert response.status_code == 201, response.text[:300]
    assert response.json()["tags"] == ["[" * 40, '"{' * 40]

    hidden = {**shallow, "telegram_id": 13}
    hidden["attributes"] = {**shallow["attributes"], "deep": "@"}
    body = json.dumps(hidden).replace('"@"', "[" * 40 + "]" * 40)
    response = await client.post("/api/v1/orchestrator/contacts", content=body, headers=headers)
    assert response.status_code == 422, response.text[:300]
    assert response.json()["errors"][0]["type"] == "too_deep"


async def test_a_body_over_the_limit_is_413_and_nothing_is_stored(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app))
    huge = {"telegram_id": 11, "attributes": {"blob": "x" * 10_000_000}}
    response = await client.post("/api/v1/orchestrator/contacts", json=huge, headers=headers)
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"telegram_id": 12, "attributes": {"blob": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}}'

    streamed = await client.post(
        "/api/v1/orchestrator/contacts",
        content=chunks(),
        headers={**headers, "content-type": "application/json"},
    )
    assert streamed.status_code == 413, streamed.text[:300]
    contacts = await client.get("/api/v1/orchestrator/contacts", headers=headers)
    assert contacts.json()["total"] == 0


async def test_the_csv_import_takes_a_file_larger_than_other_bodies(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app))
    rows = "".join(f"{100 + i},user{i},{'N' * 60}\n" for i in range(20_000))
    csv_file = ("telegram_id,username,note\n" + rows).encode()
    assert len(csv_file) > 1_000_000
    response = await client.post(
        "/api/v1/orchestrator/contacts/import",
        files={"file": ("contacts.csv", csv_file, "text/csv")},
        headers=headers,
    )
    assert response.status_code == 200, response.text[:300]
    assert response.json()["created"] == 20_000


# A 500 that still happens -------------------------------------------------------------------


async def test_an_unexpected_error_is_a_plain_500_that_logs_no_parameters(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    phone = "+4915112345678"
    logs = io.StringIO()
    configure_logging("INFO")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=logs))

    async def broken() -> None:
        raise DBAPIError(
            "INSERT INTO contacts (phone) VALUES ($1)",
            {"phone": phone},
            Exception(f"duplicate key: Key (phone)=({phone}) already exists"),
        )

    app.router.add_api_route("/api/v1/test-broken", broken, methods=["POST"])
    try:
        response = await client.post("/api/v1/test-broken")
    finally:
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/internal")
    assert phone not in response.text and "INSERT" not in response.text
    logged = logs.getvalue()
    assert "request.failed" in logged and "INSERT INTO contacts" in logged
    assert phone not in logged


def test_the_openapi_document_states_each_routes_problems(app: FastAPI) -> None:
    spec = app.openapi()
    checked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"401", "422", "429"}
            if "{" in path or method in {"post", "put", "patch", "delete"}:
                expected.add("404")
            if path not in {"/api/v1/auth/login"} and not re.search(r"/webhooks?/", path):
                expected.add("403")
            assert expected <= responses.keys(), (method, path, sorted(responses))
            for status, response in responses.items():
                if status.startswith("4"):
                    assert list(response["content"]) == ["application/problem+json"], (path, status)
            checked += 1
    assert checked >= 40
    assert "Problem" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


async def test_a_method_a_path_does_not_serve_is_405_with_every_allowed_method(
    client: httpx.AsyncClient,
) -> None:
    wrong = await client.get("/api/v1/auth/login")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    both = await client.put("/api/v1/orchestrator/contacts")
    assert both.status_code == 405 and both.headers["allow"] == "GET, POST"
    assert both.headers["content-type"].startswith("application/problem+json")
    unknown = await client.get("/api/v1/nowhere")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


async def test_a_body_that_is_not_text_is_a_422(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b"\xee\x86\x98\xff",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text

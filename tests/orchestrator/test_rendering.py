"""Message templates fill only the allowed placeholders and refuse the others when saved."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from marketing_agent.orchestrator.rendering import render_text
from tests.factories import database_of, headers_for, make_sender


def test_placeholders_are_filled_from_the_contact() -> None:
    text = render_text("Hi {first_name} (@{username})!", {"first_name": "Ann", "username": "ann"})
    assert text == "Hi Ann (@ann)!"
    assert render_text("Hi {first_name}!", {"first_name": None}) == "Hi there!"
    assert render_text("Hi {first_name}!", None) == "Hi Alex!"


@pytest.mark.parametrize(
    "template",
    [
        "{first_name.__class__.__mro__}",
        "{first_name.__class__.__init__.__globals__}",
        "{first_name[x]}",
        "{first_name[0]}",
        "{first_name!r}",
        "{0}",
    ],
)
def test_a_template_cannot_reach_into_the_values(template: str) -> None:
    rendered = render_text(template, {"first_name": "Ann", "username": "ann"})
    assert rendered == template  # sent as written, nothing evaluated
    assert "class" not in rendered.replace("__class__", "")


def test_literal_braces_survive() -> None:
    assert (
        render_text("{{first_name}} costs {} or { 10 }", None) == "{first_name} costs {} or { 10 }"
    )


@given(st.text(max_size=200), st.text(max_size=40))
def test_rendering_never_fails(template: str, name: str) -> None:
    render_text(template, {"first_name": name, "username": name})


@pytest.mark.parametrize("bad", ["{first_name.__class__}", "{first_name[x]}", "{last_name}", "{0}"])
async def test_an_unknown_placeholder_is_refused_when_the_campaign_is_saved(
    client: httpx.AsyncClient, app: FastAPI, bad: str
) -> None:
    headers = await headers_for(client, database_of(app))
    await make_sender(database_of(app))
    response = await client.post(
        "/api/v1/orchestrator/campaigns",
        json={
            "name": "boots",
            "goal": "a sale",
            "variants": [{"text": "Hi {first_name}!"}, {"text": f"Hello {bad}"}],
        },
        headers=headers,
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "variants", 1, "text"]  # the second variant, B
    assert bad in error["msg"]

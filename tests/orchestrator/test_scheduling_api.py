"""The scheduling fields of a campaign through the API: defaults from the settings, and a 422
problem+json naming every bad field."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core.settings import Settings
from tests.factories import database_of, headers_for, make_sender

CAMPAIGNS = "/api/v1/orchestrator/campaigns"
BASE = {"name": "Boots", "goal": "Winter boots sale", "variants": [{"text": "Boots -20%"}]}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shipped defaults of quiet hours, in a deployment whose contacts live in Berlin."""
    return settings.model_copy(
        update={"quiet_hours": "21:00-09:00", "default_timezone": "Europe/Berlin"}
    )


async def post(client: httpx.AsyncClient, app: FastAPI, **fields: object) -> httpx.Response:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)
    return await client.post(CAMPAIGNS, json={**BASE, **fields}, headers=headers)


def bad_fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {str(part) for error in response.json()["errors"] for part in error["loc"][1:2]}


async def test_campaign_gets_the_default_quiet_hours_and_zone_and_shows_them(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await post(client, app, send_window="10:00-18:30")
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert campaign["send_window"] == {"start": "10:00", "end": "18:30"}
    assert campaign["quiet_hours"] == {"start": "21:00", "end": "09:00"}
    assert campaign["timezone"] == "Europe/Berlin"
    assert campaign["recurrence"] is None and campaign["parent_campaign_id"] is None


async def test_campaign_may_set_its_own_quiet_hours_or_turn_them_off(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    own = await post(client, app, quiet_hours={"start": "22:30", "end": "07:15"})
    assert own.json()["quiet_hours"] == {"start": "22:30", "end": "07:15"}
    off = await post(client, app, quiet_hours=None, timezone="Asia/Tokyo")
    assert (off.json()["quiet_hours"], off.json()["timezone"]) == (None, "Asia/Tokyo")


async def test_recurring_campaign_shows_its_series(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await post(
        client,
        app,
        recurrence="0 9 * * MON",
        recurrence_max_runs=4,
        recurrence_until="2099-01-01T00:00:00Z",
    )
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert campaign["recurrence"] == "0 9 * * MON"
    assert (campaign["recurrence_max_runs"], campaign["runs"]) == (4, 0)


async def test_every_bad_scheduling_field_is_named_at_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await post(
        client,
        app,
        send_window={"start": "9am", "end": "20:00"},
        quiet_hours="22:00",
        timezone="Mars/Olympus_Mons",
        recurrence="every monday",
        recurrence_until="2099-01-01T00:00:00",
        recurrence_max_runs=0,
    )
    assert bad_fields(response) == {
        "send_window",
        "quiet_hours",
        "timezone",
        "recurrence",
        "recurrence_until",
        "recurrence_max_runs",
    }
    messages = " ".join(e["msg"] for e in response.json()["errors"])
    assert "HH:MM" in messages and "five fields" in messages and "Mars/Olympus_Mons" in messages


@pytest.mark.parametrize(
    ("fields", "named", "said"),
    [
        ({"recurrence": "*/10 * * * *"}, "recurrence", "more often"),
        ({"send_window": "10:00-10:00"}, "send_window", "must differ"),
        ({"send_window": "22:00-23:00"}, "send_window", "entirely within the quiet hours"),
        ({"recurrence_max_runs": 3}, "recurrence_max_runs", "only with a recurrence"),
        (
            {"recurrence": "0 9 * * *", "recurrence_until": "2020-01-01T00:00:00Z"},
            "recurrence_until",
            "later than now",
        ),
    ],
)
async def test_contradictory_schedule_is_a_422_naming_the_field(
    client: httpx.AsyncClient, app: FastAPI, fields: dict[str, object], named: str, said: str
) -> None:
    response = await post(client, app, **fields)
    assert bad_fields(response) == {named}
    assert said in response.json()["errors"][0]["msg"]

"""Telegram's Bot Developer Terms: every bot answers /privacy with the workspace's privacy policy
(set in the safety settings), over the simulated Bot API, without subscribing anybody."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import database_of, headers_for, runtime_of
from tests.telegram.bot_api_server import BotApiServer, People
from tests.telegram.bot_api_server import add_bot as add_simulated_bot
from tests.telegram.test_consent_bot import add_bot, consent_of, pull_until, received_text

POLICY = "Boots & Co keeps your Telegram id and name only. Full policy: https://boots.example/p"


@pytest.fixture
def bot_api_server() -> Iterator[BotApiServer]:
    server = BotApiServer()
    yield server
    server.stop()


@pytest.fixture
async def people(bot_api_server: BotApiServer) -> AsyncIterator[People]:
    crowd = People(bot_api_server.url, await add_simulated_bot(bot_api_server.url))
    yield crowd
    await crowd.close()


async def test_privacy_answers_with_the_workspace_policy(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    changed = await client.patch(
        "/api/v1/safety/settings", json={"privacy_policy": POLICY}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    sender = await add_bot(client, headers, people)
    person = 515151
    from marketing_agent.orchestrator import scheduled

    await scheduled.pull_inbound(runtime_of(db))

    await people.says(person, f"/privacy@{people.bot.username}", first_name="Ann")
    await pull_until(db, received_text(people, person, POLICY))

    assert await consent_of(db, person, sender["id"]) is None  # asking is not subscribing

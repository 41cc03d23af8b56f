"""Bot senders through the API and the CLI: the token is checked with getMe and stored encrypted,
a test message reports Telegram's answer, and no secret ever shows in a response, a log line,
a repr or the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.compliance import service as compliance
from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from marketing_agent.core.logging import configure_logging
from marketing_agent.core.settings import get_settings
from marketing_agent.orchestrator import scheduled
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.models import Sender
from marketing_agent.telegram.pool import SenderSpec
from tests.factories import database_of, headers_for, runtime_of, transports_of
from tests.telegram.bot_api_server import People
from tests.telegram.test_consent_bot import add_bot


async def test_adding_a_bot_checks_its_token_with_telegram_and_keeps_its_username(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    headers = await headers_for(client, database_of(app))

    sender = await add_bot(client, headers, people, double_opt_in=True)
    refused = await client.post(
        "/api/v1/telegram/senders",
        json={
            "name": "Stolen bot",
            "transport": "botapi",
            "secret": "999:revoked-token",
            "bot_api_url": people.server_url,
        },
        headers=headers,
    )
    listed = (await client.get("/api/v1/telegram/senders", headers=headers)).json()

    assert sender["bot_username"] == people.bot.username
    assert (sender["transport"], sender["has_secret"], sender["double_opt_in"]) == (
        "botapi",
        True,
        True,
    )
    assert (sender["bot_api_url"], sender["webhook_url"]) == (people.server_url, None)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "secret"]
    assert "unauthorized" in refused.json()["errors"][0]["msg"]
    assert [s["name"] for s in listed] == [sender["name"]]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"transport": "botapi"}, "bot token"),
        ({"transport": "botapi", "secret": "12:ab", "bot_api_url": "ftp://x"}, "http"),
        ({"transport": "simulator", "bot_api_url": "http://127.0.0.1:1"}, "botapi"),
        ({"transport": "simulator", "double_opt_in": True}, "botapi"),
    ],
)
async def test_bot_settings_that_cannot_work_are_refused(
    client: httpx.AsyncClient, app: FastAPI, fields: dict[str, Any], problem: str
) -> None:
    headers = await headers_for(client, database_of(app))

    response = await client.post(
        "/api/v1/telegram/senders", json={"name": "Odd", **fields}, headers=headers
    )

    assert response.status_code == 422
    assert problem in response.text


async def test_a_test_message_reports_what_telegram_answered(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    viewer = await headers_for(client, db, Role.VIEWER)
    sender = await add_bot(client, headers, people)
    await people.started(91, 92)
    await people.becomes(92, "blocked")
    route = f"/api/v1/telegram/senders/{sender['id']}/test"

    sent = await client.post(
        route, json={"chat_id": 91, "text": "Hello from the shop"}, headers=headers
    )
    blocked = await client.post(route, json={"chat_id": 92}, headers=headers)
    forbidden = await client.post(route, json={"chat_id": 91}, headers=viewer)
    stranger = await client.post(route, json={"chat_id": 95}, headers=headers)

    assert sent.json() == {
        "ok": True,
        "status": "sent",
        "reason": None,
        "message_id": sent.json()["message_id"],
        "retry_after_s": None,
        "bot_username": people.bot.username,
    }
    assert [m["text"] for m in await people.received(91)] == ["Hello from the shop"]
    assert (blocked.json()["ok"], blocked.json()["status"], blocked.json()["reason"]) == (
        False,
        "permanent",
        "blocked",
    )
    # Someone who never started the bot: Telegram does not know the chat, for this bot.
    assert (stranger.json()["status"], stranger.json()["reason"]) == ("permanent", "chat_not_found")
    assert forbidden.status_code == 403
    async with db.session() as session:
        entries, _ = await compliance.list_audit(
            session=session, entity_type="sender", entity_id=str(sender["id"])
        )
    assert [e.action for e in entries][:2] == ["sender.tested", "sender.tested"]


async def test_no_token_or_webhook_secret_in_responses_logs_reprs_or_the_audit_log(
    client: httpx.AsyncClient, app: FastAPI, people: People, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("DEBUG", json=True)  # every event, to the captured stderr
    try:
        db = database_of(app)
        headers = await headers_for(client, db)
        token = people.bot.token
        answers = [
            await client.post("/api/v1/telegram/senders", json=body, headers=headers)
            for body in (
                {
                    "name": "Bot",
                    "transport": "botapi",
                    "secret": token,
                    "bot_api_url": people.server_url,
                },
                {
                    "name": "Bad",
                    "transport": "botapi",
                    "secret": token + "x",
                    "bot_api_url": people.server_url,
                },
                {"name": "Worse", "transport": "botapi", "secret": "not a token " + token},
            )
        ]
        sender_id = answers[0].json()["id"]
        await people.started(93)
        await people.becomes(93, "blocked")
        answers.append(
            await client.post(
                f"/api/v1/telegram/senders/{sender_id}/test", json={"chat_id": 93}, headers=headers
            )
        )
        await scheduled.pull_inbound(runtime_of(db))  # long polling starts
        answers.append(
            await client.put(
                f"/api/v1/telegram/senders/{sender_id}/webhook",
                json={"public_url": "https://m.example.com"},
                headers=headers,
            )
        )
        secret = (await people.bot_state())["webhook"]["secret_token"]
        answers.append(
            await client.post(
                f"/api/v1/telegram/webhook/{sender_id}",
                json={},
                headers={"X-Telegram-Bot-Api-Secret-Token": secret[:-1]},
            )
        )
        answers.append(await client.get("/api/v1/telegram/senders", headers=headers))
        transport = transports_of(db).botapi(sender_id)
        async with db.session() as session:
            entries, _ = await compliance.list_audit(session=session, limit=1000)
            info = await telegram.get_sender_or_raise(session=session, sender_id=sender_id)
            row = await session.get(Sender, sender_id)
        assert row is not None
        spec = SenderSpec(sender_id, "botapi", "bot", secret_encrypted=row.secret_encrypted)
        captured = capsys.readouterr()
    finally:
        with capsys.disabled():
            configure_logging("WARNING", json=True)

    assert [a.status_code for a in answers[:3]] == [201, 422, 422]
    seen = [
        *(a.text for a in answers),
        captured.out,
        captured.err,
        repr(transport),
        repr(spec),
        repr(row),
        repr(info),
        json.dumps([e.data for e in entries]),
    ]
    assert "telegram.webhook_refused" in captured.err  # the log was captured
    for text in seen:
        assert token not in text and secret not in text
        assert token.partition(":")[2] not in text
        assert str(row.secret_encrypted) not in text


def test_the_cli_adds_lists_and_tests_a_bot(
    db: Database, people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from marketing_agent.cli import app as cli

    monkeypatch.setenv("MA_DATABASE_URL", db.url)
    monkeypatch.setenv("MA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MA_SECRET_KEY", "cli-test-secret-key-" + "y" * 32)
    monkeypatch.delenv("MA_SECRET_KEY_PREVIOUS", raising=False)
    runner = CliRunner()
    httpx.post(
        f"{people.server_url}/sim/bots/{people.bot.username}/chats", json={"chat_ids": [94]}
    ).raise_for_status()  # the person started the bot
    try:
        added = runner.invoke(
            cli,
            ["accounts", "add-bot", "--name", "Shop", "--bot-api-url", people.server_url],
            input=people.bot.token + "\n",
        )
        listed = runner.invoke(cli, ["accounts", "list"])
        tested = runner.invoke(cli, ["accounts", "test", "1", "--chat-id", "94", "--text", "Hi"])
        refused = runner.invoke(
            cli,
            ["accounts", "add-bot", "--name", "Other", "--bot-api-url", people.server_url],
            input="1:wrong\n",
        )
    finally:
        get_settings.cache_clear()  # the next test reads its own environment

    assert added.exit_code == 0, added.output
    assert f"@{people.bot.username} is sender 1" in added.output
    assert people.bot.token not in added.output
    assert "Shop" in listed.output and "polling" in listed.output
    assert tested.exit_code == 0 and "Sent" in tested.output, tested.output
    assert refused.exit_code == 2 and "unauthorized" in refused.output

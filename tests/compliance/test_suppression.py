"""An erased person stays erased: a CSV import reports their row as suppressed instead of
re-adding them; only their own new opt-in through a bot brings them back."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from typer.testing import CliRunner

from marketing_agent.cli import app as cli
from marketing_agent.compliance.suppression import SuppressionKey
from marketing_agent.core import clock
from marketing_agent.core.db import Database
from marketing_agent.orchestrator import flows
from marketing_agent.telegram.transport import InboundEvent
from tests.factories import database_of, headers_for, make_sender

ERASED_ID = 5_550_007_777


async def _import(client: httpx.AsyncClient, headers: dict[str, str], csv: str) -> httpx.Response:
    return await client.post(
        "/api/v1/orchestrator/contacts/import",
        files={"file": ("c.csv", csv.encode(), "text/csv")},
        headers=headers,
    )


async def _contact_id(client: httpx.AsyncClient, headers: dict[str, str], telegram_id: int) -> int:
    page = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    return int(next(c["id"] for c in page["items"] if c["telegram_id"] == telegram_id))


async def test_import_reports_an_erased_person_as_suppressed_and_skips_them(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    first = await _import(client, headers, f"telegram_id,first_name\n{ERASED_ID},Ada\n")
    assert first.json()["created"] == 1
    contact_id = await _contact_id(client, headers, ERASED_ID)
    erased = await client.post(
        "/api/v1/compliance/erasures", json={"contact_id": contact_id}, headers=headers
    )
    assert erased.status_code == 200, erased.text

    again = await _import(
        client, headers, f"telegram_id,first_name\n5550000001,Bo\n{ERASED_ID},Ada\n"
    )
    assert again.status_code == 200, again.text
    result = again.json()
    assert result.pop("import_batch_id") is not None  # the upload is kept as evidence
    assert result == {
        "created": 1,
        "updated": 0,
        "consents_recorded": 0,
        "suppressed": 1,
        "suppressed_rows": [3],
        "skipped_rows": 0,
    }
    page = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    assert ERASED_ID not in [c["telegram_id"] for c in page["items"]]
    by_hand = await client.post(
        "/api/v1/orchestrator/contacts", json={"telegram_id": ERASED_ID}, headers=headers
    )
    assert by_hand.status_code == 409
    assert "suppression list" in by_hand.json()["detail"]


async def test_a_new_opt_in_through_the_bot_brings_an_erased_person_back(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender_id = await make_sender(db)
    await _import(client, headers, f"telegram_id,first_name\n{ERASED_ID},Ada\n")
    contact_id = await _contact_id(client, headers, ERASED_ID)
    await client.post(
        "/api/v1/compliance/erasures", json={"contact_id": contact_id}, headers=headers
    )

    events = [
        InboundEvent(kind=kind, chat_id=ERASED_ID, occurred_at=clock.now())  # type: ignore[arg-type]
        for kind in ("start", "consent_yes")
    ]
    async with db.session() as session:
        await flows.handle_inbound(session=session, sender_id=sender_id, events=events)
    back = await _contact_id(client, headers, ERASED_ID)
    consents = (
        await client.get(f"/api/v1/compliance/contacts/{back}/consents", headers=headers)
    ).json()
    assert [c["status"] for c in consents] == ["granted"]
    # Back by their own choice, they are a contact like any other: an import updates them.
    update = await _import(client, headers, f"telegram_id,first_name\n{ERASED_ID},Ada L.\n")
    assert update.json()["updated"] == 1 and update.json()["suppressed"] == 0


async def test_suppression_survives_a_key_rotation_while_the_old_key_is_known(
    db: Database,
) -> None:
    from marketing_agent.compliance import service as compliance

    old = SuppressionKey.from_secrets("old-secret")
    async with db.session() as s:
        await compliance.suppress(session=s, key=old, telegram_id=ERASED_ID)
    rotated = SuppressionKey.from_secrets("new-secret", "old-secret")
    forgotten = SuppressionKey.from_secrets("new-secret")
    async with db.session() as s:
        assert await compliance.suppressed_among(
            session=s, key=rotated, telegram_ids=[ERASED_ID, 1]
        ) == {ERASED_ID}
        assert (
            await compliance.suppressed_among(session=s, key=forgotten, telegram_ids=[ERASED_ID])
            == set()
        )


async def test_cli_erases_a_contact(db: Database) -> None:
    from marketing_agent.orchestrator import service as orchestrator
    from marketing_agent.orchestrator.schemas import ContactCreate

    async with db.session() as session:
        contact = await orchestrator.create_contact(
            session=session, contact_in=ContactCreate(telegram_id=ERASED_ID, first_name="Ada")
        )
    env = {
        "MA_DATABASE_URL": str(db.engine.url),
        "MA_SECRET_KEY": "cli-secret-" + "y" * 32,
    }
    args = ["contacts", "erase", str(contact.id), "--yes"]
    # The command runs its own event loop, so it runs in a thread beside the test's.
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert "erased" in result.output
    async with db.session() as session:
        assert await orchestrator.get_contact(session=session, contact_id=contact.id) is None
    missing = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
    assert missing.exit_code == 2 and "does not exist" in missing.output

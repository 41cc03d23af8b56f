"""`marketing-agent privacy create|verify|complete|list`: a data-subject request from receipt to
completion on the command line, each step refused with a clear message when out of order."""

from __future__ import annotations

import asyncio

from click.testing import Result
from typer.testing import CliRunner

from marketing_agent.cli import app as cli
from marketing_agent.compliance import service as compliance
from marketing_agent.core.db import Database
from marketing_agent.orchestrator.models import Contact
from tests.factories import make_contacts, make_sender


async def test_a_request_is_created_verified_completed_and_listed_from_the_cli(
    db: Database,
) -> None:
    sender_id = await make_sender(db)
    [contact_id, other_id] = await make_contacts(db, 2, sender_id=sender_id)
    env = {"MA_DATABASE_URL": str(db.engine.url), "MA_SECRET_KEY": "k" * 40, "COLUMNS": "200"}

    async def run(*args: str) -> Result:
        return await asyncio.to_thread(CliRunner().invoke, cli, ["privacy", *args], env=env)

    created = await run("create", "access", "--contact", str(contact_id))
    assert created.exit_code == 0, created.output
    assert "Request 1 recorded" in created.output and "verify" in created.output
    early = await run("complete", "1")
    assert early.exit_code == 2 and "only a verified request" in early.output
    short = await run("verify", "1", "--method", "x")
    assert short.exit_code == 2 and "Invalid input" in short.output
    verified = await run("verify", "1", "--method", "replied from their Telegram account")
    assert verified.exit_code == 0, verified.output
    done = await run("complete", "1")
    assert done.exit_code == 0, done.output
    assert "Request 1 completed" in done.output

    erasure = await run("create", "erasure", "--contact", str(other_id), "--regime", "ccpa")
    assert erasure.exit_code == 0, erasure.output
    await run("verify", "2", "--method", "signed letter with ID copy")
    erased = await run("complete", "2", "--yes")
    assert erased.exit_code == 0, erased.output
    listed = await run("list")
    assert listed.exit_code == 0
    assert "access" in listed.output and "erasure" in listed.output and "ccpa" in listed.output

    async with db.session() as session:
        first = await compliance.get_request_or_raise(session=session, request_id=1)
        assert (first.status, first.verified_by, first.completed_by) == (
            "completed",
            "cli:operator",
            "cli:operator",
        )
        assert first.export is not None  # the access request's export
        assert await session.get(Contact, other_id) is None  # erased
        actions = [
            e.action for e in (await compliance.list_audit(session=session, entity_id="1"))[0]
        ]
    assert "privacy_request.received" in actions and "privacy_request.verified" in actions

    unknown = await run("create", "access", "--contact", "424242")
    assert unknown.exit_code == 2 and "424242" in unknown.output
    bad_kind = await run("create", "teleport", "--contact", str(contact_id))
    assert bad_kind.exit_code == 2 and "kind" in bad_kind.output
    bad_json = await run("create", "rectification", "--contact", "1", "--details", "{")
    assert bad_json.exit_code == 2 and "not JSON" in bad_json.output

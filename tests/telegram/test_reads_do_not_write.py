"""Reading senders writes nothing: what a transport found (a PEER_FLOOD, a revoked session) and
the end of a pause are recorded by the health job (the scheduler's tick, the worker's round),
never by a GET."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.compliance import service as compliance
from marketing_agent.core.db import Database
from marketing_agent.orchestrator import scheduled
from marketing_agent.telegram import service as telegram
from tests.factories import database_of, headers_for, make_sender, runtime_of, transports_of


async def _audit_total(db: Database) -> int:
    """The senders' audit entries (a tick also runs other jobs, such as the retention purge)."""
    async with db.session() as session:
        return (await compliance.list_audit(session=session, entity_type="sender", limit=1))[1]


async def _statuses(db: Database) -> list[tuple[str, str | None]]:
    async with db.session() as session:
        return [(s.status, s.status_reason) for s in await telegram.list_senders(session=session)]


async def test_getting_senders_twice_leaves_the_audit_log_and_their_health_alone(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender_id = await make_sender(db)
    # The transport found the account restricted; not yet recorded.
    assert transports_of(db).report_problem(sender_id, "session_revoked") is not None
    before_audit, before_health = await _audit_total(db), await _statuses(db)

    for _ in range(2):
        listed = await client.get("/api/v1/telegram/senders", headers=headers)
        assert listed.status_code == 200, listed.text
        one = await client.get(f"/api/v1/telegram/senders/{sender_id}", headers=headers)
        assert one.status_code == 200, one.text

    assert await _audit_total(db) == before_audit
    assert await _statuses(db) == before_health == [("active", None)]
    # The health job records it, audited.
    await scheduled.tick(runtime_of(db))
    assert await _statuses(db) == [("unhealthy", "session_revoked")]
    assert await _audit_total(db) == before_audit + 1

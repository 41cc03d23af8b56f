"""The audit log a regulator accepts: the export carries the chain's head and verifies offline
(an edited row or a cut-off tail fails), the scheduler exports the head hash to a file or a URL
on its interval, and a rewrite of the whole chain, hashes and all, fails against those heads."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from typer.testing import CliRunner

from marketing_agent.cli import app as cli
from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.audit import GENESIS, compute_hash
from marketing_agent.compliance.models import AuditEntry, AuditHead
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import privacy_jobs
from tests.factories import database_of, headers_for

HOUR_S = 3600


async def _write_entries(db: Database, n: int, start: int = 0) -> None:
    async with db.session() as session:
        for i in range(start, start + n):
            await compliance.audit(
                session=session,
                actor="user:alice",
                action="campaign.approved",
                entity_type="campaign",
                entity_id=i,
                data={"risk": i},
            )


async def _export(db: Database) -> list[str]:
    async with db.session() as session:
        return [line async for line in compliance.export_audit_lines(session=session)]


async def test_an_export_ends_with_the_head_and_verifies_offline(db: Database) -> None:
    await _write_entries(db, 4)
    lines = await _export(db)
    head = json.loads(lines[-1])["head"]
    assert head["seq"] == 4 and head["hash"] == json.loads(lines[-2])["hash"]
    result = compliance.verify_audit_export(lines)
    assert result.ok and result.checked == 4 and result.head_hash == head["hash"]

    edited = [json.loads(line) for line in lines[:-1]]
    edited[1]["actor"] = "user:mallory"
    tampered = [json.dumps(e) for e in edited] + [lines[-1]]
    bad = compliance.verify_audit_export(tampered)
    assert (bad.ok, bad.first_bad_seq) == (False, 2) and "edited" in (bad.reason or "")

    cut = compliance.verify_audit_export(lines[:2] + lines[-1:])  # the tail dropped
    assert not cut.ok and "missing" in (cut.reason or "")
    headless = compliance.verify_audit_export(lines[:-1])
    assert not headless.ok and "head" in (headless.reason or "")


async def _rewrite_whole_chain(db: Database) -> None:
    """What an attacker with the database does: edit entry 2 and recompute every hash after it,
    and the head, so the chain on its own verifies again."""
    async with db.session() as session:
        await session.execute(
            text("UPDATE compliance_audit_log SET actor = 'user:mallory' WHERE seq = 2")
        )
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all()
        prev = GENESIS
        for entry in entries:
            entry.prev_hash = prev
            entry.hash = compute_hash(
                prev_hash=prev,
                seq=entry.seq,
                occurred_at=entry.occurred_at,
                actor=entry.actor,
                action=entry.action,
                entity_type=entry.entity_type,
                entity_id=entry.entity_id,
                data=entry.data,
            )
            prev = entry.hash
        head = await session.get(AuditHead, 1)
        assert head is not None
        head.last_hash = prev


async def test_the_scheduler_exports_the_head_to_a_file_and_a_rewritten_chain_fails_against_it(
    db: Database, settings: Settings, tmp_path: Path, virtual_clock: VirtualClock
) -> None:
    anchors = tmp_path / "elsewhere" / "audit-heads.jsonl"
    rules = settings.model_copy(
        update={"audit_head_export": str(anchors), "retention_purge_interval_hours": 0}
    )
    await _write_entries(db, 3)
    assert await privacy_jobs.export_head_if_due(db, rules)
    assert not await privacy_jobs.export_head_if_due(db, rules)  # not due again yet
    virtual_clock.advance(25 * HOUR_S)
    await _write_entries(db, 2, start=3)
    await privacy_jobs.run_due(db, rules)
    heads = [json.loads(line) for line in anchors.read_text().splitlines()]
    assert [h["seq"] for h in heads] == [3, 6]  # entry 4 records the first export itself

    async with db.session() as session:
        exported, _ = await compliance.list_audit(session=session, entity_type="audit")
        ok = await compliance.verify_audit_chain(
            session=session, anchors=compliance.load_head_anchors(str(anchors))
        )
    assert [e.action for e in exported] == ["audit.head_exported"] * 2
    assert ok.ok and ok.anchors_checked == 2

    await _rewrite_whole_chain(db)
    async with db.session() as session:
        alone = await compliance.verify_audit_chain(session=session)
        against = await compliance.verify_audit_chain(
            session=session, anchors=compliance.load_head_anchors(str(anchors))
        )
    assert alone.ok  # the rewrite is consistent on its own ...
    assert not against.ok and against.first_bad_seq == 3  # ... but not with the exported heads
    assert "rewritten" in (against.reason or "")

    # The CLI checks a database and an export against the heads too, without a traceback.
    env = {"MA_DATABASE_URL": str(db.engine.url), "MA_SECRET_KEY": "k" * 40}
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["audit", "verify", "--anchors", str(anchors)], env=env
    )
    assert result.exit_code == 1 and "entry 3" in result.output
    out = tmp_path / "audit.jsonl"
    exported_ok = await asyncio.to_thread(
        CliRunner().invoke, cli, ["audit", "export", "--output", str(out)], env=env
    )
    assert exported_ok.exit_code == 0, exported_ok.output
    offline = await asyncio.to_thread(
        CliRunner().invoke, cli, ["audit", "verify-export", str(out)], env=env
    )
    assert offline.exit_code == 0 and "verified" in offline.output
    anchored = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["audit", "verify-export", str(out), "--anchors", str(anchors)],
        env=env,
    )
    assert anchored.exit_code == 1 and "rewritten" in anchored.output


@pytest.fixture
def head_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTP server on loopback that keeps what is POSTed to it (the operator's URL)."""
    received: list[dict[str, Any]] = []

    class Receive(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Receive)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/heads?token=s3cret", received
    server.shutdown()


async def test_the_head_is_posted_to_a_url_and_the_log_names_no_url(
    db: Database, settings: Settings, head_receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = head_receiver
    await _write_entries(db, 2)
    assert await privacy_jobs.export_head_if_due(
        db, settings.model_copy(update={"audit_head_export": url})
    )
    assert [(r["seq"], len(r["hash"])) for r in received] == [(2, 64)]
    async with db.session() as session:
        [entry], _ = await compliance.list_audit(session=session, entity_type="audit")
    assert entry.data["to"] == "url" and "s3cret" not in json.dumps(entry.data)


async def test_retention_runs_on_the_schedule_and_each_run_is_audited(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    rules = settings.model_copy(update={"retention_purge_interval_hours": 24})
    await privacy_jobs.run_due(db, rules)
    virtual_clock.advance(23 * HOUR_S)
    await privacy_jobs.run_due(db, rules)  # not due
    virtual_clock.advance(2 * HOUR_S)
    await privacy_jobs.run_due(db, rules)
    async with db.session() as session:
        runs, _ = await compliance.list_audit(session=session, entity_type="retention")
    assert [r.actor for r in runs] == ["system:retention"] * 2
    assert runs[0].data == {
        "contacts_erased": 0,
        "exports_deleted": 0,
        "events_anonymised": 0,
        "replies_deleted": 0,
        "inbound_updates_deleted": 0,
        "inactive_contacts_days": 0,
        "dsr_exports_days": 30,
        "events_days": 0,
        "replies_days": 0,
        "inbound_log_days": 30,
    }
    never = settings.model_copy(update={"retention_purge_interval_hours": 0})
    virtual_clock.advance(48 * HOUR_S)
    assert await privacy_jobs.purge_if_due(db, never) is None


async def test_the_api_exports_a_verifiable_log_and_runs_retention_on_request(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    await _write_entries(db, 3)
    exported = await client.get("/api/v1/compliance/audit/export", headers=headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in exported.headers["content-disposition"]
    lines = exported.text.splitlines()
    assert json.loads(lines[-1])["head"]["seq"] == len(lines) - 1

    def upload(body: str) -> dict[str, Any]:
        return {"file": ("audit.jsonl", body.encode(), "application/x-ndjson")}

    url = "/api/v1/compliance/audit/verify-export"
    ok = await client.post(url, files=upload(exported.text), headers=headers)
    assert ok.status_code == 200 and ok.json()["ok"] is True, ok.text
    [edited] = [json.loads(line) for line in lines if '"risk":1' in line]
    tampered = exported.text.replace('"risk":1', '"risk":9')
    bad = (await client.post(url, files=upload(tampered), headers=headers)).json()
    assert bad["ok"] is False and bad["first_bad_seq"] == edited["seq"]
    garbage = await client.post(url, files=upload("not json\n"), headers=headers)
    assert garbage.status_code == 200 and garbage.json()["reason"] == "line 1 is not an audit entry"

    status = (await client.get("/api/v1/compliance/retention", headers=headers)).json()
    assert status["last_run_at"] is None and status["dsr_exports_days"] == 30
    ran = await client.post("/api/v1/compliance/retention/purge", headers=headers)
    assert ran.status_code == 200 and ran.json() == {
        "contacts_erased": 0,
        "exports_deleted": 0,
        "events_anonymised": 0,
        "replies_deleted": 0,
        "inbound_updates_deleted": 0,
    }
    assert (status["events_days"], status["replies_days"]) == (0, 0)  # kept by default
    assert status["inbound_log_days"] == 30
    status = (await client.get("/api/v1/compliance/retention", headers=headers)).json()
    assert status["last_run_by"].startswith("user:") and status["last_report"] == ran.json()

"""The audit log records every decision and detects any edited, removed or reordered row."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text

from marketing_agent.compliance import service as compliance
from marketing_agent.core.db import Database


async def _write_entries(db: Database, n: int) -> None:
    async with db.session() as session:
        for i in range(n):
            await compliance.audit(
                session=session,
                actor="user:alice",
                action="campaign.approved",
                entity_type="campaign",
                entity_id=i,
                data={"risk": 0.1 * i},
            )


async def test_intact_chain_verifies(any_db: Database) -> None:
    db = any_db
    await _write_entries(db, 5)
    async with db.session() as session:
        result = await compliance.verify_audit_chain(session=session)
    assert result.ok and result.checked == 5


async def test_edited_row_is_detected_with_its_position(any_db: Database) -> None:
    db = any_db
    await _write_entries(db, 5)
    async with db.session() as session:
        await session.execute(
            text("UPDATE compliance_audit_log SET actor = 'user:mallory' WHERE seq = 3")
        )
    async with db.session() as session:
        result = await compliance.verify_audit_chain(session=session)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "edited" in (result.reason or "")


async def test_deleted_row_is_detected(db: Database) -> None:
    await _write_entries(db, 5)
    async with db.session() as session:
        await session.execute(text("DELETE FROM compliance_audit_log WHERE seq = 2"))
    async with db.session() as session:
        result = await compliance.verify_audit_chain(session=session)
    assert not result.ok and result.first_bad_seq == 3


async def test_cli_audit_verify_reports_tampering_with_exit_code(db: Database, tmp_path) -> None:
    await _write_entries(db, 3)
    url = db.url
    ok = subprocess.run(
        [sys.executable, "-m", "marketing_agent.cli", "audit", "verify"],
        env={"MA_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "MA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "3 entries verified" in ok.stdout
    async with db.session() as session:
        await session.execute(text("UPDATE compliance_audit_log SET data = '{}' WHERE seq = 2"))
    bad = subprocess.run(
        [sys.executable, "-m", "marketing_agent.cli", "audit", "verify"],
        env={"MA_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "MA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "entry 2" in bad.stderr and "Traceback" not in bad.stderr


async def test_search_finds_text_anywhere_in_an_entry_its_data_too(any_db: Database) -> None:
    async with any_db.session() as session:
        await compliance.audit(
            session=session,
            actor="worker:w1",
            action="deliveries.not_sent",
            entity_type="campaign",
            entity_id=7,
            data={"skipped": {"no_consent": [41, 42]}},
        )
        await compliance.audit(
            session=session,
            actor="user:Bob_Smith",
            action="campaign.updated",
            entity_type="campaign",
            entity_id=8,
            data={"name": "100% Spring"},
        )

    async def found(q: str) -> list[str]:
        async with any_db.session() as session:
            rows, total = await compliance.list_audit(session=session, q=q)
        assert total == len(rows)
        return [row.action for row in rows]

    assert await found("NO_CONSENT") == ["deliveries.not_sent"]  # inside the data, any case
    assert await found("bob_smith") == ["campaign.updated"]  # the actor
    assert await found("100%") == ["campaign.updated"]  # a % is a character, not a wildcard
    assert await found("bo_") == []  # and so is _ (it would match "bob")
    assert await found("campaign") == ["campaign.updated", "deliveries.not_sent"]  # newest first

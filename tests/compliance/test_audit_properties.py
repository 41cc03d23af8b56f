"""Properties of the audit chain: any edit, deletion or reordering of entries is detected."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from marketing_agent.cli import app as cli
from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.audit import GENESIS, compute_hash, verify_entries, verify_export
from marketing_agent.compliance.models import AuditEntry, AuditHead
from marketing_agent.compliance.schemas import AuditEntryRead
from marketing_agent.core.db import Database

START = datetime(2026, 1, 1, tzinfo=UTC)
actions = st.sampled_from(["campaign.approved", "consent.granted", "contact.erased"])
payloads = st.dictionaries(
    st.text(min_size=1, max_size=5), st.one_of(st.integers(), st.text(max_size=8)), max_size=3
)


def _chain(specs: list[tuple[str, dict[str, Any]]]) -> tuple[list[AuditEntry], AuditHead]:
    entries: list[AuditEntry] = []
    prev = GENESIS
    for seq, (action, data) in enumerate(specs, start=1):
        fields: dict[str, Any] = {
            "seq": seq,
            "occurred_at": START + timedelta(seconds=seq),
            "actor": "user:alice",
            "action": action,
            "entity_type": "campaign",
            "entity_id": str(seq),
            "data": data,
        }
        entry = AuditEntry(
            id=seq, prev_hash=prev, hash=compute_hash(prev_hash=prev, **fields), **fields
        )
        entries.append(entry)
        prev = entry.hash
    return entries, AuditHead(id=1, seq=len(entries), last_hash=prev)


chains = st.lists(st.tuples(actions, payloads), min_size=1, max_size=12).map(_chain)


@settings(deadline=None)
@given(chains)
def test_an_untouched_chain_verifies(chain: tuple[list[AuditEntry], AuditHead]) -> None:
    entries, head = chain
    assert verify_entries(entries, head).ok


@settings(max_examples=200, deadline=None)  # a loaded machine stalls one example; none is slow
@given(chains, st.data())
def test_any_edit_is_detected(
    chain: tuple[list[AuditEntry], AuditHead], data: st.DataObject
) -> None:
    entries, head = chain
    victim = entries[data.draw(st.integers(0, len(entries) - 1))]
    field = data.draw(st.sampled_from(["actor", "action", "entity_id", "data", "occurred_at"]))
    if field == "data":
        victim.data = {**victim.data, "tampered": data.draw(st.integers())}
    elif field == "occurred_at":
        victim.occurred_at += timedelta(seconds=data.draw(st.integers(1, 10**6)))
    else:
        setattr(victim, field, getattr(victim, field) + data.draw(st.text(min_size=1)))
    result = verify_entries(entries, head)
    assert not result.ok and result.first_bad_seq == victim.seq


@settings(max_examples=200, deadline=None)  # a loaded machine stalls one example; none is slow
@given(chains, st.data())
def test_any_deletion_is_detected(
    chain: tuple[list[AuditEntry], AuditHead], data: st.DataObject
) -> None:
    entries, head = chain
    del entries[data.draw(st.integers(0, len(entries) - 1))]
    assert not verify_entries(entries, head).ok


@settings(max_examples=200, deadline=None)  # a loaded machine stalls one example; none is slow
@given(chains.filter(lambda c: len(c[0]) >= 2), st.data())
def test_any_reordering_is_detected(
    chain: tuple[list[AuditEntry], AuditHead], data: st.DataObject
) -> None:
    entries, head = chain
    order = data.draw(st.permutations(range(len(entries))).filter(lambda p: list(p) != sorted(p)))
    assert not verify_entries([entries[i] for i in order], head).ok


async def test_cli_exports_the_audit_log_as_json_lines_that_reverify(
    db: Database, tmp_path: Path
) -> None:
    async with db.session() as session:
        for i in range(3):
            await compliance.audit(
                session=session, actor="user:a", action="x.done", entity_type="x", entity_id=i
            )
    out = tmp_path / "audit.jsonl"
    env = {"MA_DATABASE_URL": str(db.engine.url), "MA_SECRET_KEY": "k" * 40}
    args = ["audit", "export", "--output", str(out)]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
    assert result.exit_code == 0, result.output
    *lines, head = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3]
    assert head["head"]["seq"] == 3 and head["head"]["hash"] == lines[-1]["hash"]
    # A SIEM can re-verify the exported chain on its own.
    prev = GENESIS
    for line in lines:
        assert line["prev_hash"] == prev
        recomputed = compute_hash(
            prev_hash=prev,
            seq=line["seq"],
            occurred_at=datetime.fromisoformat(line["occurred_at"]),
            actor=line["actor"],
            action=line["action"],
            entity_type=line["entity_type"],
            entity_id=line["entity_id"],
            data=line["data"],
        )
        assert recomputed == line["hash"]
        prev = line["hash"]


def _export_lines(entries: list[AuditEntry], head: AuditHead) -> list[str]:
    lines = [AuditEntryRead.model_validate(e).model_dump_json() for e in entries]
    return [*lines, json.dumps({"head": {"seq": head.seq, "hash": head.last_hash}})]


@settings(max_examples=200, deadline=None)  # a loaded machine stalls one example; none is slow
@given(chains, st.data())
def test_an_export_verifies_offline_and_any_changed_removed_or_moved_line_fails(
    chain: tuple[list[AuditEntry], AuditHead], data: st.DataObject
) -> None:
    entries, head = chain
    lines = _export_lines(entries, head)
    assert verify_export(lines).ok
    index = data.draw(st.integers(0, len(lines) - 1))
    how = data.draw(st.sampled_from(["edit", "delete", "move"]))
    tampered = list(lines)
    if how == "edit":
        record = json.loads(tampered[index])
        if "head" in record:
            record["head"]["hash"] = "f" * 64
        else:
            record["data"] = {**record["data"], "tampered": True}
        tampered[index] = json.dumps(record)
    elif how == "delete":
        del tampered[index]
    else:
        moved = tampered.pop(index)
        target = data.draw(st.integers(0, len(tampered)).filter(lambda i: i != index))
        tampered.insert(target, moved)
    if tampered == lines:
        return  # moving the head line to where it already was changes nothing
    assert not verify_export(tampered).ok

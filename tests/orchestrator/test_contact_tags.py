"""Tag rules seek the contacts' tag rows, kept in step with every writer of tags (create, edit,
CSV import, PII redaction, erasure), on both databases; the segment list shows sizes as last
counted, with when, and recounts on save, on demand and by the scheduler."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from marketing_agent.compliance import service as compliance
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.orchestrator import contacts_import, privacy, scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.models import ContactTag
from marketing_agent.orchestrator.schemas import (
    ContactCreate,
    ContactUpdate,
    SegmentCreate,
    SegmentFilter,
)
from tests.factories import database_of, headers_for, runtime_of

API = "/api/v1/orchestrator"
KEY = compliance.SuppressionKey.from_secrets("test tag rows")


async def _contact(db: Database, telegram_id: int, tags: list[str]) -> int:
    async with db.session() as session:
        contact = await orchestrator.create_contact(
            session=session, contact_in=ContactCreate(telegram_id=telegram_id, tags=tags)
        )
        return contact.id


async def _tag_rows(db: Database) -> set[tuple[int, str]]:
    async with db.session() as session:
        return {
            (cid, tag)
            for cid, tag in await session.execute(select(ContactTag.contact_id, ContactTag.tag))
        }


async def _matching(db: Database, **rules: Any) -> set[int]:
    async with db.session() as session:
        found = await orchestrator.filter_contact_ids(
            session=session, segment_filter=SegmentFilter.model_validate(rules)
        )
    return {cid for cid, _ in found}


async def test_tag_rules_any_all_and_none_match_on_both_databases(any_db: Database) -> None:
    vip_boots = await _contact(any_db, 1, ["vip", "boots"])
    vip = await _contact(any_db, 2, ["vip"])
    boots = await _contact(any_db, 3, ["boots"])
    untagged = await _contact(any_db, 4, [])

    assert await _matching(any_db, tags_any=["vip"]) == {vip_boots, vip}
    assert await _matching(any_db, tags_any=["vip", "boots"]) == {vip_boots, vip, boots}
    assert await _matching(any_db, tags_all=["vip", "boots"]) == {vip_boots}
    assert await _matching(any_db, tags_any=["winter"]) == set()
    no_vip = {"conditions": [{"kind": "tag", "tag": "vip", "op": "has_not"}]}
    assert await _matching(any_db, **no_vip) == {boots, untagged}
    either = {
        "match": "any",
        "conditions": [{"kind": "tag", "tag": "boots"}, {"kind": "tag", "tag": "nope"}],
    }
    assert await _matching(any_db, **either) == {vip_boots, boots}


async def test_editing_importing_and_erasing_keep_the_tag_rows_in_step(any_db: Database) -> None:
    ann = await _contact(any_db, 101, ["vip", "boots"])
    bob = await _contact(any_db, 102, ["boots"])
    assert await _tag_rows(any_db) == {(ann, "vip"), (ann, "boots"), (bob, "boots")}

    async with any_db.session() as session:  # an edit replaces the contact's tags
        await orchestrator.update_contact(
            session=session, contact_id=ann, contact_in=ContactUpdate(tags=["winter"]), actor="t"
        )
    assert await _matching(any_db, tags_any=["vip"]) == set()
    assert await _matching(any_db, tags_any=["winter"]) == {ann}

    # An import updates a known contact's tags and adds new contacts with theirs.
    csv = "telegram_id,tags\n102,sale;vip\n103,vip\n104,\n"
    async with any_db.session() as session:
        await contacts_import.import_contacts(
            session=session,
            data=csv.encode(),
            sender_id=None,
            purpose="marketing",
            actor="t",
            suppression_key=KEY,
        )
        cy = await orchestrator.get_contact_by_telegram_id(session=session, telegram_id=103)
        assert cy is not None
        cy_id = cy.id
    assert await _matching(any_db, tags_any=["vip"]) == {bob, cy_id}
    assert await _matching(any_db, tags_any=["boots"]) == set()
    assert await _matching(any_db, tags_all=["sale", "vip"]) == {bob}

    async with any_db.session() as session:  # an erasure takes the contact's rows with it
        await privacy.erase_contact(session=session, key=KEY, contact_id=bob, actor="t")
    assert await _tag_rows(any_db) == {(ann, "winter"), (cy_id, "vip")}
    assert await _matching(any_db, tags_any=["vip"]) == {cy_id}


async def test_the_segment_list_shows_sizes_as_counted_and_recounts_them(
    any_db: Database, virtual_clock: VirtualClock
) -> None:
    await _contact(any_db, 201, ["vip"])
    async with any_db.session() as session:
        saved = await orchestrator.create_segment(
            session=session,
            segment_in=SegmentCreate(name="VIP", filter=SegmentFilter(tags_any=["vip"])),
        )
        counted_at = saved.size_counted_at
        assert saved.size == 1 and counted_at is not None
    await _contact(any_db, 202, ["vip"])

    async with any_db.session() as session:  # the list reads the size as counted on save
        (listed,) = await orchestrator.list_segments(session=session)
    assert (listed.size, listed.size_counted_at) == (1, counted_at)

    async with any_db.session() as session:  # fresh sizes are left alone by the scheduler
        assert await orchestrator.recount_stalest_segment(session=session) is None
    virtual_clock.advance(orchestrator.SEGMENT_SIZE_MAX_AGE_S + 1)
    await scheduled.run_jobs(runtime_of(any_db))
    async with any_db.session() as session:
        (listed,) = await orchestrator.list_segments(session=session)
    assert listed.size == 2 and listed.size_counted_at is not None
    assert listed.size_counted_at > counted_at


async def test_the_segment_list_over_http_recounts_on_demand(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    await _contact(db, 301, ["vip"])
    created = await client.post(
        f"{API}/segments", headers=headers, json={"name": "VIP", "filter": {"tags_any": ["vip"]}}
    )
    assert created.status_code == 201, created.text
    segment = created.json()
    assert segment["size"] == 1 and segment["size_counted_at"]
    await _contact(db, 302, ["vip"])

    listed = (await client.get(f"{API}/segments", headers=headers)).json()["items"]
    assert [s["size"] for s in listed] == [1]
    recounted = await client.post(f"{API}/segments/{segment['id']}/count", headers=headers)
    assert recounted.status_code == 200, recounted.text
    assert recounted.json()["size"] == 2
    listed = (await client.get(f"{API}/segments", headers=headers)).json()["items"]
    assert [s["size"] for s in listed] == [2]
    missing = await client.post(f"{API}/segments/9999/count", headers=headers)
    assert missing.status_code == 404

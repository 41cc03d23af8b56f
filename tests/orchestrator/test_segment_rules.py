"""Segment rules evaluated in SQL on both databases: properties, tags, typed attributes, consent,
events within a window, recency/frequency/monetary value of conversions; a campaign's audience
is its segment at launch, not at creation; bad rules are a 422 at their field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_args

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.schemas import EventCreate, EventType
from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.schemas import ConsentCreate
from marketing_agent.core import clock
from marketing_agent.core.auth import Role
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import (
    ContactCreate,
    SegmentCreate,
    SegmentEventType,
    SegmentFilter,
)
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.schemas import SenderCreate, SenderKind, TransportKind
from tests.factories import (
    add_contact,
    database_of,
    deliveries,
    drive,
    headers_for,
    launch,
    make_sender,
)

API = "/api/v1/orchestrator"


def test_segment_event_types_are_the_analytics_event_types() -> None:
    assert set(get_args(SegmentEventType)) == {t.value for t in EventType}


async def _contact(db: Database, telegram_id: int, **fields: Any) -> int:
    async with db.session() as session:
        contact = await orchestrator.create_contact(
            session=session, contact_in=ContactCreate(telegram_id=telegram_id, **fields)
        )
        return contact.id


async def _event(
    db: Database, contact_id: int, type_: str, days_ago: float, value_usd: float | None = None
) -> None:
    async with db.session() as session:
        await analytics.record_event(
            session=session,
            event_in=EventCreate(
                type=EventType(type_),
                campaign_id=1 if type_ == "converted" else None,
                contact_id=contact_id,
                occurred_at=clock.now() - timedelta(days=days_ago),
                value_usd_micros=None if value_usd is None else int(value_usd * 1_000_000),
            ),
        )


async def _consent(db: Database, contact_id: int, sender_id: int, granted: bool) -> None:
    async with db.session() as session:
        consent_in = ConsentCreate(
            contact_id=contact_id,
            sender_id=sender_id,
            purpose="marketing",
            source="test",
            proof={"text": "Yes"},
        )
        await compliance.record_consent(session=session, consent_in=consent_in, actor="test")
        if not granted:
            await compliance.withdraw_consent(
                session=session,
                contact_id=contact_id,
                sender_id=sender_id,
                purposes=["marketing"],
                source="test",
                proof={"text": "/stop"},
                actor="test",
            )


async def _members(db: Database, rules: dict[str, Any]) -> set[int]:
    async with db.session() as session:
        segment_filter = SegmentFilter.model_validate(rules)
        found = await orchestrator.filter_contact_ids(
            session=session, segment_filter=segment_filter
        )
        count = await orchestrator.count_segment_filter(
            session=session, segment_filter=segment_filter
        )
    assert count == len(found)
    return {cid for cid, _ in found}


async def test_rules_select_the_same_people_on_sqlite_and_postgresql(any_db: Database) -> None:
    db = any_db
    ana = await _contact(
        db, 1, language="de", timezone="Europe/Berlin", tags=["vip", "boots"],
        attributes={"plan": "pro", "spent": 250, "beta": True},
    )  # fmt: skip
    ben = await _contact(
        db, 2, language="en", tags=["boots"], attributes={"plan": "free", "spent": 20}
    )
    cem = await _contact(db, 3, attributes={"spent": "a lot"})  # text is never a number
    dia = await _contact(db, 4, language="de", username="dia")

    assert await _members(db, {"tags_any": ["vip", "boots"]}) == {ana, ben}
    assert await _members(db, {"tags_all": ["vip", "boots"]}) == {ana}
    assert await _members(db, {"attributes": {"plan": "pro"}}) == {ana}
    assert await _members(db, {"attributes": {"plan": None}}) == {cem, dia}
    cond = [{"kind": "attribute", "key": "spent", "op": "gt", "value": 100}]
    assert await _members(db, {"conditions": cond}) == {ana}
    cond = [{"kind": "attribute", "key": "spent", "op": "lte", "value": 100}]
    assert await _members(db, {"conditions": cond}) == {ben}
    cond = [{"kind": "attribute", "key": "plan", "op": "ne", "value": "pro"}]
    assert await _members(db, {"conditions": cond}) == {ben, cem, dia}
    cond = [{"kind": "attribute", "key": "plan", "op": "in", "value": ["pro", "free"]}]
    assert await _members(db, {"conditions": cond}) == {ana, ben}
    cond = [{"kind": "attribute", "key": "beta", "op": "eq", "value": True}]
    assert await _members(db, {"conditions": cond}) == {ana}
    cond = [{"kind": "attribute", "key": "spent", "op": "is_set"}]
    assert await _members(db, {"conditions": cond}) == {ana, ben, cem}
    cond = [{"kind": "tag", "op": "has_not", "tag": "boots"}]
    assert await _members(db, {"conditions": cond}) == {cem, dia}
    cond = [{"kind": "property", "field": "language", "op": "not_in", "value": ["en"]}]
    assert await _members(db, {"conditions": cond}) == {ana, cem, dia}
    cond = [{"kind": "property", "field": "username", "op": "is_set"}]
    assert await _members(db, {"conditions": cond}) == {dia}
    either = [
        {"kind": "tag", "tag": "vip"},
        {"kind": "property", "field": "username", "op": "eq", "value": "dia"},
    ]
    assert await _members(db, {"match": "any", "conditions": either}) == {ana, dia}
    assert await _members(db, {"match": "all", "conditions": either}) == set()
    assert await _members(db, {"languages": ["de"], "match": "any", "conditions": either}) == {
        ana,
        dia,
    }

    sender_id = await make_sender(db)
    await _consent(db, ana, sender_id, granted=True)
    await _consent(db, ben, sender_id, granted=False)
    assert await _members(db, {"consent": "granted"}) == {ana}
    assert await _members(db, {"consent": "withdrawn"}) == {ben}
    assert await _members(db, {"conditions": [{"kind": "consent", "state": "none"}]}) == {cem, dia}

    await _event(db, ana, "clicked", days_ago=2)
    await _event(db, ana, "clicked", days_ago=3)
    await _event(db, ben, "clicked", days_ago=40)
    clicked_30 = {"kind": "event", "event": "clicked", "within_days": 30}
    assert await _members(db, {"conditions": [clicked_30]}) == {ana}
    assert await _members(db, {"conditions": [{**clicked_30, "did": False}]}) == {ben, cem, dia}
    assert await _members(db, {"conditions": [{**clicked_30, "min_count": 2}]}) == {ana}
    assert await _members(db, {"conditions": [{**clicked_30, "min_count": 3}]}) == set()
    ever = {"kind": "event", "event": "clicked"}
    assert await _members(db, {"conditions": [ever]}) == {ana, ben}

    await _event(db, ana, "converted", days_ago=5, value_usd=80)
    await _event(db, ana, "converted", days_ago=1, value_usd=40.5)
    await _event(db, ben, "converted", days_ago=90, value_usd=10)

    def rfm(measure: str, op: str, value: float, **more: Any) -> dict[str, Any]:
        return {
            "conditions": [{"kind": "rfm", "measure": measure, "op": op, "value": value, **more}]
        }

    assert await _members(db, rfm("recency_days", "lte", 7)) == {ana}
    assert await _members(db, rfm("recency_days", "gt", 30)) == {ben}  # lapsed customers
    assert await _members(db, rfm("frequency", "gte", 2)) == {ana}
    assert await _members(db, rfm("frequency", "lt", 1)) == {cem, dia}  # never converted
    assert await _members(db, rfm("frequency", "gte", 1, within_days=30)) == {ana}
    assert await _members(db, rfm("monetary_usd", "gt", 100)) == {ana}
    assert await _members(db, rfm("monetary_usd", "lte", 50)) == {ben, cem, dia}
    assert await _members(db, rfm("monetary_usd", "gte", 40.5, within_days=2)) == {ana}


async def test_any_of_several_sets_and_each_senders_newest_consent_on_both_databases(
    any_db: Database,
) -> None:
    db = any_db
    ana = await _contact(db, 10, tags=["vip"])
    ben, cem, dia, eva = [await _contact(db, 11 + n) for n in range(4)]
    first = await make_sender(db)
    async with db.session() as session:
        second = (
            await telegram.create_sender(
                session=session,
                sender_in=SenderCreate(
                    name="second", kind=SenderKind.BOT, transport=TransportKind.SIMULATOR,
                    profile="bot",
                ),
            )
        ).id  # fmt: skip
    await _consent(db, ben, first, granted=True)
    await _consent(db, ben, second, granted=False)  # one sender's newest grant is enough
    await _consent(db, cem, first, granted=False)
    await _consent(db, cem, first, granted=True)  # granted again after withdrawing
    await _consent(db, dia, first, granted=False)
    await _event(db, eva, "converted", days_ago=3, value_usd=5)
    await _event(db, dia, "clicked", days_ago=1)

    assert await _members(db, {"consent": "granted"}) == {ben, cem}
    assert await _members(db, {"consent": "withdrawn"}) == {dia}
    assert await _members(db, {"conditions": [{"kind": "consent", "state": "none"}]}) == {
        ana,
        eva,
    }
    sets = [
        {"kind": "tag", "tag": "vip"},
        {"kind": "event", "event": "converted", "within_days": 7},
        {"kind": "consent", "state": "withdrawn"},
        {"kind": "rfm", "measure": "frequency", "op": "gte", "value": 1},  # eva again
    ]
    assert await _members(db, {"match": "any", "conditions": sets}) == {ana, dia, eva}
    mixed = [*sets[:2], {"kind": "event", "event": "clicked", "did": False}]
    assert await _members(db, {"match": "any", "conditions": mixed}) == {ana, ben, cem, eva}


async def test_a_campaign_sends_to_its_segment_as_it_is_at_launch(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    sender_id = await make_sender(db)
    early = await add_contact(db, sender_id=sender_id)
    lapsing = await add_contact(db, sender_id=sender_id)
    await _event(db, early, "clicked", days_ago=1)
    await _event(db, lapsing, "clicked", days_ago=6)
    async with db.session() as session:
        segment = await orchestrator.create_segment(
            session=session,
            segment_in=SegmentCreate(
                name="Clicked this week",
                filter=SegmentFilter.model_validate(
                    {"conditions": [{"kind": "event", "event": "clicked", "within_days": 7}]}
                ),
            ),
        )
        assert await orchestrator.segment_size(session=session, segment_id=segment.id) == 2
    start_at = clock.now() + timedelta(days=3)
    campaign_id = await launch(
        db, settings, sender_id=sender_id, segment_id=segment.id, start_at=start_at,
        quiet_hours=None,
    )  # fmt: skip
    late = await add_contact(db, sender_id=sender_id)  # joins after the campaign was made
    await _event(db, late, "clicked", days_ago=0)

    virtual_clock.advance(3 * 86400 + 60)
    await drive(db, virtual_clock, until=start_at + timedelta(hours=2))

    sent_to = {cid for cid, d in (await deliveries(db, campaign_id)).items() if d.status == "sent"}
    assert sent_to == {early, late}  # `lapsing` clicked 9 days before the launch


async def test_bad_rules_are_a_422_at_their_field_and_nothing_is_saved(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db, Role.MARKETER)
    rules = {
        "conditions": [
            {"kind": "attribute", "key": "spent", "op": "gt", "value": "lots"},
            {"kind": "event", "event": "clicked", "campaign_id": 999_999},
            {"kind": "rfm", "measure": "recency_days", "op": "lte", "value": 7, "within_days": 3},
            {"kind": "property", "field": "language", "op": "in", "value": []},
        ]
    }
    response = await client.post(
        f"{API}/segments", headers=headers, json={"name": "Broken", "filter": rules}
    )
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert locs == {
        ("body", "filter", "conditions", 0, "value"),
        ("body", "filter", "conditions", 1, "campaign_id"),
        ("body", "filter", "conditions", 2, "within_days"),
        ("body", "filter", "conditions", 3, "value"),
    }
    preview = await client.post(f"{API}/segments/preview", headers=headers, json=rules)
    assert preview.status_code == 422
    assert ("body", "conditions", 0, "value") in {tuple(e["loc"]) for e in preview.json()["errors"]}
    unknown = await client.post(
        f"{API}/segments/preview",
        headers=headers,
        json={"conditions": [{"kind": "event", "event": "teleported"}]},
    )
    assert unknown.status_code == 422
    extra = await client.post(
        f"{API}/segments", headers=headers, json={"name": "X", "filter": {}, "colour": "red"}
    )
    assert extra.status_code == 422
    assert (await client.get(f"{API}/segments", headers=headers)).json()["total"] == 0


async def test_preview_counts_and_samples_before_saving(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db, Role.MARKETER)
    buyers = [await _contact(db, 100 + n, first_name=f"Buyer{n}") for n in range(12)]
    await _contact(db, 200, first_name="Browser")
    for contact_id in buyers:
        await _event(db, contact_id, "converted", days_ago=3, value_usd=30)
    rules = {"conditions": [{"kind": "rfm", "measure": "frequency", "op": "gte", "value": 1}]}
    preview = (await client.post(f"{API}/segments/preview", headers=headers, json=rules)).json()
    assert preview["size"] == 12
    assert [c["first_name"] for c in preview["sample"]] == [f"Buyer{n}" for n in range(10)]
    assert (await client.get(f"{API}/segments", headers=headers)).json()["total"] == 0
    saved = await client.post(
        f"{API}/segments", headers=headers, json={"name": "Buyers", "filter": rules}
    )
    assert saved.status_code == 201 and saved.json()["size"] == 12
    listed = (await client.get(f"{API}/segments", headers=headers)).json()["items"]
    assert [(s["name"], s["size"]) for s in listed] == [("Buyers", 12)]


@pytest.mark.parametrize("key", ['a"b', "$.x", ""])
async def test_an_attribute_key_that_would_break_the_json_path_is_a_422(
    client: httpx.AsyncClient, app: FastAPI, key: str
) -> None:
    headers = await headers_for(client, database_of(app), Role.MARKETER)
    legacy = await client.post(
        f"{API}/segments/preview", headers=headers, json={"attributes": {key: "x"}}
    )
    assert legacy.status_code == 422
    condition = {"kind": "attribute", "key": key, "op": "eq", "value": "x"}
    rule = await client.post(
        f"{API}/segments/preview", headers=headers, json={"conditions": [condition]}
    )
    assert rule.status_code == 422


async def test_the_strategist_sees_the_segments_size_tags_and_languages(any_db: Database) -> None:
    db = any_db
    await _contact(db, 1, language="de", tags=["vip", "boots"])
    await _contact(db, 2, language="de", tags=["boots"])
    await _contact(db, 3, tags=["boots", "vip"])
    await _contact(db, 4, language="en", tags=["sale"])
    async with db.session() as session:
        segment = await orchestrator.create_segment(
            session=session,
            segment_in=SegmentCreate(name="Boots", filter=SegmentFilter(tags_any=["boots"])),
        )
        summary = await orchestrator.describe_audience(session=session, segment_id=segment.id)
    assert summary == {
        "size": 3,
        "top_tags": {"boots": 3, "vip": 2},
        "languages": {"de": 2, "unknown": 1},
        "segment_id": segment.id,
    }


async def test_numbers_imported_as_text_compare_as_numbers(any_db: Database) -> None:
    db = any_db
    imported = await _contact(db, 1, attributes={"spent": " 120.5"})  # a CSV cell
    small = await _contact(db, 2, attributes={"spent": "99"})
    await _contact(db, 3, attributes={"spent": "1e-x"})
    await _contact(db, 4, attributes={"spent": True})
    over_100 = [{"kind": "attribute", "key": "spent", "op": "gt", "value": 100}]
    assert await _members(db, {"conditions": over_100}) == {imported}
    equal = [{"kind": "attribute", "key": "spent", "op": "eq", "value": 99}]
    assert await _members(db, {"conditions": equal}) == {small}


async def test_numbers_sql_cannot_hold_are_a_422_not_a_500(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app), Role.MARKETER)
    for rules in (
        {"attributes": {"spent": 10**30}},
        {"conditions": [{"kind": "attribute", "key": "spent", "op": "gt", "value": 10**30}]},
        {"conditions": [{"kind": "attribute", "key": "k", "op": "in", "value": ["a"] * 101}]},
    ):
        response = await client.post(f"{API}/segments/preview", headers=headers, json=rules)
        assert response.status_code == 422, rules
    infinite = await client.post(
        f"{API}/segments/preview",
        headers={**headers, "content-type": "application/json"},
        content='{"attributes": {"spent": Infinity}}',
    )
    assert infinite.status_code == 422

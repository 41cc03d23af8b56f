"""The funnel of a segment's people: filtered (every funnel route takes `segment_id`) and split
(one funnel per segment beside everyone's); the segment is asked of the orchestrator's service
and read as it is now; a segment that does not exist is a 404."""

from __future__ import annotations

import csv
import io

import httpx
from fastapi import FastAPI

from marketing_agent.analytics import service as analytics
from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import (
    ContactCreate,
    ContactUpdate,
    SegmentCreate,
    SegmentFilter,
)
from tests.analytics.factories import event, journey, make_campaign
from tests.factories import database_of, headers_for

STEPS = {"steps": ["sent", "clicked", "converted"], "window_days": 7}


async def test_a_marketer_sees_the_funnel_of_a_segments_people_alone_and_beside_everyone(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    cid = await make_campaign(db, settings)
    async with db.session() as session:
        people = [
            await orchestrator.create_contact(
                session=session, contact_in=ContactCreate(telegram_id=9_100 + n, tags=tags)
            )
            for n, tags in enumerate([["vip"], ["vip"], [], []])
        ]
        vip, vip_too, other, anyone = (p.id for p in people)
        vips = await orchestrator.create_segment(
            session=session,
            segment_in=SegmentCreate(name="VIPs", filter=SegmentFilter(tags_any=["vip"])),
        )
        nobody = await orchestrator.create_segment(
            session=session,
            segment_in=SegmentCreate(name="Nobody", filter=SegmentFilter(tags_any=["none"])),
        )
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                *journey(vip, ["sent", "clicked", "converted"], campaign_id=cid),
                *journey(vip_too, ["sent", "clicked"], campaign_id=cid, variant_key="B"),
                *journey(other, ["sent", "clicked", "converted"], campaign_id=cid),
                event("sent", contact_id=anyone, campaign_id=cid),
                event("sent", contact_id=None, campaign_id=cid, anonymous_id="someone"),
            ],
        )
    viewer = await headers_for(client, db, Role.VIEWER)
    url = f"/api/v1/analytics/campaigns/{cid}/funnel"
    of_vips = {**STEPS, "segment_id": vips.id}

    filtered = (await client.get(url, params=of_vips, headers=viewer)).json()
    variants = (await client.get(f"{url}/variants", params=of_vips, headers=viewer)).json()
    senders = (await client.get(f"{url}/senders", params=of_vips, headers=viewer)).json()
    split = await client.get(
        f"{url}/segments", params={**STEPS, "segment_id": [vips.id, nobody.id]}, headers=viewer
    )
    dropoff = await client.get(f"{url}/dropoff.csv", params=of_vips, headers=viewer)

    assert filtered["segment_id"] == vips.id
    assert [s["count"] for s in filtered["steps"]] == [2, 2, 1]
    assert [s["count"] for s in variants["overall"]["steps"]] == [2, 2, 1]
    assert {f["variant_key"]: [s["count"] for s in f["steps"]] for f in variants["variants"]} == {
        "A": [1, 1, 1],
        "B": [1, 1, 0],
    }
    assert [s["count"] for s in senders["overall"]["steps"]] == [2, 2, 1]
    assert split.status_code == 200
    body = split.json()
    assert [s["count"] for s in body["overall"]["steps"]] == [5, 3, 2]  # everyone, anonymous too
    assert {f["segment_id"]: [s["count"] for s in f["steps"]] for f in body["segments"]} == {
        vips.id: [2, 2, 1],
        nobody.id: [0, 0, 0],
    }
    rows = list(csv.DictReader(io.StringIO(dropoff.text)))
    assert {(r["contact_id"], r["last_step"]) for r in rows} == {(str(vip_too), "clicked")}

    # The segment as it is now: a contact tagged later counts at once.
    async with db.session() as session:
        await orchestrator.update_contact(
            session=session,
            contact_id=anyone,
            contact_in=ContactUpdate(tags=["vip"]),
            actor="test",
        )
    now = (await client.get(url, params=of_vips, headers=viewer)).json()
    assert [s["count"] for s in now["steps"]] == [3, 2, 1]


async def test_a_segment_that_does_not_exist_is_a_404_and_bad_ids_a_422(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    db = database_of(app)
    cid = await make_campaign(db, settings)
    viewer = await headers_for(client, db, Role.VIEWER)
    url = f"/api/v1/analytics/campaigns/{cid}/funnel"

    missing = await client.get(url, params={"segment_id": 404}, headers=viewer)
    missing_split = await client.get(f"{url}/segments", params={"segment_id": 404}, headers=viewer)
    none_given = await client.get(f"{url}/segments", headers=viewer)
    negative = await client.get(url, params={"segment_id": -1}, headers=viewer)

    assert missing.status_code == missing_split.status_code == 404
    assert "Segment 404" in missing.json()["detail"]
    assert none_given.status_code == negative.status_code == 422

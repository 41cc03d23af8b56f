"""Account health: a sender's score from what its sends came back with, the pause rule that
stops it (its campaigns wait, nothing moves to another account), its return, and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.safety import health
from marketing_agent.safety import service as safety
from tests.factories import (
    counts,
    database_of,
    drain,
    headers_for,
    make_contacts,
    make_sender,
    runtime_of,
    simulator_of,
    transports_of,
)
from tests.orchestrator.test_flows import SAFE, create

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _figures(**kw: int) -> health.HealthFigures:
    base = dict(
        sent=1000, flood_waits=0, peer_floods=0, blocked=0, failed=0, opt_outs=0, sent_today=0
    )
    return health.HealthFigures(**(base | kw))


def test_a_clean_sender_scores_full_marks_and_keeps_sending() -> None:
    verdict = health.judge(_figures(), user_account=False, now=NOON)
    assert (verdict.score, verdict.badge, verdict.cooldown_reason) == (100, "good", None)


def test_one_peer_flood_rests_the_sender_for_a_day() -> None:
    verdict = health.judge(_figures(peer_floods=1), user_account=False, now=NOON)
    assert verdict.badge == "cooling_down"
    assert verdict.cooldown_until == NOON + timedelta(hours=24)
    assert "PEER_FLOOD" in (verdict.cooldown_reason or "")


def test_many_blocks_per_thousand_rest_the_sender_but_few_do_not() -> None:
    few = health.judge(_figures(sent=990, blocked=10), user_account=False, now=NOON)
    many = health.judge(_figures(sent=970, blocked=30), user_account=False, now=NOON)
    assert few.cooldown_reason is None and few.score == 90
    assert many.cooldown_reason == "30 blocks per 1000 messages"
    assert many.cooldown_for == timedelta(hours=6)


def test_rates_need_a_hundred_sends_before_they_count() -> None:
    verdict = health.judge(_figures(sent=20, blocked=5), user_account=False, now=NOON)
    assert verdict.cooldown_reason is None


def test_a_user_account_stops_at_its_daily_cap_until_midnight() -> None:
    verdict = health.judge(_figures(sent_today=50), user_account=True, now=NOON)
    assert verdict.cooldown_until == datetime(2026, 12, 2, tzinfo=UTC)
    bot = health.judge(_figures(sent_today=5000), user_account=False, now=NOON)
    assert bot.cooldown_reason is None


def test_tally_reads_transport_outcomes() -> None:
    tally = health.SendTally()
    for status, reason in [
        ("sent", None),
        ("retry_after", None),
        ("sender_unhealthy", "peer_flood"),
        ("sender_unhealthy", "transport_closed"),  # not the account's fault
        ("permanent", "blocked"),
        ("permanent", "too_long"),
    ]:
        tally.note(status, reason)
    assert (tally.sent, tally.flood_waits, tally.peer_floods, tally.blocked, tally.failed) == (
        1,
        1,
        1,
        1,
        1,
    )


async def test_peer_flood_pauses_the_sender_and_its_campaign_waits(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 6, sender_id=sender_id)
    headers = await headers_for(client, db)
    campaign = await create(client, headers, name="Boots", goal="Boots", variants=SAFE)
    await client.post(f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers)
    async with db.session() as session:
        from marketing_agent.orchestrator import flows

        await flows.start_due_campaigns(session=session)
    (await simulator_of(db, sender_id)).set_sender_health("peer_flood")

    await drain(
        db, DeliveryWorker(db, transports=transports_of(db), limits=runtime_of(db).limits), rounds=5
    )

    health_read = (
        await client.get(f"/api/v1/safety/sender-health/{sender_id}", headers=headers)
    ).json()
    assert health_read["cooling_down"] is True
    assert health_read["badge"] == "cooling_down"
    assert health_read["peer_floods"] >= 1
    # Telegram is healthy again, but the sender rests: nothing is claimed, nothing is sent.
    (await simulator_of(db, sender_id)).set_sender_health(None)
    await drain(
        db, DeliveryWorker(db, transports=transports_of(db), limits=runtime_of(db).limits), rounds=5
    )
    waiting = await counts(db, campaign["id"])
    assert waiting.sent == 0 and waiting.queued == 6

    audit = (
        await client.get(
            f"/api/v1/compliance/audit?entity_type=sender&entity_id={sender_id}", headers=headers
        )
    ).json()
    assert [e["action"] for e in audit["items"]].count("sender.cooldown_started") == 1


async def _running_campaign(
    client: httpx.AsyncClient, db: Database, headers: dict[str, str]
) -> int:
    campaign = await create(client, headers, name="Boots", goal="Boots", variants=SAFE)
    await client.post(f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers)
    async with db.session() as session:
        from marketing_agent.orchestrator import flows

        await flows.start_due_campaigns(session=session)
    return int(campaign["id"])


async def test_a_sender_people_block_waits_until_a_person_resumes_it(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 4, sender_id=sender_id)
    headers = await headers_for(client, db)
    async with db.session() as session:  # earlier today: 60 of 200 people blocked the bot
        await safety.record_send_outcomes(
            session=session,
            sender_id=sender_id,
            profile_name="bot",
            tally=health.SendTally(sent=140, blocked=60),
        )
    campaign_id = await _running_campaign(client, db, headers)
    await drain(
        db, DeliveryWorker(db, transports=transports_of(db), limits=runtime_of(db).limits), rounds=5
    )
    assert (await counts(db, campaign_id)).queued == 4  # waits, nothing sent elsewhere
    read = (await client.get(f"/api/v1/safety/sender-health/{sender_id}", headers=headers)).json()
    assert read["cooldown_reason"] == "300 blocks per 1000 messages"

    resumed = await client.post(f"/api/v1/safety/sender-health/{sender_id}/resume", headers=headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["cooling_down"] is False
    await drain(
        db,
        DeliveryWorker(db, transports=transports_of(db), limits=runtime_of(db).limits),
        rounds=10,
    )
    assert (await counts(db, campaign_id)).sent == 4
    again = await client.post(f"/api/v1/safety/sender-health/{sender_id}/resume", headers=headers)
    assert again.status_code == 409, again.text
    audit = (
        await client.get(
            f"/api/v1/compliance/audit?entity_type=sender&entity_id={sender_id}", headers=headers
        )
    ).json()
    actions = [e["action"] for e in audit["items"]]
    assert "sender.cooldown_started" in actions and "sender.cooldown_ended" in actions


async def test_a_cool_down_that_runs_out_resumes_the_sender_and_its_end_is_audited_once(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: VirtualClock
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 4, sender_id=sender_id)
    headers = await headers_for(client, db)
    async with db.session() as session:  # earlier today: 60 of 200 people blocked the bot
        await safety.record_send_outcomes(
            session=session,
            sender_id=sender_id,
            profile_name="bot",
            tally=health.SendTally(sent=140, blocked=60),
        )
    campaign_id = await _running_campaign(client, db, headers)
    worker = DeliveryWorker(db, transports=transports_of(db), limits=runtime_of(db).limits)
    await drain(db, worker, rounds=3)
    assert (await counts(db, campaign_id)).queued == 4  # resting: six hours

    virtual_clock.advance(health.AUDIENCE_COOLDOWN.total_seconds() + 60)
    await drain(db, worker, rounds=10)
    await drain(db, worker, rounds=3)  # later rounds do not audit the same end again

    assert (await counts(db, campaign_id)).sent == 4
    read = (await client.get(f"/api/v1/safety/sender-health/{sender_id}", headers=headers)).json()
    assert read["cooling_down"] is False
    audit = (
        await client.get(
            f"/api/v1/compliance/audit?entity_type=sender&entity_id={sender_id}", headers=headers
        )
    ).json()
    ended = [e for e in audit["items"] if e["action"] == "sender.cooldown_ended"]
    assert len(ended) == 1
    assert ended[0]["actor"] == "safety"
    assert ended[0]["data"]["by"] == "time"
    assert ended[0]["data"]["reason"] == "300 blocks per 1000 messages"


async def test_health_lists_every_sender_with_its_sends(
    client: httpx.AsyncClient, db: Database, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    async with db.session() as session:
        tally = health.SendTally(sent=40, blocked=2)
        await safety.record_send_outcomes(
            session=session, sender_id=sender_id, profile_name="bot", tally=tally
        )
    headers = await headers_for(client, db)
    listed = (await client.get("/api/v1/safety/sender-health", headers=headers)).json()
    mine = next(h for h in listed if h["sender_id"] == sender_id)
    assert (mine["sent"], mine["blocked"], mine["badge"], mine["daily_cap"]) == (
        40,
        2,
        "good",
        None,
    )
    missing = await client.get("/api/v1/safety/sender-health/987654", headers=headers)
    assert missing.status_code == 404


def test_floodwaits_of_requests_in_flight_together_count_as_one() -> None:
    """A burst of requests under way when Telegram says "too fast" comes back refused together:
    one FloodWait, not one a request (24 of them rested a sender an hour in a CI run)."""
    tally = health.SendTally()
    for n in range(24):  # within the 1-second wait Telegram asked for
        tally.note("retry_after", None, at=NOON + timedelta(milliseconds=n), retry_after_s=1.0)
    tally.note("sent", None, at=NOON + timedelta(seconds=1))
    tally.note("retry_after", None, at=NOON + timedelta(seconds=2), retry_after_s=1.0)

    assert (tally.flood_waits, tally.sent) == (2, 1)

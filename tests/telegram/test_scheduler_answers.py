"""The running scheduler answers the consent bot's people while it applies the next updates:
everyone who writes /start gets one answer, and a person's answers arrive in the order they wrote
(simulated people over HTTP, the real scheduler loop)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.orchestrator import rollout, scheduler_role
from marketing_agent.telegram import consent_bot
from tests.factories import database_of, headers_for, runtime_of
from tests.telegram.bot_api_server import People
from tests.telegram.test_consent_bot import add_bot, consent_of, received_text
from tests.waits import wait_until

PEOPLE = 60  # more than two of the scheduler's batches (scheduled.RESPONDER_BATCH)


async def test_the_running_scheduler_answers_everyone_once_and_each_person_in_order(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people)
    stop = asyncio.Event()
    scheduler = asyncio.create_task(scheduler_role.run_scheduler(runtime_of(db), stop, poll_s=0.05))
    first, *others = [700_000 + n for n in range(PEOPLE)]
    try:
        for person in (first, *others):
            await people.says(person, "/start", first_name=f"P{person}")
        await people.says(first, "STOP")  # a later batch than their /start

        async def everyone_answered() -> bool:
            answered = [len(await people.received(p)) >= 1 for p in others]
            return all(answered) and len(await people.received(first)) >= 2

        await wait_until(everyone_answered, timeout_s=60, what="every /start and the STOP answered")
    finally:
        stop.set()
        await scheduler

    for person in others:
        [answer] = await people.received(person)
        assert consent_bot.SUBSCRIBED_TEXT in answer["text"]
        assert await consent_of(db, person, sender["id"]) is True
    subscribed, unsubscribed = await people.received(first)
    assert consent_bot.SUBSCRIBED_TEXT in subscribed["text"]
    assert consent_bot.UNSUBSCRIBED_TEXT in unsubscribed["text"]
    assert await consent_of(db, first, sender["id"]) is False


async def test_a_stop_is_answered_while_a_long_job_holds_the_schedulers_tick(
    client: httpx.AsyncClient, app: FastAPI, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inbound loop runs beside the periodic jobs: a STOP is recorded and answered while
    a job (here the rollout, held until the test lets it go) has not finished its tick."""
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people)
    person = 710_001
    in_job, let_go = asyncio.Event(), asyncio.Event()
    advance = rollout.advance

    async def long_rollout(**kwargs: Any) -> Any:
        in_job.set()
        await let_go.wait()  # a job that takes as long as the test needs
        return await advance(**kwargs)

    monkeypatch.setattr(rollout, "advance", long_rollout)
    stop = asyncio.Event()
    scheduler = asyncio.create_task(scheduler_role.run_scheduler(runtime_of(db), stop, poll_s=0.05))
    try:
        await wait_until(in_job.is_set, what="the scheduler's tick in its long job")
        await people.says(person, "/start", first_name="Stella")
        await wait_until(
            received_text(people, person, consent_bot.SUBSCRIBED_TEXT), what="the /start answer"
        )
        await people.says(person, "STOP")
        await wait_until(
            received_text(people, person, consent_bot.UNSUBSCRIBED_TEXT), what="the STOP answer"
        )
        assert not let_go.is_set() and not scheduler.done()  # the job's tick is still under way
        assert await consent_of(db, person, sender["id"]) is False
    finally:
        let_go.set()
        stop.set()
        await scheduler

"""The running scheduler answers the consent bot's people while it applies the next updates:
everyone who writes /start gets one answer, and a person's answers arrive in the order they wrote
(simulated people over HTTP, the real scheduler loop)."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from marketing_agent.orchestrator import scheduled
from marketing_agent.telegram import consent_bot
from tests.factories import database_of, headers_for, runtime_of
from tests.telegram.bot_api_server import People
from tests.telegram.test_consent_bot import add_bot, consent_of
from tests.waits import wait_until

PEOPLE = 60  # more than two of the scheduler's batches (scheduled.RESPONDER_BATCH)


async def test_the_running_scheduler_answers_everyone_once_and_each_person_in_order(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    sender = await add_bot(client, headers, people)
    stop = asyncio.Event()
    scheduler = asyncio.create_task(scheduled.run_scheduler(runtime_of(db), stop, poll_s=0.05))
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

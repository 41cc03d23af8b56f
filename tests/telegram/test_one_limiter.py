"""One limiter per sender for everything that sends: the consent bot's answers and a campaign's
messages take their slots from the process runtime's one set of limits, so together they keep
the bot's limits at Telegram (the simulated Bot API over HTTP), and a FloodWait the consent bot
meets pauses the campaign of that bot."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.runtime import Runtime
from marketing_agent.telegram.profiles import get_profile_by_name
from marketing_agent.telegram.simulator import SimulatorStats
from marketing_agent.telegram.transport import OutgoingMessage, SendStatus
from tests.factories import database_of, headers_for
from tests.orchestrator.test_flows import SAFE, create
from tests.telegram.bot_api_server import BotApiServer, People
from tests.telegram.test_consent_bot import add_bot, pull_until
from tests.waits import wait_until

PEOPLE = [5_100_000 + n for n in range(30)]


def _stats(server: BotApiServer, people: People) -> SimulatorStats:
    stats: SimulatorStats = server.api._by_username[people.bot.username].simulator.stats
    return stats


async def _subscribed(runtime: Runtime, people: People, chats: list[int]) -> None:
    for chat in chats:
        await people.says(chat, "/start")

    async def all_answered() -> bool:
        return all([await people.received(chat) for chat in chats])

    await pull_until(runtime.database, all_answered)


async def _running_campaign(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime, sender_id: int
) -> int:
    campaign = await create(
        client, headers, name="Boots", goal="Boots", variants=SAFE, sender_id=sender_id
    )
    submitted = await client.post(
        f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers
    )
    assert submitted.status_code == 200, submitted.text
    await scheduled.tick(runtime)  # starts it: the audience becomes deliveries
    return int(campaign["id"])


async def _send_campaign(runtime: Runtime, campaign_id: int) -> list:  # type: ignore[type-arg]
    worker = runtime.delivery_worker()

    async def finished() -> list:  # type: ignore[type-arg]
        await worker.run_once()
        async with runtime.database.session() as session:
            deliveries, _ = await orchestrator.list_deliveries(
                session=session, campaign_id=campaign_id, limit=1000
            )
        done = all(d.status not in ("queued", "sending") for d in deliveries)
        return list(deliveries) if done else []

    return await wait_until(finished, timeout_s=30, what="the campaign finished", interval_s=0.05)


async def test_consent_answers_and_a_campaign_to_the_same_chats_keep_the_bots_limits(
    client: httpx.AsyncClient, app: FastAPI, people: People, bot_api_server: BotApiServer
) -> None:
    runtime: Runtime = app.state.runtime
    headers = await headers_for(client, database_of(app))
    sender = await add_bot(client, headers, people)
    await scheduled.pull_inbound(runtime)  # long polling starts
    await _subscribed(runtime, people, PEOPLE)
    campaign_id = await _running_campaign(client, headers, runtime, sender["id"])

    # Everyone writes /start again while the campaign goes out to them: each gets an answer
    # ("already subscribed") and the campaign's message, through the bot's one limiter.
    for chat in PEOPLE:
        await people.says(chat, "/start")

    async def answered_twice() -> bool:
        return all([len(await people.received(chat)) >= 2 for chat in PEOPLE])

    deliveries, _ = await asyncio.gather(
        _send_campaign(runtime, campaign_id), pull_until(runtime.database, answered_twice)
    )

    assert [d.status for d in deliveries] == ["sent"] * len(PEOPLE)
    stats = _stats(bot_api_server, people)
    # What Telegram accepted kept both limits. (A FloodWait at the global window's edge from
    # request jitter on the real clock is the pacing work's: issue 7, "Pacing that holds".)
    assert stats.max_global_per_s <= 30
    assert stats.min_chat_gap_s is not None and stats.min_chat_gap_s >= 1.0

    async def all_three_arrived() -> bool:
        return all([len(await people.received(chat)) >= 3 for chat in PEOPLE])

    # Two messages in a chat may be its first answer and the campaign's, with the second /start
    # not pulled yet (on a loaded machine): the bot keeps polling until every answer is out.
    await pull_until(runtime.database, all_three_arrived)
    assert all([len(await people.received(chat)) == 3 for chat in PEOPLE])


async def test_a_flood_wait_the_consent_bot_meets_pauses_the_campaign_of_its_bot(
    client: httpx.AsyncClient, app: FastAPI, people: People, bot_api_server: BotApiServer
) -> None:
    runtime: Runtime = app.state.runtime
    headers = await headers_for(client, database_of(app))
    sender = await add_bot(client, headers, people)
    await scheduled.pull_inbound(runtime)
    chats = PEOPLE[:5]
    await _subscribed(runtime, people, chats)
    campaign_id = await _running_campaign(client, headers, runtime, sender["id"])
    await asyncio.sleep(1.1)  # the answers above are more than a second old
    first = chats[0]
    # Something outside this product wrote to the first person just now with the same bot's
    # token, so the bot's answer to them meets a FloodWait at Telegram.
    outside = people.transport()
    sent = await outside.send(OutgoingMessage(chat_id=first, text="Hello", chat_kind="private"))
    await outside.close()
    assert sent.status is SendStatus.SENT
    await people.says(first, "/start")
    limiter = runtime.limits.limiter(sender["id"], get_profile_by_name("bot"))

    pulling = asyncio.create_task(scheduled.pull_inbound(runtime))
    await wait_until(  # the answer met the FloodWait and paused the bot
        lambda: limiter.paused_until is not None or pulling.done(),  # type: ignore[attr-defined]
        timeout_s=10,
        what="the FloodWait",
        interval_s=0.01,
    )
    resumes_at = limiter.paused_until  # type: ignore[attr-defined]
    assert resumes_at is not None, "the answer met no FloodWait"
    deliveries, _ = await asyncio.gather(_send_campaign(runtime, campaign_id), pulling)
    assert (await limiter.learned()).flood_waits == 1  # the campaign's limiter learned it too

    assert _stats(bot_api_server, people).flood_waits >= 1  # the one provoked
    sent_at = [d.sent_at for d in deliveries]
    assert None not in sent_at and min(sent_at) >= resumes_at  # the campaign waited it out

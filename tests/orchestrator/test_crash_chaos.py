"""The two promises under SIGKILL, through the Bot API path for real: `marketing-agent simulator
serve` as Telegram (its /sim/ routes play the people and list every message it delivered), and
`marketing-agent scheduler` / `marketing-agent worker` processes on PostgreSQL, killed
at random instants and restarted.

- STOP and /start survive a poller's crash: every STOP is recorded, nobody who sent one gets a
  later campaign message, nobody is told "unsubscribed" twice or without the record; every
  /start is recorded as consent.
- Exactly once on the Bot API: with workers killed mid-campaign, only rows whose request may have
  been under way end `in_doubt` (at most two journal groups per kill), every
  other consenting recipient got exactly one message, and nobody got two.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import insert, select

from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.schemas import ConsentCreate
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.models import Contact, Delivery
from marketing_agent.orchestrator.worker import journal_group_size
from marketing_agent.telegram import consent_bot
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.profiles import PROFILES
from marketing_agent.telegram.schemas import SenderCreate, SenderKind, TransportKind
from tests.factories import TEXT, counts, start_campaign
from tests.waits import wait_until

pytestmark = [pytest.mark.multiprocess, pytest.mark.postgres]
SECRET_KEY = "chaos-test-secret-key-" + "k" * 32
CAMPAIGN_BODY = TEXT.split(", ", 1)[1]


@dataclass(frozen=True)
class SimulatedTelegram:
    """A `marketing-agent simulator serve` process and its one bot."""

    url: str
    token: str
    username: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def simulated_telegram(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[SimulatedTelegram]:
    """The HTTP simulator in a process of its own (it outlives every kill of ours)."""
    profile = getattr(request, "param", "bot")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "marketing_agent.cli", "simulator", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "simulator.log").open("ab"),
    )
    url = f"http://127.0.0.1:{port}"
    token, username = f"5550001:{secrets.token_urlsafe(24)}", "chaos_bot"
    deadline = time.monotonic() + 30
    while True:
        try:
            added = httpx.post(
                f"{url}/sim/bots",
                json={"token": token, "username": username, "profile": profile},
                timeout=2,
            )
            assert added.status_code == 201, added.text
            break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the simulated Bot API did not start")
        time.sleep(0.1)
    try:
        yield SimulatedTelegram(url=url, token=token, username=username)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
async def people(simulated_telegram: SimulatedTelegram) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=simulated_telegram.url, timeout=30) as client:
        yield client


async def _bot_sender(db: Database, sim: SimulatedTelegram, *, profile: str) -> int:
    async with db.session() as session:
        sender = await telegram.create_sender(
            session=session,
            sender_in=SenderCreate(
                name="Chaos bot",
                kind=SenderKind.BOT,
                transport=TransportKind.BOTAPI,
                profile=profile,
                secret=SecretStr(sim.token),
                bot_api_url=sim.url,
            ),
            secret_box=SecretBox(SECRET_KEY),
        )
        return sender.id


async def _started_the_bot(
    people: httpx.AsyncClient, sim: SimulatedTelegram, telegram_ids: list[int]
) -> None:
    """These people opened the bot earlier: Telegram lets a bot write only to them."""
    for start in range(0, len(telegram_ids), 1000):
        answer = await people.post(
            f"/sim/bots/{sim.username}/chats", json={"chat_ids": telegram_ids[start : start + 1000]}
        )
        assert answer.status_code == 200, answer.text


async def _consenting_contacts(db: Database, sender_id: int, telegram_ids: list[int]) -> list[int]:
    async with db.session() as session:
        result = await session.execute(
            insert(Contact).returning(Contact.id),
            [
                {"telegram_id": t, "first_name": f"P{t}", "tags": [], "attributes": {}}
                for t in telegram_ids
            ],
        )
        ids = list(result.scalars())
        await compliance.record_consents(
            session=session,
            consents=[
                ConsentCreate(
                    contact_id=i,
                    sender_id=sender_id,
                    purpose="marketing",
                    source="test",
                    proof={"text": "yes"},
                )
                for i in ids
            ],
            actor="test",
        )
    return ids


def _start(role: str, db: Database, tmp_path: Path) -> subprocess.Popen[bytes]:
    # No Redis: each process keeps its own limits (the simulator refuses what exceeds the
    # bot's rate, with a FloodWait, which the engine handles). On this shared 2-core machine
    # the Redis limiter's slots are woken too late to use, again and again, under heavy load.
    env = {
        **{k: v for k, v in os.environ.items() if k != "MA_REDIS_URL"},
        "MA_DATABASE_URL": db.url,
        "MA_SECRET_KEY": SECRET_KEY,
        "MA_DATA_DIR": str(tmp_path),
        "MA_LOG_LEVEL": "INFO",  # "worker.started" says a worker is up
        "MA_WORKER_LEASE_S": "2",
        "MA_WORKER_POLL_S": "0.1",
        "MA_SCHEDULER_POLL_S": "0.2",
        "MA_SCHEDULER_LEADER_RETRY_S": "0.2",
        "MA_QUIET_HOURS": "off",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "marketing_agent.cli", role],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / f"{role}.log").open("ab"),
    )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


async def _delivered(people: httpx.AsyncClient, username: str) -> list[dict[str, Any]]:
    response = await people.get(f"/sim/bots/{username}/sent")
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


@pytest.mark.parametrize("simulated_telegram", ["paid_broadcast"], indirect=True)
async def test_stops_and_starts_survive_the_poller_killed_at_random_instants(
    pg_db: Database,
    settings: Settings,
    tmp_path: Path,
    simulated_telegram: SimulatedTelegram,
    people: httpx.AsyncClient,
) -> None:
    db, sim = pg_db, simulated_telegram
    sender_id = await _bot_sender(db, sim, profile="paid_broadcast")
    stoppers = [800_000 + n for n in range(300)]
    stayers = [810_000 + n for n in range(30)]
    starters = [820_000 + n for n in range(150)]
    contact_of = dict(
        zip(
            stoppers + stayers,
            await _consenting_contacts(db, sender_id, stoppers + stayers),
            strict=True,
        )
    )
    await _started_the_bot(people, sim, stoppers + stayers)
    presses = [(t, "STOP") for t in stoppers] + [(t, "/start") for t in starters]
    random.Random(14).shuffle(presses)
    rng = random.Random(2026)
    scheduler = _start("scheduler", db, tmp_path)
    kills = 0
    began = time.monotonic()
    try:
        for start in range(0, len(presses), 10):
            await asyncio.gather(
                *(
                    people.post(
                        f"/sim/users/{chat_id}/send",
                        json={"bot": sim.username, "text": text},
                    )
                    for chat_id, text in presses[start : start + 10]
                )
            )
            await asyncio.sleep(rng.uniform(0.0, 0.1))
            if start % 80 == 40:  # every ~0.5-1 s of presses, at a random instant
                await asyncio.sleep(rng.uniform(0.0, 0.6))
                scheduler.send_signal(signal.SIGKILL)
                scheduler.wait()
                kills += 1
                scheduler = _start("scheduler", db, tmp_path)

        async def all_recorded() -> bool:
            async with db.session() as session:
                consent = await compliance.consent_in_force(
                    session=session,
                    contact_ids=list(contact_of.values()),
                    sender_id=sender_id,
                    purpose="marketing",
                )
                started = await session.scalar(
                    select(Contact.id).where(Contact.telegram_id.in_(starters)).limit(1)
                )
            withdrawn = sum(1 for t in stoppers if not consent[contact_of[t]])
            return withdrawn == len(stoppers) and started is not None

        pressed_s = time.monotonic() - began
        await wait_until(all_recorded, interval_s=0.5, timeout_s=240, what="every STOP recorded")
        recorded_s = time.monotonic() - began
        async with db.session() as session:
            starter_contacts = dict(
                (
                    await session.execute(
                        select(Contact.telegram_id, Contact.id).where(
                            Contact.telegram_id.in_(starters)
                        )
                    )
                ).all()
            )

        async def all_started() -> bool:
            async with db.session() as session:
                rows = dict(
                    (
                        await session.execute(
                            select(Contact.telegram_id, Contact.id).where(
                                Contact.telegram_id.in_(starters)
                            )
                        )
                    ).all()
                )
                starter_contacts.update(rows)
                if len(rows) < len(starters):
                    return False
                consent = await compliance.consent_in_force(
                    session=session,
                    contact_ids=list(rows.values()),
                    sender_id=sender_id,
                    purpose="marketing",
                )
            return all(consent.values())

        await wait_until(
            all_started, interval_s=0.5, timeout_s=120, what="every /start recorded as consent"
        )

        # Then a campaign to everyone still consenting: the stayers and the starters.
        campaign_id = await start_campaign(db, settings, sender_id=sender_id)
        worker = _start("worker", db, tmp_path)
        try:

            async def campaign_done() -> bool:
                state = await counts(db, campaign_id)
                return state.queued == 0 and state.sending == 0

            await wait_until(campaign_done, interval_s=0.5, timeout_s=240, what="the campaign")
            campaign_s = time.monotonic() - began
        finally:
            _stop([worker])
    finally:
        _stop([scheduler])
    print(f"\npressed {pressed_s:.1f} s, recorded {recorded_s:.1f} s, sent {campaign_s:.1f} s")

    delivered = await _delivered(people, sim.username)
    unsubscribed = Counter(
        m["chat_id"] for m in delivered if m["text"] == consent_bot.UNSUBSCRIBED_TEXT
    )
    campaign = Counter(m["chat_id"] for m in delivered if CAMPAIGN_BODY in m["text"])
    lost_stops = 0  # checked by all_recorded: every STOP has its withdrawal
    stopped_then_messaged = [t for t in stoppers if campaign[t]]
    told_twice = [t for t, n in unsubscribed.items() if n > 1]
    final = await counts(db, campaign_id)
    print(
        f"\n{kills} scheduler kills; {len(stoppers)} STOPs, {lost_stops} lost; "
        f"{len(starters)} /start, all recorded; 'unsubscribed' answers: "
        f"{sum(unsubscribed.values())}; campaign messages to people who sent STOP: "
        f"{len(stopped_then_messaged)}"
    )
    assert kills >= 5
    assert stopped_then_messaged == []
    assert told_twice == []
    assert set(unsubscribed) <= set(stoppers)  # never told without having asked (and recorded)
    assert final.sent == len(stayers) + len(starters)
    assert {t for t, n in campaign.items() if n == 1} == set(stayers) | set(starters)


@pytest.mark.parametrize("simulated_telegram", ["paid_broadcast"], indirect=True)
async def test_bot_api_workers_killed_at_random_instants_leave_only_their_requests_in_doubt(
    pg_db: Database,
    settings: Settings,
    tmp_path: Path,
    simulated_telegram: SimulatedTelegram,
    people: httpx.AsyncClient,
) -> None:
    db, sim = pg_db, simulated_telegram
    sender_id = await _bot_sender(db, sim, profile="paid_broadcast")
    audience = [900_000 + n for n in range(2000)]
    contact_of = dict(
        zip(audience, await _consenting_contacts(db, sender_id, audience), strict=True)
    )
    await _started_the_bot(people, sim, audience)
    workers = [_start("worker", db, tmp_path) for _ in range(3)]
    rng = random.Random(14)
    kills = 0
    try:

        async def workers_up() -> bool:  # start-up is slow on a loaded machine: not measured
            return (tmp_path / "worker.log").read_text().count("worker.started") >= 3

        await wait_until(workers_up, interval_s=0.5, timeout_s=180, what="three workers started")
        campaign_id = await start_campaign(db, settings, sender_id=sender_id)
        await wait_until(
            lambda: _sent_some(db, campaign_id),
            interval_s=0.5,
            timeout_s=120,
            what="the first messages",
        )
        while kills < 8:
            await asyncio.sleep(rng.uniform(0.2, 0.7))
            state = await counts(db, campaign_id)
            if state.queued == 0 and state.sending == 0:
                break
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            kills += 1
            workers[victim] = _start("worker", db, tmp_path)

        async def done() -> bool:
            state = await counts(db, campaign_id)
            return state.queued == 0 and state.sending == 0

        await wait_until(done, interval_s=0.5, timeout_s=240, what="the campaign")
    finally:
        _stop(workers)

    final = await counts(db, campaign_id)
    async with db.session() as session:
        await flows.complete_finished_campaigns(session=session)
        rows = await session.execute(
            select(Contact.telegram_id, Delivery.status)
            .join(Delivery, Delivery.contact_id == Contact.id)
            .where(Delivery.campaign_id == campaign_id)
        )
        status_of = dict(rows.all())
    received = Counter(
        m["chat_id"] for m in await _delivered(people, sim.username) if CAMPAIGN_BODY in m["text"]
    )
    in_doubt = [t for t in audience if status_of[t] == "in_doubt"]
    duplicates = [t for t, n in received.items() if n > 1]
    lost = [t for t in audience if status_of[t] != "in_doubt" and received[t] == 0]
    doubt_delivered = sum(1 for t in in_doubt if received[t])
    print(
        f"\n{kills} worker kills; {len(audience)} recipients; in_doubt {len(in_doubt)} "
        f"({doubt_delivered} of them delivered); lost {len(lost)}; duplicates {len(duplicates)}"
    )
    assert kills >= 5, f"the campaign ended after {kills} kills; make it longer"
    assert final.sent + final.in_doubt == len(contact_of)
    assert final.failed == final.dead == final.skipped == 0
    assert duplicates == []  # nobody got a message twice (no re-drive)
    assert lost == []  # every consenting recipient got a message or is in doubt
    assert all(received[t] == 1 for t in audience if status_of[t] == "sent")
    # A kill leaves in doubt at most the group being sent and the one being recorded.
    assert len(in_doubt) <= kills * 2 * journal_group_size(PROFILES["paid_broadcast"])


async def _sent_some(db: Database, campaign_id: int) -> bool:
    return (await counts(db, campaign_id)).sent > 0

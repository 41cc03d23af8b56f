"""Test data, made through the modules' public services (never their tables)."""

from __future__ import annotations

import itertools
import tempfile
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.schemas import ConsentCreate
from marketing_agent.core import clock
from marketing_agent.core.auth import Role
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings, get_settings
from marketing_agent.gateway import service as gateway
from marketing_agent.gateway.schemas import UserCreate
from marketing_agent.orchestrator import flows, scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.models import Campaign, Delivery
from marketing_agent.orchestrator.schemas import (
    CampaignCreate,
    ContactCreate,
    DeliveryCounts,
    VariantIn,
)
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.runtime import Runtime, open_runtime
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.simulator import TelegramSimulator
from marketing_agent.telegram.transport import SendOutcome

_ids = itertools.count(1)
PASSWORD = "correct horse battery staple"
_runtimes: weakref.WeakKeyDictionary[Database, Runtime] = weakref.WeakKeyDictionary()
_databases: weakref.WeakSet[Database] = weakref.WeakSet()  # the test databases (conftest's)


def track_database(db: Database) -> Database:
    """Remembers a test database, so a helper given only a session finds its runtime."""
    _databases.add(db)
    return db


def runtime_of(db: Database, settings: Settings | None = None) -> Runtime:
    """The test process's runtime on `db`: one per database, so every tick, answer and worker of
    a test takes its senders' slots from the same limits, as in a real process."""
    runtime = _runtimes.get(db)
    if runtime is None:
        settings = settings or Settings(
            data_dir=Path(tempfile.mkdtemp(prefix="ma-runtime-")),
            secret_key="test-secret-key-" + "x" * 32,  # type: ignore[arg-type]
            llm_provider="offline",
            quiet_hours="off",
            run_worker=False,
            run_scheduler=False,
        )
        runtime = _runtimes[db] = open_runtime(settings, role="test", database=db)
    return runtime


def transports_of(db: Database) -> telegram.TransportPool:
    """The transports of the test process's runtime on `db` (runtime_of)."""
    return runtime_of(db).transports


async def close_runtime_of(db: Database) -> None:
    """Closes the test's runtime on `db`, if it opened one (its transports and limits)."""
    runtime = _runtimes.pop(db, None)
    if runtime is not None:
        await runtime.close()


async def simulator_of(db: Database, sender_id: int) -> TelegramSimulator:
    """The sender's simulator in the test's runtime (the sender loaded first)."""
    async with db.session() as session:
        await telegram.load_sender(
            session=session, transports=transports_of(db), sender_id=sender_id
        )
    return transports_of(db).simulator(sender_id)


async def make_user(db: Database, role: Role = Role.ADMIN) -> str:
    """Creates a user with `role`; returns its username (password: PASSWORD)."""
    username = f"{role.value}{next(_ids)}"
    async with db.session() as session:
        await gateway.create_user(
            session=session,
            user_in=UserCreate(username=username, password=PASSWORD, role=role),
            actor="test",
        )
    return username


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Logs in through the API; returns the Authorization header."""
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def headers_for(
    client: httpx.AsyncClient, db: Database, role: Role = Role.ADMIN
) -> dict[str, str]:
    return await login(client, await make_user(db, role))


async def make_sender(db: Database) -> int:
    """Returns the id of the demo simulator bot."""
    async with db.session() as session:
        sender = await telegram.ensure_demo_sender(session=session)
        return sender.id


async def make_contacts(
    db: Database,
    count: int,
    *,
    sender_id: int | None,
    purpose: str = "marketing",
    tags: Sequence[str] = (),
) -> list[int]:
    """Creates contacts; with `sender_id`, each one has granted consent to it."""
    ids = []
    async with db.session() as session:
        for _ in range(count):
            n = next(_ids)
            contact = await orchestrator.create_contact(
                session=session,
                contact_in=ContactCreate(
                    telegram_id=10_000_000 + n, first_name=f"Person{n}", tags=list(tags)
                ),
            )
            ids.append(contact.id)
            if sender_id is not None:
                await grant_consent(session, contact.id, sender_id, purpose)
    return ids


async def grant_consent(
    session: AsyncSession, contact_id: int, sender_id: int, purpose: str
) -> None:
    """Records the contact's consent to the sender; the person started its bot to give it."""
    contact = await orchestrator.get_contact(session=session, contact_id=contact_id)
    assert contact is not None
    start_bot(_database_of_session(session), sender_id, [contact.telegram_id])
    await compliance.record_consent(
        session=session,
        consent_in=ConsentCreate(
            contact_id=contact_id,
            sender_id=sender_id,
            purpose=purpose,
            source="test",
            proof={"text": "Yes, subscribe"},
        ),
        actor="test",
    )


def _database_of_session(session: AsyncSession) -> Database:
    """The test's database that `session` is a session of (its runtime's, runtime_of)."""
    for db in list(_databases):
        if db.engine is session.bind:
            return db
    raise LookupError("no test database of this session: open it through the db fixture")


def start_bot(db: Database, sender_id: int, telegram_ids: Iterable[int]) -> None:
    """The people (or groups) behind `telegram_ids` started the sender's simulated bot earlier:
    Telegram lets a bot write only to them (only a simulator reads this; a Bot API test starts
    its bot through the simulated server's /sim/ routes)."""
    transports_of(db).started_chats(sender_id).update(telegram_ids)


def database_of(app: FastAPI) -> Database:
    db: Database = app.state.database
    return db


# -- campaigns, the scheduler and the worker (the orchestrator's scheduling and delivery tests) --

TEXT = "Hi {first_name}, our winter boots are 20% off this week."
_telegram_ids = iter(range(50_000_000, 60_000_000))


async def add_contact(
    db: Database,
    *,
    sender_id: int,
    timezone: str | None = None,
    tags: tuple[str, ...] = (),
    purposes: tuple[str, ...] = ("marketing",),
) -> int:
    """Creates a contact in `timezone` with consent to `sender_id` for `purposes`."""
    async with db.session() as session:
        contact = await orchestrator.create_contact(
            session=session,
            contact_in=ContactCreate(
                telegram_id=next(_telegram_ids),
                first_name="Alex",
                timezone=timezone,
                tags=list(tags),
            ),
        )
        for purpose in purposes:
            await grant_consent(session, contact.id, sender_id, purpose)
        return contact.id


async def launch(db: Database, settings: Settings, *, sender_id: int, **fields: Any) -> int:
    """Creates and submits a campaign (approved by policy, hence scheduled); returns its id."""
    async with db.session() as session:
        campaign = await flows.create_campaign(
            session=session,
            settings=settings,
            campaign_in=CampaignCreate(
                name=fields.pop("name", "Boots"),
                goal="Winter boots sale",
                sender_id=sender_id,
                variants=[VariantIn(text=TEXT)],
                **fields,
            ),
            actor="test",
        )
        await flows.submit_campaign(
            session=session, settings=settings, campaign_id=campaign.id, actor="test"
        )
        return campaign.id


async def counts(db: Database, campaign_id: int) -> DeliveryCounts:
    async with db.session() as session:
        found = await orchestrator.delivery_counts(session=session, campaign_ids=[campaign_id])
        return found[campaign_id]


async def deliveries(db: Database, campaign_id: int) -> dict[int, Delivery]:
    """Returns the campaign's deliveries by contact id."""
    async with db.session() as session:
        rows, _ = await orchestrator.list_deliveries(
            session=session, campaign_id=campaign_id, limit=1000
        )
        return {d.contact_id: d for d in rows}


async def campaign(db: Database, campaign_id: int) -> Campaign:
    async with db.session() as session:
        return await orchestrator.get_campaign_or_raise(session=session, campaign_id=campaign_id)


async def _next_due(db: Database) -> datetime | None:
    """Returns when something next becomes due: a held delivery or a recurring run."""
    now = clock.now()
    async with db.session() as session:
        held = await session.scalar(
            select(func.min(Delivery.not_before)).where(
                Delivery.status == "queued", Delivery.not_before > now
            )
        )
        run = await session.scalar(
            select(func.min(Campaign.next_run_at)).where(
                Campaign.next_run_at > now,
                Campaign.status.in_(
                    (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED)
                ),
            )
        )
    due = [t for t in (held, run) if t is not None]
    return min(due) if due else None


async def drive(db: Database, virtual_clock: VirtualClock, *, until: datetime) -> None:
    """Runs the scheduler and the worker as the app does, jumping the virtual clock to the next
    thing due, until `until` (or until nothing is left to do)."""
    worker = DeliveryWorker(db, transports=transports_of(db))
    while clock.now() < until:
        await scheduled.tick(runtime_of(db))
        if await worker.run_once():
            continue
        await scheduled.tick(runtime_of(db))
        due = await _next_due(db)
        if due is None:
            return
        virtual_clock.advance(max((min(due, until) - clock.now()).total_seconds(), 0.001))


@contextmanager
def frequency_cap(monkeypatch: pytest.MonkeyPatch, count: int, days: float) -> Iterator[None]:
    """The worker reads the cap from the process's settings (MA_FREQUENCY_CAP_*)."""
    monkeypatch.setenv("MA_FREQUENCY_CAP_COUNT", str(count))
    monkeypatch.setenv("MA_FREQUENCY_CAP_DAYS", str(days))
    get_settings.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def start_campaign(db: Database, settings: Settings, *, sender_id: int) -> int:
    """Creates, approves and starts a campaign to every contact; returns its id."""
    campaign_id = await launch(db, settings, sender_id=sender_id)
    async with db.session() as session:
        await flows.start_due_campaigns(session=session)
    return campaign_id


async def drain(db: Database, worker: DeliveryWorker | None = None, rounds: int = 50) -> None:
    """Runs a worker until it finds nothing more to do."""
    worker = worker or DeliveryWorker(db, transports=transports_of(db))
    for _ in range(rounds):
        if not await worker.run_once():
            return


class WorkerKilled(BaseException):
    """Stands for SIGKILL inside one process: nothing after it runs, nothing is cleaned up."""


class DiesAfter:
    """A send function that passes `sends` messages to `inner`, then dies with the process:
    that call and every later one raise, as if the worker had been killed there."""

    def __init__(self, inner: Callable[..., Awaitable[SendOutcome]], *, sends: int) -> None:
        self.inner = inner
        self.left = sends
        self.made = 0

    async def __call__(self, **kwargs: Any) -> SendOutcome:
        if self.left <= 0:
            raise WorkerKilled
        self.left -= 1
        outcome = await self.inner(**kwargs)
        self.made += 1
        return outcome

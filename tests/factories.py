"""Test data, made through the modules' public services (never their tables)."""

from __future__ import annotations

import itertools
import tempfile
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.schemas import ConsentCreate
from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.gateway import service as gateway
from marketing_agent.gateway.schemas import UserCreate
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import ContactCreate
from marketing_agent.runtime import Runtime, open_runtime
from marketing_agent.telegram import service as telegram

_ids = itertools.count(1)
PASSWORD = "correct horse battery staple"
_runtimes: weakref.WeakKeyDictionary[Database, Runtime] = weakref.WeakKeyDictionary()


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
    start_bot(sender_id, [contact.telegram_id])
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


def start_bot(sender_id: int, telegram_ids: Iterable[int]) -> None:
    """The people (or groups) behind `telegram_ids` started the sender's simulated bot earlier:
    Telegram lets a bot write only to them. Senders on other transports are left alone (a Bot
    API test starts its bot through the simulated server's /sim/ routes)."""
    if telegram.pool().transport_of(sender_id) == "simulator":
        telegram.pool().simulator(sender_id).add_started_chats(telegram_ids)


def database_of(app: FastAPI) -> Database:
    db: Database = app.state.database
    return db

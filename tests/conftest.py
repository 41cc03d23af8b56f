"""Shared fixtures: a migrated database per test (SQLite; PostgreSQL where a test asks), the app
on that database, and a virtual clock."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from marketing_agent.core import clock as clock_module
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.migrate import upgrade
from tests.factories import close_runtime_of, runtime_of, track_database

POSTGRES_URL = os.environ.get(
    "MA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("MA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated with Alembic; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def _sqlite_database(template: Path, folder: Path) -> Database:
    path = folder / "test.db"
    shutil.copyfile(template, path)
    return track_database(Database(f"sqlite+aiosqlite:///{path}"))


async def _postgres_database() -> tuple[Database, str]:
    """A fresh PostgreSQL database migrated with Alembic; fails loudly in CI when unreachable."""
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"ma_test_{uuid.uuid4().hex[:12]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OSError as exc:
        await admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    await admin.dispose()
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    await upgrade(url)
    return track_database(Database(url)), name


async def _drop_postgres(name: str) -> None:
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
async def db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty SQLite database in the test's own folder."""
    database = await _sqlite_database(sqlite_template, tmp_path)
    yield database
    await close_runtime_of(database)
    await database.dispose()


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    """A migrated, empty PostgreSQL database of the test's own."""
    database, name = await _postgres_database()
    yield database
    await close_runtime_of(database)
    await database.dispose()
    await _drop_postgres(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_db(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[Database]:
    """The same test on the embedded default and on PostgreSQL."""
    if request.param == "sqlite":
        database = await _sqlite_database(sqlite_template, tmp_path)
        yield database
        await close_runtime_of(database)
        await database.dispose()
        return
    database, name = await _postgres_database()
    yield database
    await close_runtime_of(database)
    await database.dispose()
    await _drop_postgres(name)


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    async with db.session() as s:
        yield s


@pytest.fixture
def virtual_clock() -> Iterator[VirtualClock]:
    vc = VirtualClock()
    previous = clock_module.set_clock(vc)
    yield vc
    clock_module.set_clock(previous)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an app under test: background loops off (tests drive them), fixed secret."""
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-" + "x" * 32,  # type: ignore[arg-type]
        run_worker=False,
        run_scheduler=False,
        log_json=True,
        log_level="WARNING",
        login_rate_per_min=1000,
        api_rate_per_min=100000,
        llm_provider="offline",
        # The virtual clock starts at midnight UTC, inside the default quiet hours; the
        # scheduling tests set their own windows.
        quiet_hours="off",
    )


@pytest.fixture
async def app(settings: Settings, db: Database) -> AsyncIterator[FastAPI]:
    from marketing_agent.gateway.app import create_app

    # The test process's one runtime: the app, the test's ticks and workers share its transports.
    application = create_app(settings, runtime=runtime_of(db, settings))
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def pg_app(settings: Settings, pg_db: Database) -> AsyncIterator[FastAPI]:
    """The app on a PostgreSQL database of its own: it enforces what SQLite lets pass (column
    widths, NUL characters, int64 ranges)."""
    from marketing_agent.gateway.app import create_app

    application = create_app(settings, runtime=runtime_of(pg_db, settings))
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def pg_client(pg_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=pg_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of the test's own on the Redis server, its keys deleted afterwards; fails
    loudly in CI when Redis is unreachable."""
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as exc:
        await client.aclose()
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable: {exc}")
    prefix = f"ma_test_{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
    for start in range(0, len(keys), 500):
        await client.delete(*keys[start : start + 500])
    await client.aclose()

"""Shared fixtures: a fresh database per test (SQLite file; PostgreSQL where a test asks for it)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core import clock as clock_module
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.registry import load_all_models


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty SQLite database in the test's own folder."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    base = load_all_models()
    async with database.engine.begin() as conn:
        await conn.run_sync(base.metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    async with db.session() as s:
        yield s


@pytest.fixture
def virtual_clock() -> AsyncIterator[VirtualClock]:
    vc = VirtualClock()
    previous = clock_module.set_clock(vc)
    yield vc
    clock_module.set_clock(previous)


def pytest_report_header() -> list[str]:
    return [f"postgres: {os.environ.get('MA_TEST_POSTGRES_URL', 'default local')}"]

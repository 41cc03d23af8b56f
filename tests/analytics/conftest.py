"""The shared database fixtures, with the analytics and experiments tables ensured on them.

Until the project's Alembic migrations create these tables, `ensure_tables` does; once they
do, it finds the tables there and changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core.db import Database
from tests.analytics.factories import ensure_tables


@pytest.fixture
async def db(db: Database) -> Database:
    await ensure_tables(db)
    return db


@pytest.fixture
async def any_db(any_db: Database) -> Database:
    await ensure_tables(any_db)
    return any_db


@pytest.fixture
async def any_session(any_db: Database) -> AsyncIterator[AsyncSession]:
    """A session on SQLite, then on PostgreSQL."""
    async with any_db.session() as session:
        yield session

"""Fixtures of the analytics tests: a session on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core.db import Database


@pytest.fixture
async def any_session(any_db: Database) -> AsyncIterator[AsyncSession]:
    """A session on SQLite, then on PostgreSQL."""
    async with any_db.session() as session:
        yield session

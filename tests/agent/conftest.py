"""The shared database fixtures, with this module's table ensured on them."""

from __future__ import annotations

import pytest

from marketing_agent.core.db import Database
from tests.agent.factories import ensure_tables


@pytest.fixture
async def db(db: Database) -> Database:
    await ensure_tables(db)
    return db

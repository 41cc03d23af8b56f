"""FastAPI dependencies shared by every module's router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings


# Coroutines, though they only read app.state: FastAPI runs a plain `def` dependency in its
# thread pool, a thread hop on every request that opens a session.
async def get_database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(
    db: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    """A unit of work per request: committed when the handler returns, rolled back on error."""
    async with db.session() as session:
        yield session


# scope="function": the unit of work commits before the response is sent, so a client that
# is told "201 Created" (or Telegram's webhook that gets its 200) can rely on it.
DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
CurrentSettings = Annotated[Settings, Depends(get_settings_dep)]

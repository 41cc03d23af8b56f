"""The scheduler's leader lease on PostgreSQL: a session-level advisory lock held on a
dedicated connection, so exactly one scheduler process ticks (scheduled.py); a crash ends the
session and frees the lock for a standby.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from marketing_agent.core.logging import get_logger

log = get_logger(__name__)
# The advisory lock key of the scheduler's lead: "ma-sched" as a big-endian 63-bit integer.
LEADER_LOCK_KEY = int.from_bytes(b"ma-sched", "big") >> 1
_LOCK_CALL_TIMEOUT_S = 5.0  # a lock connection slower than this counts as lost


class SchedulerLease:
    """The scheduler's lead on PostgreSQL: `pg_try_advisory_lock` held by the session of a
    dedicated connection. The server releases it the moment that session ends, so a killed
    leader's lock frees itself; TCP keepalives bound how long a vanished host keeps it."""

    def __init__(self, url: str) -> None:
        self._engine: AsyncEngine = create_async_engine(url, poolclass=NullPool)
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        """Takes the lead if nobody holds it; returns whether this process now leads."""
        try:
            if self._conn is None:
                conn = await self._engine.connect()
                self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                for setting in (
                    "SET application_name = 'marketing-agent scheduler'",
                    "SET tcp_keepalives_idle = 5",
                    "SET tcp_keepalives_interval = 2",
                    "SET tcp_keepalives_count = 3",
                ):
                    await self._conn.execute(text(setting))
            acquired = await asyncio.wait_for(
                self._conn.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
                ),
                timeout=_LOCK_CALL_TIMEOUT_S,
            )
        except Exception as exc:  # database unreachable: stand by and try again
            log.warning("scheduler.lock_unavailable", error=type(exc).__name__)
            await self._drop_connection()
            return False
        return bool(acquired)

    async def still_held(self) -> bool:
        """Returns whether this session still holds the lock; a broken connection does not."""
        if self._conn is None:
            return False
        try:
            held = await asyncio.wait_for(
                self._conn.scalar(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                        " AND pid = pg_backend_pid() AND granted AND objsubid = 1"
                        " AND classid::bigint = :high AND objid::bigint = :low)"
                    ),
                    {"high": LEADER_LOCK_KEY >> 32, "low": LEADER_LOCK_KEY & 0xFFFFFFFF},
                ),
                timeout=_LOCK_CALL_TIMEOUT_S,
            )
        except Exception as exc:
            log.warning("scheduler.lock_check_failed", error=type(exc).__name__)
            await self._drop_connection()
            return False
        return bool(held)

    async def release(self) -> None:
        """Gives the lead up (closing the session releases the lock) and closes the engine."""
        await self._drop_connection()
        await self._engine.dispose()

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(Exception):
                await conn.close()

"""The async database: one engine per process, SQLite by default, PostgreSQL at scale.

Each module declares its tables on `Base`; Alembic migrates them. Request handlers get a
session that commits when the request succeeds; workers open their own with `db.session()`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, Table, event, make_url
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from marketing_agent.core import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# A 64-bit key everywhere except SQLite, whose rowid alias must be spelled INTEGER.
IdType = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")

# Ids in one IN (...) list, or parameters in one statement: SQLite binds at most 32766 (999
# before 3.32), PostgreSQL 65535; 900 leaves room for the rest of the query on either.
IN_LIST_CHUNK = 900
T = TypeVar("T")


def in_chunks(items: Sequence[T], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[T]]:
    """Yields `items` in slices of at most `size`: one IN (...) list (one statement) each."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def driver_rows(
    table: Table, names: Sequence[str], rows: Iterable[Mapping[str, Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """Rows as the driver's parameter tuples, each value converted by its column's type for this
    dialect exactly as SQLAlchemy binds it: for the hot inserts that go straight to the driver,
    past SQLAlchemy's per-parameter work on every row of an executemany."""
    process = [
        (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
    ]
    return [tuple(p(row.get(n)) if p else row.get(n) for n, p in process) for row in rows]


# Connections a file SQLite database keeps open (and as many more at a peak, then closed).
SQLITE_POOL_SIZE = 32


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        return value.astimezone(clock.UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=clock.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class IdMixin:
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=lambda: clock.now())


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        # Errors name the statement but not its parameters: those are people's data.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        secure_sqlite_file(url)
        if url.startswith("postgresql"):
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        elif url.startswith("sqlite") and ":memory:" not in url:
            # A file database: its connections are cheap to keep and costly to open (a thread
            # and five PRAGMAs each). SQLAlchemy's default keeps 5 and closes every overflow
            # connection on return, so 16 requests at once opened ~10 connections per round.
            kwargs.update(pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._commit_generation = 0
        self._last_snapshot: str | None = None  # PostgreSQL's, as commit_generation last read it

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def commit_generation(self, session: AsyncSession) -> int:
        """Returns a number that equals an earlier call's only if nothing was committed to the
        database in between, by any connection of any process (it may also grow when nothing
        was). Read at the start of `session`'s work: rows it reads afterwards are as new as the
        number, so a result kept with it is current while the number stays the same."""
        connection = await session.connection()
        if self.is_sqlite:
            # data_version changes when another connection (of any process) committed since
            # this one last read it; total_changes() counts the rows this one wrote itself. A
            # connection seen for the first time counts as a change.
            result = await connection.exec_driver_sql(
                "SELECT data_version, total_changes() FROM pragma_data_version"
            )
            stamp: Any = tuple(result.one())
            seen = (await connection.get_raw_connection()).info
            if seen.get(_COMMIT_STAMP) != stamp:
                seen[_COMMIT_STAMP] = stamp
                self._commit_generation += 1
            return self._commit_generation
        # Every transaction that writes takes an id, so PostgreSQL's snapshot (the oldest
        # running id, the next one, the running ones) differs after any commit since.
        result = await connection.exec_driver_sql("SELECT pg_current_snapshot()::text")
        snapshot = str(result.scalar_one())
        if snapshot != self._last_snapshot:
            self._last_snapshot = snapshot
            self._commit_generation += 1
        return self._commit_generation

    async def dispose(self) -> None:
        await self.engine.dispose()


_COMMIT_STAMP = "marketing_agent.commit_stamp"  # a pooled SQLite connection's last one seen


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the API read while the worker writes; the busy timeout queues writers
    # instead of failing them with "database is locked".
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A deleted row's bytes are overwritten, not left in a free page: an erased person must
    # not stay readable in the file (docs/compliance.md).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_data_dir(path: Path) -> None:
    """Creates the data folder (the database, the secret key) readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


def secure_sqlite_file(url: str) -> None:
    """Creates a SQLite database file owner-only (0600) before SQLite opens it; SQLite gives its
    -wal and -shm files the mode of the database file. A new folder for it is made 0700."""
    if not url.startswith("sqlite"):
        return
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)

"""Schema migrations with Alembic, from the CLI, `make run` and the tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

from marketing_agent.core.db import make_data_dir, secure_sqlite_file
from marketing_agent.core.settings import Settings


def script_location() -> Path:
    """Returns the migrations folder: the checkout's, or the copy inside an installed wheel."""
    packaged = Path(__file__).parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.attributes["url"] = url
    return config


async def upgrade(url: str, revision: str = "heads") -> None:
    """Migrates the database at `url` to `revision`."""
    secure_sqlite_file(url)
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_sync, url, revision)
    await engine.dispose()


def _upgrade_sync(connection: object, url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def upgrade_settings(settings: Settings) -> None:
    make_data_dir(settings.data_dir)
    asyncio.run(upgrade(settings.resolved_database_url))

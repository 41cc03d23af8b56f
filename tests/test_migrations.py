"""The Alembic migrations build exactly the schema the models declare, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from marketing_agent.core.db import Database
from marketing_agent.registry import load_all_models


def _differences(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, load_all_models().metadata)


async def test_migrated_schema_matches_the_models(any_db: Database) -> None:
    async with any_db.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_migrations_have_a_single_head() -> None:
    from alembic.script import ScriptDirectory

    from marketing_agent.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"merge the heads {heads} with `alembic merge`"

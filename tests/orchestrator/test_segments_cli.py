"""`marketing-agent segments preview`: who a rule matches now, from the terminal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketing_agent.cli import app
from marketing_agent.core.db import Database
from marketing_agent.core.settings import get_settings
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import ContactCreate, SegmentCreate, SegmentFilter


@pytest.fixture
def cli_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated data folder with three contacts and a saved segment, used through MA_DATA_DIR."""
    data_dir = tmp_path / "cli"
    monkeypatch.setenv("MA_DATA_DIR", str(data_dir))
    for name in ("MA_SECRET_KEY", "MA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0

    async def seed() -> None:
        database = Database(get_settings().resolved_database_url)
        async with database.session() as session:
            for n, (name, spent) in enumerate([("Ana", 250), ("Ben", 20), ("Cem", 120)]):
                await orchestrator.create_contact(
                    session=session,
                    contact_in=ContactCreate(
                        telegram_id=900 + n, first_name=name, attributes={"spent": spent}
                    ),
                )
            await orchestrator.create_segment(
                session=session,
                segment_in=SegmentCreate(
                    name="Small", filter=SegmentFilter(attributes={"spent": 20})
                ),
            )
        await database.dispose()

    asyncio.run(seed())
    yield data_dir
    get_settings.cache_clear()


def test_a_rule_is_counted_with_a_sample_of_who_matches(cli_data_dir: Path) -> None:
    rules = {"conditions": [{"kind": "attribute", "key": "spent", "op": "gt", "value": 100}]}
    result = CliRunner().invoke(app, ["segments", "preview", "--rules", json.dumps(rules)])

    assert result.exit_code == 0, result.output
    assert "2 contact(s) match now." in result.output
    assert "Ana" in result.output and "Cem" in result.output and "Ben" not in result.output


def test_a_saved_segment_is_counted_by_its_id(cli_data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["segments", "preview", "--segment", "1"])

    assert result.exit_code == 0, result.output
    assert "1 contact(s) match now." in result.output and "Ben" in result.output


def test_a_bad_rule_names_its_field(cli_data_dir: Path) -> None:
    rules = {"conditions": [{"kind": "attribute", "key": "spent", "op": "gt", "value": "lots"}]}
    result = CliRunner().invoke(app, ["segments", "preview", "--rules", json.dumps(rules)])

    assert result.exit_code == 2
    assert "rules.conditions.0.value" in result.output and "give a number" in result.output

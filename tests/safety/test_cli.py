"""`marketing-agent safety check/redact`: the send path's verdict and the redaction from the
terminal, with the workspace's own phrase lists."""

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
from marketing_agent.safety import service as safety
from marketing_agent.safety.schemas import BlacklistTermCreate


@pytest.fixture
def cli_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated data folder whose blacklist blocks "mega deal"."""
    data_dir = tmp_path / "cli"
    monkeypatch.setenv("MA_DATA_DIR", str(data_dir))
    for name in ("MA_SECRET_KEY", "MA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0

    async def seed() -> None:
        database = Database(get_settings().resolved_database_url)
        async with database.session() as session:
            await safety.add_blacklist_term(
                session=session,
                term_in=BlacklistTermCreate(term="mega deal", severity="block"),
                actor="admin",
            )
        await database.dispose()

    asyncio.run(seed())
    yield data_dir


def test_check_blocks_a_disguised_workspace_phrase_and_says_where(cli_data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["safety", "check", "Our M-E-G-A d3-al is here"])

    assert result.exit_code == 1, result.output
    assert "block (risk 1.00)" in result.output
    assert "'mega deal' at 4-17: 'M-E-G-A d3-al'" in result.output


def test_check_allows_an_ordinary_text_and_prints_json(cli_data_dir: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["safety", "check", "--json", "Hi Anna, our linen shirts are in. Reply STOP to opt out."],
    )

    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output[result.output.index("{") :])
    assert verdict["decision"] == "allow" and verdict["reasons"] == []


def test_an_unknown_parse_mode_is_refused_without_a_traceback(cli_data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["safety", "check", "--parse-mode", "BBCode", "Hi"])

    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_redact_replaces_personal_data_by_its_type() -> None:
    result = CliRunner().invoke(app, ["safety", "redact", "Mail anna@example.com, IP 8.8.8.8"])

    assert result.exit_code == 0
    assert result.output.strip() == "Mail [EMAIL], IP [IP]"

"""`marketing-agent analytics`: a campaign's stats, funnel by variant and drop-off CSV from the
terminal, and a clear refusal for a campaign that does not exist."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketing_agent.analytics import service as analytics
from marketing_agent.cli import app
from marketing_agent.core.db import Database
from marketing_agent.core.settings import get_settings
from tests.analytics.factories import journey, make_campaign


@pytest.fixture
def campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A migrated data folder with a bot campaign and three people's events; its id."""
    monkeypatch.setenv("MA_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("MA_LLM_PROVIDER", "offline")
    for name in ("MA_SECRET_KEY", "MA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0

    async def seed() -> int:
        database = Database(get_settings().resolved_database_url)
        cid = await make_campaign(database, get_settings())
        async with database.session() as session:
            await analytics.record_events(
                session=session,
                events=[
                    *journey(1, ["sent", "delivered", "clicked", "converted"], campaign_id=cid),
                    *journey(2, ["sent", "delivered"], campaign_id=cid, variant_key="B"),
                    *journey(3, ["sent"], campaign_id=cid),
                ],
            )
        await database.dispose()
        return cid

    yield asyncio.run(seed())
    get_settings.cache_clear()


def test_stats_show_people_per_variant_and_no_bot_reads(campaign: int) -> None:
    result = CliRunner().invoke(app, ["analytics", "stats", "--campaign", str(campaign), "--json"])

    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert (stats["totals"]["sent"], stats["totals"]["delivered"]) == (3, 2)
    assert stats["totals"]["read"] is None  # a bot cannot see reads
    table = CliRunner().invoke(app, ["analytics", "stats", "--campaign", str(campaign)])
    assert "Bots cannot see reads" in table.output


def test_the_funnel_by_variant_prints_each_variants_people(campaign: int) -> None:
    result = CliRunner().invoke(
        app, ["analytics", "funnel", "--campaign", str(campaign), "--by", "variant", "--json"]
    )

    assert result.exit_code == 0, result.output
    funnels = json.loads(result.output)
    assert [[s["count"] for s in f["steps"]] for f in funnels] == [
        [3, 2, 1, 1],
        [2, 1, 1, 1],
        [1, 1, 0, 0],
    ]
    assert [f["variant_key"] for f in funnels] == [None, "A", "B"]


def test_the_dropoff_is_written_as_csv(campaign: int, tmp_path: Path) -> None:
    out = tmp_path / "dropoff.csv"

    result = CliRunner().invoke(
        app, ["analytics", "dropoff", "--campaign", str(campaign), "--output", str(out)]
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert sorted((r["contact_id"], r["last_step"]) for r in rows) == [
        ("2", "delivered"),
        ("3", "sent"),
    ]


def test_a_campaign_that_does_not_exist_is_refused(campaign: int) -> None:
    result = CliRunner().invoke(app, ["analytics", "funnel", "--campaign", "999"])
    bad_step = CliRunner().invoke(
        app, ["analytics", "funnel", "--campaign", str(campaign), "--steps", "sent,opened"]
    )

    assert result.exit_code == 2
    assert "Campaign 999 does not exist" in result.output
    assert bad_step.exit_code == 2
    assert "Unknown step" in bad_step.output

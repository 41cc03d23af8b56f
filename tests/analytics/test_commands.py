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
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import ContactCreate, SegmentCreate, SegmentFilter
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


def test_the_funnel_of_a_segments_people_alone_and_per_segment(campaign: int) -> None:
    async def segments() -> tuple[int, int]:
        database = Database(get_settings().resolved_database_url)
        async with database.session() as session:
            for n, tags in enumerate([["vip"], ["vip"], []], start=1):
                contact = await orchestrator.create_contact(
                    session=session, contact_in=ContactCreate(telegram_id=5_000 + n, tags=tags)
                )
                assert contact.id == n  # the people of the fixture's events
            made = [
                await orchestrator.create_segment(
                    session=session,
                    segment_in=SegmentCreate(name=name, filter=SegmentFilter(tags_any=[tag])),
                )
                for name, tag in (("VIPs", "vip"), ("Nobody", "none"))
            ]
        await database.dispose()
        return made[0].id, made[1].id

    vips, nobody = asyncio.run(segments())
    base = ["analytics", "funnel", "--campaign", str(campaign), "--json"]

    alone = CliRunner().invoke(app, [*base, "--segment", str(vips)])
    split = CliRunner().invoke(
        app, [*base, "--by", "segment", "--segment", str(vips), "--segment", str(nobody)]
    )
    table = CliRunner().invoke(app, [*base[:-1], "--segment", str(vips)])
    missing = CliRunner().invoke(app, [*base, "--segment", "404"])
    no_ids = CliRunner().invoke(app, [*base, "--by", "segment"])

    assert alone.exit_code == 0, alone.output
    assert [[s["count"] for s in f["steps"]] for f in json.loads(alone.output)] == [[2, 2, 1, 1]]
    assert split.exit_code == 0, split.output
    assert [
        (f["segment_id"], [s["count"] for s in f["steps"]]) for f in json.loads(split.output)
    ] == [
        (None, [3, 2, 1, 1]),
        (vips, [2, 2, 1, 1]),
        (nobody, [0, 0, 0, 0]),
    ]
    assert f"segment {vips}'s people" in table.output
    assert missing.exit_code == no_ids.exit_code == 2
    assert "Segment 404 does not exist" in missing.output

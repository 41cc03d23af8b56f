"""`marketing-agent experiments show/analyse/sample-size`: the page's numbers from the terminal
(`sample-size --campaign` on the rate Submit plans on), and bad input refused with what is wrong
(exit 2), never a traceback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketing_agent.analytics import service as analytics
from marketing_agent.cli import app
from marketing_agent.core.db import Database
from marketing_agent.core.settings import get_settings
from marketing_agent.experiments import service as experiments
from marketing_agent.experiments.schemas import Arm
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.schemas import CampaignCreate, VariantIn
from tests.experiments.test_campaign_results import sends_and_conversions
from tests.factories import close_runtime_of, make_contacts, make_sender, track_database


def migrated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Returns a new migrated data folder, the CLI's (MA_DATA_DIR)."""
    data_dir = tmp_path / "cli"
    monkeypatch.setenv("MA_DATA_DIR", str(data_dir))
    for name in ("MA_SECRET_KEY", "MA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0
    return data_dir


@pytest.fixture
def cli_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated data folder with campaign 1's experiment (A 300/15, B 300/45)."""
    data_dir = migrated_data_dir(tmp_path, monkeypatch)

    async def seed() -> None:
        database = Database(get_settings().resolved_database_url)
        async with database.session() as session:
            await experiments.create_experiment(
                session=session, campaign_id=1, arms=[Arm(key="A"), Arm(key="B")]
            )
            await analytics.record_events(
                session=session,
                events=[
                    *sends_and_conversions("A", sent=300, converted=15, first_contact=1),
                    *sends_and_conversions("B", sent=300, converted=45, first_contact=1001),
                ],
            )
        await database.dispose()

    asyncio.run(seed())
    yield data_dir
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["experiments", *args], env={"COLUMNS": "160"})
    return result.exit_code, result.output


def test_show_prints_the_verdict_how_sure_and_every_variant(cli_data_dir: Path) -> None:
    code, output = run("show", "1")

    assert code == 0, output
    assert "Winner: variant B" in output and ">99.9%" in output
    assert "A (control)" in output and "15.00%" in output
    assert "Rollout: fixed" in output

    code, output = run("show", "1", "--json")
    assert code == 0, output
    body = json.loads(output)
    assert body["results"]["leader"] == "B" and body["rollout"]["phase"] == "not_started"


def test_show_of_a_campaign_without_experiment_or_a_bad_metric_says_so(cli_data_dir: Path) -> None:
    missing_code, missing = run("show", "2")
    metric_code, metric = run("show", "1", "--metric", "bought")

    assert missing_code == 2 and "Campaign 2 has no experiment" in missing
    assert metric_code == 2 and "'bought' is not an event type" in metric
    assert "Traceback" not in missing + metric


def test_analyse_answers_like_the_calculator_with_revenue_per_recipient() -> None:
    code, output = run(
        "analyse", "--arm", "A:1000:50:1000:20000", "--arm", "B:1000:80:1600:32000", "--json"
    )

    assert code == 0, output
    body = json.loads(output)
    a, b = body["arms"]
    assert (a["key"], b["successes"]) == ("A", 80)
    assert b["chance_to_beat_control"] > 0.99 and b["p_value"] < 0.05
    assert b["revenue"]["difference"] == pytest.approx(0.6)
    assert body["revenue"]["leader"] == "B"


def test_analyse_refuses_bad_counts_with_each_reason() -> None:
    shape_code, shape = run("analyse", "--arm", "A:1000", "--arm", "B:1000:70")
    counts_code, counts = run("analyse", "--arm", "A:1000:50", "--arm", "B:10:70")
    control_code, control = run("analyse", "--arm", "A:10:1", "--arm", "B:10:2", "--control", "Z")

    assert shape_code == 2 and "--arm A:1000: not KEY:TRIALS:SUCCESSES" in shape
    assert counts_code == 2 and "successes (70) cannot exceed trials (10)" in counts
    assert control_code == 2 and "control 'Z' is not among the arms" in control


def test_sample_size_says_whether_the_audience_gives_the_power() -> None:
    code, output = run("sample-size", "--base-rate", "0.03", "--lift", "0.1", "--audience", "20000")
    bad_code, bad = run("sample-size", "--base-rate", "0.03", "--lift", "0")

    assert code == 0, output
    assert "53,211 recipients per arm" in output and "does not give" in output
    assert bad_code == 2 and "minimum_detectable_lift must be at least" in bad


@pytest.fixture
def campaigns_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated data folder with 5 consented contacts, campaign 1 sent to all of them earlier
    (40 conversions of 1,000 sends recorded) and campaign 2, a draft of three variants."""
    data_dir = migrated_data_dir(tmp_path, monkeypatch)

    async def seed() -> None:
        database = track_database(Database(get_settings().resolved_database_url))
        sender_id = await make_sender(database)
        await make_contacts(database, 5, sender_id=sender_id)
        for texts in (["Boots are 20% off."], ["Jackets: 15% off.", "Jackets, 15% off.", "Hi!"]):
            async with database.session() as session:
                await flows.create_campaign(
                    session=session,
                    settings=get_settings(),
                    campaign_in=CampaignCreate(
                        name="Sale", goal="Sale", variants=[VariantIn(text=t) for t in texts]
                    ),
                    actor="test",
                )
        async with database.session() as session:
            await analytics.record_events(
                session=session,
                events=sends_and_conversions("A", sent=1000, converted=40, first_contact=1),
            )
        await close_runtime_of(database)
        await database.dispose()

    asyncio.run(seed())
    yield data_dir
    get_settings.cache_clear()


def test_sample_size_of_a_campaign_plans_on_the_rate_its_audience_observed(
    campaigns_data_dir: Path,
) -> None:
    code, output = run("sample-size", "--campaign", "2", "--lift", "0.1")

    assert code == 0, output
    # The rate, its source, the draft's three variants and its reach of 5, as Submit shows them.
    assert (
        "Planned on a 4.00% conversion rate: this audience's earlier campaign (40 converted of "
        "1,000 sent)." in output
    )
    needed = experiments.power.sample_size(base_rate=0.04, minimum_detectable_lift=0.1, arms=3)
    assert f"on a 4.00% rate at 80% power you need {needed.per_arm:,} recipients" in output
    assert f"{needed.total:,} in all; an audience of 5 does not give that" in output

    code, output = run("sample-size", "--campaign", "2", "--lift", "0.1", "--json")
    assert code == 0, output
    body = json.loads(output)
    assert body["base_rate"]["source"] == "audience" and body["base_rate"]["rate"] == 0.04
    assert body["total"] == needed.total and body["audience"] == 5


def test_sample_size_needs_a_rate_or_a_campaign_that_exists(campaigns_data_dir: Path) -> None:
    neither_code, neither = run("sample-size", "--lift", "0.1")
    both_code, both = run("sample-size", "--lift", "0.1", "--base-rate", "0.03", "--campaign", "2")
    missing_code, missing = run("sample-size", "--lift", "0.1", "--campaign", "99")

    assert neither_code == both_code == 2 and "give one of them" in neither + both
    assert missing_code == 2 and "Campaign 99 does not exist" in missing
    assert "Traceback" not in neither + both + missing


def test_history_prints_the_chance_to_be_best_at_each_moment(cli_data_dir: Path) -> None:
    code, output = run("history", "1", "--points", "3")

    assert code == 0, output
    assert "Chance to be best over time" in output and "a winner needs 95.0%" in output
    # The seed: every send at minute 0, conversions at minute 60; the middle moment is 30.
    assert "0/300" in output and "15/300" in output and "45/300" in output
    assert "winner B" in output

    code, output = run("history", "1", "--points", "2", "--json")
    assert code == 0, output
    points = json.loads(output)["points"]
    assert [p["verdict"] for p in points] == ["no_clear_winner", "winner"]


def test_history_of_a_campaign_without_experiment_says_so(cli_data_dir: Path) -> None:
    code, output = run("history", "2")

    assert code != 0 and "Traceback" not in output
    assert "no experiment" in output

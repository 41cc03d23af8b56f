"""`marketing-agent campaigns create`: a campaign from a structured brief, from the terminal."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketing_agent.cli import app
from marketing_agent.core.db import Database
from marketing_agent.core.settings import get_settings
from tests.factories import make_sender


@pytest.fixture
def cli_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated data folder with the demo bot, used by the CLI through MA_DATA_DIR."""
    data_dir = tmp_path / "cli"
    monkeypatch.setenv("MA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MA_LLM_PROVIDER", "offline")
    for name in ("MA_SECRET_KEY", "MA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0

    async def seed() -> None:
        database = Database(get_settings().resolved_database_url)
        await make_sender(database)
        await database.dispose()

    asyncio.run(seed())
    yield data_dir
    get_settings.cache_clear()


def test_a_campaign_is_written_in_every_language_asked_for(cli_data_dir: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "campaigns", "create", "--name", "Boots", "--product", "Winter boots",
            "--offer", "20% off", "--deadline", "2026-12-07", "--language", "en",
            "--language", "fr", "--cta-url", "https://shop.example/boots", "--variants", "2",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Campaign 1" in result.output and "draft" in result.output
    assert "Winter boots: 20% off until 7 December." in result.output
    assert "20 % de réduction jusqu'au 7" in result.output  # the table wraps the date
    assert "written by offline" in result.output


def test_a_brief_that_names_nothing_is_refused_with_the_reason(cli_data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["campaigns", "create", "--name", "Empty"])

    assert result.exit_code == 2
    assert "product or offer" in result.output


def test_the_products_words_per_language_are_given_on_the_command_line(
    cli_data_dir: Path,
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "campaigns", "create", "--name", "Boots", "--product", "Winter boots",
            "--offer", "20% off", "--brief-language", "en", "--language", "ru",
            "--language", "de", "--product-in", "ru=Зимние ботинки",
            "--call-to-action", "Shop the boots", "--call-to-action-in", "ru=Выбрать",
            "--cta-url", "https://shop.example/boots", "--variants", "1",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Зимние ботинки: скидка 20%." in result.output
    assert "Выбрать: https://shop.example/boots" in result.output
    # No German words for the product: the German text says the offer, not English prose.
    assert "20 % Rabatt." in result.output and "„Winter boots“" not in result.output
    assert "Shop the boots" not in result.output  # English, and no text is English
    assert "leave it out" in result.output and "Deutsch" in result.output


def test_words_per_language_without_a_language_are_refused(cli_data_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["campaigns", "create", "--name", "Boots", "--product", "Boots", "--offer-in", "x"]
    )

    assert result.exit_code == 2
    assert "--offer-in: 'x' is not LANG=TEXT" in result.output


def test_a_campaign_is_re_planned_from_its_brief_or_cloned_as_it_is(cli_data_dir: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app,
        [
            "campaigns", "create", "--name", "Boots", "--product", "Winter boots",
            "--offer", "20% off", "--language", "en", "--language", "de",
            "--cta-url", "https://shop.example/boots", "--variants", "2",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output

    replanned = runner.invoke(app, ["campaigns", "clone", "1", "--replan"])
    copied = runner.invoke(app, ["campaigns", "clone", "1"])

    assert replanned.exit_code == 0, replanned.output
    assert "Campaign 2" in replanned.output and "'Boots (copy)': draft" in replanned.output
    assert "Winter boots: 20% off." in replanned.output, "written again from the brief"
    assert "20 % Rabatt." in replanned.output, "in every language of the brief"
    assert "written by offline" in replanned.output
    assert copied.exit_code == 0, copied.output
    assert "Campaign 3" in copied.output and "Winter boots: 20% off." in copied.output


def test_a_campaign_without_a_brief_is_not_re_planned_and_says_how_to_clone_it(
    cli_data_dir: Path,
) -> None:
    async def hand_written() -> int:
        from marketing_agent.orchestrator import flows
        from marketing_agent.orchestrator.schemas import CampaignCreate, VariantIn

        settings = get_settings()
        database = Database(settings.resolved_database_url)
        async with database.session() as session:
            campaign = await flows.create_campaign(
                session=session,
                settings=settings,
                campaign_in=CampaignCreate(
                    name="Hand",
                    goal="Boots",
                    variants=[VariantIn(text="Boots are in. STOP to opt out.")],
                ),
                actor="test",
            )
            await session.commit()
        await database.dispose()
        return campaign.id

    campaign_id = asyncio.run(hand_written())
    runner = CliRunner()

    refused = runner.invoke(app, ["campaigns", "clone", str(campaign_id), "--replan"])
    unknown = runner.invoke(app, ["campaigns", "clone", "999", "--replan"])

    assert refused.exit_code == 2, refused.output
    assert "was not planned from a brief" in refused.output
    assert "clone it without re-planning" in refused.output
    assert unknown.exit_code == 2, unknown.output
    assert "999" in unknown.output or "not found" in unknown.output.lower()
    assert "Campaign 2" not in refused.output + unknown.output

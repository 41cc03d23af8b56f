"""`marketing-agent agent ask` and `agent budget`: the strategist and its budgets, in a shell."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from marketing_agent.cli import app
from tests.orchestrator.test_campaigns_cli import cli_data_dir  # noqa: F401 - the fixture


def test_a_question_is_answered_with_its_sources(cli_data_dir: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(app, ["agent", "ask", "Which campaigns do I have?"])

    assert result.exit_code == 0, result.output
    assert "There are no campaigns yet [S1]." in result.output
    assert "S1 list_campaigns" in result.output and "offline rules, no LLM" in result.output


def test_a_campaigns_budget_is_shown_and_set(cli_data_dir: Path) -> None:  # noqa: F811
    runner = CliRunner()
    created = runner.invoke(
        app, ["campaigns", "create", "--name", "Boots", "--product", "Winter boots"]
    )
    assert created.exit_code == 0, created.output

    workspace = runner.invoke(app, ["agent", "budget"])
    own = runner.invoke(app, ["agent", "budget", "--campaign", "1", "--set", "1.5"])
    missing = runner.invoke(app, ["agent", "budget", "--campaign", "99"])

    assert "today: $0.0000 of $5.0000 (0%) ok" in workspace.output
    assert own.exit_code == 0, own.output
    assert "campaign 1 (its own budget): $0.0000 of $1.5000 (0%) ok" in own.output
    assert missing.exit_code == 2 and "not found" in missing.output.lower()

"""`marketing-agent agent ask|budget|prompts` and `inbox`: the strategist, its budgets and
prompts, and the reply inbox, in a shell."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from marketing_agent.agent.prompts import SHIPPED
from marketing_agent.cli import app
from marketing_agent.core.db import Database
from marketing_agent.core.settings import get_settings
from tests.agent.test_reply_inbox import reply, subscribed_contact
from tests.factories import make_sender, track_database
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


def test_a_prompt_is_listed_shown_previewed_edited_and_reset(
    cli_data_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    draft = tmp_path / "chat.txt"
    draft.write_text(SHIPPED.chat_system.text + "\nSign off as: your strategist.\n")

    listed = runner.invoke(app, ["agent", "prompts", "list"])
    shown = runner.invoke(app, ["agent", "prompts", "show", "chat_system"])
    preview = runner.invoke(app, ["agent", "prompts", "preview", "plan_user"])
    saved = runner.invoke(
        app, ["agent", "prompts", "set", "chat_system", "--file", str(draft), "--note", "sign"]
    )
    after = runner.invoke(app, ["agent", "prompts", "show", "chat_system", "--history"])
    reset = runner.invoke(app, ["agent", "prompts", "reset", "chat_system"])

    assert listed.exit_code == 0, listed.output
    assert "plan_system" in listed.output and "chat_system" in listed.output
    assert shown.exit_code == 0 and SHIPPED.chat_system.text in shown.stdout
    assert "The new winter boots collection" in preview.stdout and "$" not in preview.stdout
    assert saved.exit_code == 0, saved.output
    assert f"Saved chat_system@{SHIPPED.chat_system.version}.edit1" in saved.output
    assert "Sign off as: your strategist." in after.stdout and "sign" in after.output
    assert reset.exit_code == 0
    assert (
        f"runs the shipped text again (chat_system@{SHIPPED.chat_system.version})" in reset.output
    )


def test_bad_prompt_commands_say_what_is_wrong(cli_data_dir: Path) -> None:  # noqa: F811
    runner = CliRunner()

    unknown = runner.invoke(app, ["agent", "prompts", "show", "nope"])
    bad = runner.invoke(app, ["agent", "prompts", "set", "plan_user", "--text", "Hi $email"])
    both = runner.invoke(app, ["agent", "prompts", "set", "plan_user"])

    assert unknown.exit_code == 2 and "There is no prompt 'nope'" in unknown.output
    assert bad.exit_code == 2 and "$email" in bad.output and "Traceback" not in bad.output
    assert both.exit_code == 2 and "exactly one of --text or --file" in both.output


def test_the_reply_inbox_is_listed_answered_and_dismissed(cli_data_dir: Path) -> None:  # noqa: F811
    async def two_questions() -> None:
        db = track_database(Database(get_settings().resolved_database_url))
        sender_id = await make_sender(db)
        for telegram_id in (7_300_001, 7_300_002):
            await subscribed_contact(db, sender_id, telegram_id, "en")
            await reply(db, sender_id, telegram_id, "Do you have size 46?")
        await db.dispose()

    asyncio.run(two_questions())
    runner = CliRunner()

    listed = runner.invoke(app, ["inbox", "list"])
    # This process's simulated bot was never started by them: Telegram refuses, clearly.
    undeliverable = runner.invoke(app, ["inbox", "answer", "1"])
    still_open = runner.invoke(app, ["inbox", "list"])
    dismissed = runner.invoke(app, ["inbox", "dismiss", "2"])
    again = runner.invoke(app, ["inbox", "answer", "2", "--text", "Yes"])
    missing = runner.invoke(app, ["inbox", "dismiss", "99"])
    wrong = runner.invoke(app, ["inbox", "list", "--status", "closed"])
    closed = runner.invoke(app, ["inbox", "list", "--status", "dismissed"])

    assert listed.exit_code == 0, listed.output
    assert "question" in listed.output and "2 of 2" in listed.output
    assert "Thank" in listed.output, "the suggested answer is shown"
    assert undeliverable.exit_code == 2 and "never started it" in undeliverable.output
    assert "Traceback" not in undeliverable.output and "2 of 2" in still_open.output
    assert dismissed.exit_code == 0 and "Dismissed reply 2" in dismissed.output
    assert again.exit_code == 2 and "only an open reply can be handled" in again.output
    assert missing.exit_code == 2 and "Reply 99 does not exist" in missing.output
    assert wrong.exit_code == 2 and "--status must be one of" in wrong.output
    assert "1 of 1" in closed.output

"""The agent module's commands: `marketing-agent agent prompts list|show|preview|set|reset` (the
strategist's prompts, versioned and audited as in the UI) and `marketing-agent inbox
list|answer|dismiss` (recipients' replies). `add_agent_commands` registers them on the CLI's
groups; the CLI hands over its settings and one-shot runner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

DataDir = Annotated[Path | None, typer.Option(help="Where the SQLite file and keys live.")]
PromptName = Annotated[
    str, typer.Argument(help="plan_system, plan_user or chat_system (see `prompts list`).")
]
ReplyId = Annotated[int, typer.Argument(min=1, help="The reply's id (see `inbox list`).")]
CLI_ACTOR = "cli"


def add_agent_commands(
    agent_group: typer.Typer,
    inbox_group: typer.Typer,
    *,
    settings_of: Callable[[Path | None], Any],
    one_shot: Callable[[Any, Callable[[Any], Awaitable[Any]]], Coroutine[Any, Any, Any]],
) -> None:
    """Registers `prompts ...` on the agent group and list, answer, dismiss on the inbox one."""
    import asyncio

    from marketing_agent.agent.schemas import MAX_PROMPT_CHARS
    from marketing_agent.core.console import fail
    from marketing_agent.core.errors import MarketingAgentError

    console = Console()
    err_console = Console(stderr=True)
    prompts_group = typer.Typer(
        help="The strategist's prompts: list, show, preview, edit (a new version), reset.",
        no_args_is_help=True,
    )
    agent_group.add_typer(prompts_group, name="prompts")

    def run(data_dir: Path | None, command: Callable[[Any], Awaitable[Any]]) -> Any:
        try:
            return asyncio.run(one_shot(settings_of(data_dir), command))
        except MarketingAgentError as exc:
            fail(exc)

    def text_of(text: str | None, file: Path | None) -> str:
        if (text is None) == (file is None):
            err_console.print("[red]Give the new text with exactly one of --text or --file.[/]")
            raise typer.Exit(2)
        if file is not None:
            try:
                return file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                err_console.print(f"[red]Cannot read {file}: {exc}.[/]")
                raise typer.Exit(2) from None
        assert text is not None
        return text

    @prompts_group.command("list")
    def prompts_list(data_dir: DataDir = None) -> None:
        """Each prompt: the version that runs now, whether a person edited it, what it is for."""
        rows = run(data_dir, lambda runtime: runtime.strategist.list_prompts())
        table = Table("name", "runs now", "edited", "versions saved", "purpose")
        for prompt in rows:
            table.add_row(
                prompt.name,
                prompt.label,
                "yes" if prompt.edited else "no",
                str(len(prompt.history)),
                prompt.purpose,
            )
        console.print(table)

    @prompts_group.command("show")
    def prompts_show(
        name: PromptName,
        history: Annotated[bool, typer.Option(help="List the saved versions too.")] = False,
        data_dir: DataDir = None,
    ) -> None:
        """Print the text that runs now (exactly, for `set --file`), its version to stderr."""
        prompt = run(data_dir, lambda runtime: runtime.strategist.read_prompt(name))
        err_console.print(
            f"[dim]{prompt.label}{' (edited)' if prompt.edited else ''}; placeholders: "
            f"{', '.join('$' + p for p in prompt.placeholders) or 'none'}[/]"
        )
        print(prompt.text)
        if history:
            for edit in prompt.history:
                what = "reset to the shipped file" if edit.reset else "edited"
                err_console.print(
                    f"[dim]{edit.label}: {what} by {edit.created_by} at "
                    f"{edit.created_at:%Y-%m-%d %H:%M} — {edit.note or '(no note)'}[/]"
                )

    @prompts_group.command("preview")
    def prompts_preview(
        name: PromptName,
        file: Annotated[
            Path | None, typer.Option(help="Preview this draft text instead of the saved one.")
        ] = None,
        data_dir: DataDir = None,
    ) -> None:
        """Print the prompt filled in for a sample brief, as the model would read it."""
        draft = text_of(None, file) if file is not None else None

        async def fill(runtime: Any) -> Any:
            return await runtime.strategist.preview_prompt(name=name, text=draft, brief=None)

        preview = run(data_dir, fill)
        err_console.print(f"[dim]{preview.label}, for the sample brief “{preview.brief.name}”[/]")
        print(preview.rendered)

    @prompts_group.command("set")
    def prompts_set(
        name: PromptName,
        text: Annotated[str | None, typer.Option(help="The new text.")] = None,
        file: Annotated[Path | None, typer.Option(help="Read the new text from a file.")] = None,
        note: Annotated[str, typer.Option(help="Why (kept in the history).")] = "",
        data_dir: DataDir = None,
    ) -> None:
        """Save a new version of a prompt (audited); the next plan or answer runs it."""
        new_text = text_of(text, file)
        if not new_text.strip() or len(new_text) > MAX_PROMPT_CHARS or len(note) > 500:
            err_console.print(
                f"[red]The text must be 1 to {MAX_PROMPT_CHARS} characters, the note at most "
                "500.[/]"
            )
            raise typer.Exit(2)

        async def save(runtime: Any) -> Any:
            return await runtime.strategist.save_prompt(
                name=name, text=new_text, note=note, actor=CLI_ACTOR
            )

        prompt = run(data_dir, save)
        console.print(f"Saved {prompt.label}; the next plan or answer runs it.")

    @prompts_group.command("reset")
    def prompts_reset(name: PromptName, data_dir: DataDir = None) -> None:
        """Go back to the shipped text (kept as a version in the history, audited)."""

        async def reset(runtime: Any) -> Any:
            return await runtime.strategist.save_prompt(
                name=name, text=None, note="Reset to the shipped version", actor=CLI_ACTOR
            )

        prompt = run(data_dir, reset)
        console.print(f"{prompt.name} runs the shipped text again ({prompt.label}).")

    @agent_group.command("usage")
    def usage_show(
        months: Annotated[int, typer.Option(min=1, max=36, help="Calendar months back.")] = 12,
        calls: Annotated[int, typer.Option(min=0, max=500, help="Newest calls to list.")] = 20,
        campaign: Annotated[
            int | None, typer.Option(help="Only this campaign's calls.", min=1)
        ] = None,
        data_dir: DataDir = None,
    ) -> None:
        """LLM spend per month and per campaign, the budgets' state and the newest calls."""
        from marketing_agent.agent import usage
        from marketing_agent.core import clock

        async def load(runtime: Any) -> Any:
            async with runtime.database.session() as session:
                report = await usage.report(session=session, now=clock.now(), months=months)
                rows, total = await usage.list_calls(
                    session=session, campaign_id=campaign, limit=max(calls, 1)
                )
            budget = await runtime.strategist.budget()
            return report, rows[:calls], total, budget

        report, rows, total, budget = run(data_dir, load)
        console.print(
            f"Today {_usd(budget.day.spent_usd_micros)} of {_usd(budget.day.limit_usd_micros)}; "
            f"this month {_usd(budget.month.spent_usd_micros)} of "
            f"{_usd(budget.month.limit_usd_micros)}"
            + (" — used up: LLM calls are refused." if budget.exhausted else "")
            + (" — over 80% used." if budget.warning and not budget.exhausted else "")
        )
        by_month = Table("month", "calls", "input tokens", "output tokens", "cost")
        for line in report.months:
            by_month.add_row(
                line.month,
                str(line.calls),
                f"{line.input_tokens:,}",
                f"{line.output_tokens:,}",
                _usd(line.cost_usd_micros),
            )
        console.print(by_month if report.months else "No LLM calls in these months.")
        if report.campaigns:
            by_campaign = Table("campaign", "calls", "cost")
            for spent in report.campaigns:
                by_campaign.add_row(
                    str(spent.campaign_id), str(spent.calls), _usd(spent.cost_usd_micros)
                )
            console.print(by_campaign)
        if calls and rows:
            listed = Table()
            for column in ("when (UTC)", "purpose", "campaign", "model", "tokens in/out", "cost"):
                listed.add_column(column, overflow="fold")
            for call in rows:
                listed.add_row(
                    f"{call.created_at:%Y-%m-%d %H:%M}",
                    call.purpose,
                    str(call.campaign_id or ""),
                    call.model,
                    f"{call.input_tokens:,}/{call.output_tokens:,}",
                    _usd(call.cost_usd_micros),
                )
            console.print(listed)
            console.print(f"{len(rows)} of {total} call(s).")

    @inbox_group.command("list")
    def inbox_list(
        status: Annotated[
            str | None,
            typer.Option(help="open, answered, dismissed or opted_out (default: every one)."),
        ] = "open",
        limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
        data_dir: DataDir = None,
    ) -> None:
        """Recipients' replies, newest first, with their intent and a suggested answer."""
        from marketing_agent.agent import inbox
        from marketing_agent.agent.schemas import InboxStatus

        known = [s.value for s in InboxStatus]
        if status is not None and status not in known:
            err_console.print(f"[red]--status must be one of {', '.join(known)}.[/]")
            raise typer.Exit(2)

        async def load(runtime: Any) -> Any:
            async with runtime.database.session() as session:
                return await inbox.list_replies(
                    session=session,
                    status=InboxStatus(status) if status else None,
                    limit=limit,
                )

        rows, total = run(data_dir, load)
        if not rows:
            console.print(f"No {status or ''} replies.".replace("  ", " "))
            return
        table = Table("id", "received", "intent", "lang", "status", "reply", "suggested answer")
        for row in rows:
            table.add_row(
                str(row.id),
                f"{row.received_at:%Y-%m-%d %H:%M}",
                row.intent,
                row.language,
                row.status,
                row.text,
                row.suggested_answer or "",
            )
        console.print(table)
        console.print(f"{len(rows)} of {total}.")

    @inbox_group.command("answer")
    def inbox_answer(
        reply_id: ReplyId,
        text: Annotated[
            str | None, typer.Option(help="The answer; without it, the suggested answer.")
        ] = None,
        data_dir: DataDir = None,
    ) -> None:
        """Send an answer to the person who replied (safety-checked, through the sender that
        received the reply), and close the reply."""
        from marketing_agent.agent import inbox
        from marketing_agent.agent.schemas import MAX_MESSAGE_CHARS
        from marketing_agent.core.errors import ValidationFailed, field_error

        async def answer(runtime: Any) -> Any:
            async with runtime.database.session() as session:
                row = await inbox.get_reply_or_raise(session=session, reply_id=reply_id)
                inbox.ensure_open(row)
                body = (text if text is not None else row.suggested_answer or "").strip()
                if not body:
                    raise ValidationFailed(
                        [field_error(("text",), "give the answer with --text")],
                        detail=f"Reply {reply_id} has no suggested answer; give one with --text.",
                    )
                if len(body) > MAX_MESSAGE_CHARS:
                    raise ValidationFailed(
                        [field_error(("text",), f"at most {MAX_MESSAGE_CHARS} characters")]
                    )
                return await inbox.answer_reply(
                    session=session,
                    reply_id=reply_id,
                    text=body,
                    actor=CLI_ACTOR,
                    transports=runtime.transports,
                    limits=runtime.limits,
                )

        row = run(data_dir, answer)
        console.print(f"Answered reply {row.id}: “{row.answer_text}”")

    @inbox_group.command("dismiss")
    def inbox_dismiss(reply_id: ReplyId, data_dir: DataDir = None) -> None:
        """Close a reply without answering it."""
        from marketing_agent.agent import inbox

        async def dismiss(runtime: Any) -> Any:
            async with runtime.database.session() as session:
                return await inbox.dismiss(session=session, reply_id=reply_id, actor=CLI_ACTOR)

        row = run(data_dir, dismiss)
        console.print(f"Dismissed reply {row.id}.")


def _usd(micros: int) -> str:
    """Returns micro-USD as dollars: 4000 -> "$0.0040"."""
    return f"${micros / 1_000_000:,.4f}"

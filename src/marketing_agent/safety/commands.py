"""The safety module's commands under `marketing-agent safety`: check a text as the send path
would (the workspace's phrase lists, blacklist and rules) and redact personal data from one
(`add_safety_commands` registers them). The same verdicts as the API and the Safety page."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:  # the CLI starts fast: the database layer loads only when a command runs
    from marketing_agent.core.settings import Settings
    from marketing_agent.safety.schemas import ContentVerdict

DataDir = Annotated[Path | None, typer.Option(help="Where the SQLite file and keys live.")]
TextArg = Annotated[str, typer.Argument(help="The exact text; '-' reads it from standard input.")]
SettingsOf = Callable[[Path | None], "Settings"]
OneShot = Callable[["Settings", Callable[[Any], Awaitable[Any]]], Coroutine[Any, Any, Any]]
ParseMode = Literal["HTML", "MarkdownV2", "Markdown"]


def add_safety_commands(
    safety_app: typer.Typer, *, settings_of: SettingsOf, one_shot: OneShot
) -> None:
    """Registers `check` and `redact` under `marketing-agent safety`."""

    @safety_app.command("check")
    def check(
        text: TextArg,
        parse_mode: Annotated[
            ParseMode | None, typer.Option(help="The parse mode the text is sent with.")
        ] = None,
        caption: Annotated[
            bool, typer.Option("--caption", help="A media caption (1024 units, not 4096).")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
        data_dir: DataDir = None,
    ) -> None:
        """Check a text against the workspace's lists and rules: allow, review or block, the risk
        score and every reason with its span. Exits 1 when the text would be blocked."""
        from marketing_agent.safety import service as safety
        from marketing_agent.safety.telegram_rules import CAPTION_MAX, TEXT_MAX

        body = _read(text)

        async def run(runtime: Any) -> ContentVerdict:
            async with runtime.database.session() as session:
                return await safety.check_content(
                    session=session,
                    text=body,
                    parse_mode=parse_mode,
                    max_len=CAPTION_MAX if caption else TEXT_MAX,
                    rules=runtime.policies.content_rules,
                )

        verdict: ContentVerdict = asyncio.run(one_shot(settings_of(data_dir), run))
        if as_json:
            Console().print_json(verdict.model_dump_json())
        else:
            _print_verdict(verdict)
        if not verdict.allowed:
            raise typer.Exit(1)

    @safety_app.command("redact")
    def redact(text: TextArg) -> None:
        """Print the text with each e-mail, phone, card, IBAN, crypto address, IP address,
        national identifier and secret replaced by its type ("[EMAIL]")."""
        from marketing_agent.safety import service as safety

        print(safety.redact(_read(text)))


def _read(text: str) -> str:
    return sys.stdin.read() if text == "-" else text


def _print_verdict(verdict: ContentVerdict) -> None:
    colour = {"allow": "green", "review": "yellow", "block": "bold red"}[verdict.decision]
    console = Console(highlight=False)
    console.print(f"[{colour}]{verdict.decision}[/] (risk {verdict.risk_score:.2f})")
    for reason in verdict.reasons:
        where = f" at {reason.span[0]}-{reason.span[1]}" if reason.span else ""
        shown = f": {escape(repr(reason.match))}" if reason.match else ""
        console.print(f"  {reason.severity:5s} {escape(reason.message)}{where}{shown}")

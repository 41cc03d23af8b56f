"""How the CLI's commands report a refused step: the API's title, detail and every bad field's
location on stderr, exit code 2, no traceback. One place, so every command reads the same."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from marketing_agent.core.errors import MarketingAgentError


def out() -> Console:
    """The console for a command's output, built at each use: one built at import would freeze
    the width (COLUMNS, the terminal) of whatever first imported the CLI."""
    return Console()


def err() -> Console:
    """The console for a command's complaints (stderr), built at each use like `out`."""
    return Console(stderr=True)


def fail(exc: MarketingAgentError) -> NoReturn:
    """Prints `exc` as the API would say it and exits with code 2."""
    complaint = err()
    complaint.print(f"[bold red]{exc.title}:[/] {exc.detail}")
    for error in getattr(exc, "errors", []):
        loc = ".".join(str(part) for part in error["loc"])
        complaint.print(f"  [red]•[/] {loc}: {error['msg']}")
    raise typer.Exit(2)

"""The compliance module's commands under `marketing-agent audit`: verifying an export offline,
against the head hashes exported on a schedule (`add_audit_commands` registers them)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:  # the CLI starts fast: the database layer loads only when a command runs
    from marketing_agent.compliance.audit import HeadAnchor
    from marketing_agent.compliance.schemas import AuditVerification


AnchorsFile = Annotated[
    Path | None,
    typer.Option(
        "--anchors",
        help="A file of head hashes exported earlier (MA_AUDIT_HEAD_EXPORT), one JSON a line: "
        "a rewrite of the whole chain fails against them.",
        exists=True,
        dir_okay=False,
    ),
]


def read_anchors(path: Path | None) -> list[HeadAnchor]:
    """Returns the anchors of `path` (none when None); a malformed file is a clear error."""
    from marketing_agent.compliance import service as compliance

    if path is None:
        return []
    try:
        return compliance.parse_head_anchors(path.read_text(encoding="utf-8").splitlines())
    except (ValueError, KeyError, TypeError) as exc:
        Console(stderr=True).print(f"[bold red]Not a head-export file:[/] {path} ({exc})")
        raise typer.Exit(2) from exc


def report(result: AuditVerification, what: str) -> None:
    """Prints the verification; exits 1 when the chain is broken."""
    if result.ok:
        matched = result.anchors_checked
        anchored = f", {matched} exported heads matched" if matched else ""
        Console().print(
            f"[green]{what} intact:[/] {result.checked} entries verified{anchored}; "
            f"head {result.head_hash}."
        )
        return
    Console(stderr=True).print(
        f"[bold red]{what} tampered:[/] entry {result.first_bad_seq}: {result.reason} "
        f"({result.checked} entries before it are intact)."
    )
    raise typer.Exit(1)


def verify_export(
    export: Annotated[
        Path, typer.Argument(help="A file written by `audit export`.", exists=True, dir_okay=False)
    ],
    anchors: AnchorsFile = None,
) -> None:
    """Verify an audit export offline: every hash and link, its head line, and the exported
    heads."""
    from marketing_agent.compliance import service as compliance

    with export.open(encoding="utf-8") as lines:
        result = compliance.verify_audit_export(lines, read_anchors(anchors))
    report(result, "Audit export")


def add_audit_commands(audit_app: typer.Typer) -> None:
    """Registers the commands of this file under `marketing-agent audit`."""
    audit_app.command("verify-export")(verify_export)

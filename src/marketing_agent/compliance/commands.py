"""The compliance module's commands: under `marketing-agent audit`, verifying an export offline
against the head hashes exported on a schedule (`add_audit_commands` registers them); under
`marketing-agent privacy`, extending or rejecting a data-subject request
(`add_request_commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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


RequestArg = Annotated[int, typer.Argument(help="The request's id (see `privacy requests`).")]
Reason = Annotated[str, typer.Option("--reason", help="Told to the requester (10+ characters).")]
Actor = Annotated[str, typer.Option(help="Who decides, for the audit log.")]


def extend_request(request: RequestArg, reason: Reason, actor: Actor = "cli:operator") -> None:
    """Extend an open request's deadline once, within it (GDPR two months, CCPA 45 days)."""
    _decide_request(request, "extend", reason, actor)


def reject_request(request: RequestArg, reason: Reason, actor: Actor = "cli:operator") -> None:
    """Close an open request without acting on it, with the reason told to the requester."""
    _decide_request(request, "reject", reason, actor)


def _decide_request(request_id: int, action: str, reason: str, actor: str) -> None:
    import asyncio

    from pydantic import ValidationError

    from marketing_agent.compliance.schemas import RequestExtension
    from marketing_agent.core.errors import MarketingAgentError
    from marketing_agent.core.settings import get_settings

    err = Console(stderr=True)
    try:
        RequestExtension(reason=reason)  # the API's rule for a reason
    except ValidationError as exc:
        err.print(f"[bold red]Invalid reason:[/] {exc.errors()[0]['msg']}")
        raise typer.Exit(2) from exc
    get_settings.cache_clear()
    try:
        read = asyncio.run(
            _decide(get_settings().resolved_database_url, request_id, action, reason, actor)
        )
    except MarketingAgentError as exc:
        err.print(f"[bold red]{exc.title}:[/] {exc.detail}")
        raise typer.Exit(2) from exc
    if action == "extend":
        Console().print(
            f"[green]Request {request_id} extended:[/] due {read.due_at.date().isoformat()} "
            f"(was {read.original_due_at.date().isoformat() if read.original_due_at else '?'})."
        )
    else:
        Console().print(f"[green]Request {request_id} rejected.[/]")


async def _decide(url: str, request_id: int, action: str, reason: str, actor: str) -> Any:
    from marketing_agent.compliance import service as compliance
    from marketing_agent.core.db import Database

    db = Database(url)
    try:
        async with db.session() as session:
            decide = compliance.extend_request if action == "extend" else compliance.reject_request
            request = await decide(
                session=session, request_id=request_id, reason=reason, actor=actor
            )
            return compliance.request_read(request)
    finally:
        await db.dispose()


def add_request_commands(privacy_app: typer.Typer) -> None:
    """Registers the request decisions under `marketing-agent privacy`."""
    privacy_app.command("extend")(extend_request)
    privacy_app.command("reject")(reject_request)

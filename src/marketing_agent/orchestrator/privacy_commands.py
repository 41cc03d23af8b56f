"""`marketing-agent privacy create|verify|complete`: a data-subject request from the command line,
from its receipt through the identity check to its completion, each step audited as through the
API (`privacy list` lists them; `extend` and `reject` are compliance/commands.py's)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:  # the CLI starts fast: the database layer loads only when a command runs
    from marketing_agent.compliance.service import PrivacyRequestRead
    from marketing_agent.core.settings import Settings

RequestArg = Annotated[int, typer.Argument(help="The request's id (see `privacy list`).")]
Actor = Annotated[str, typer.Option(help="Who acts, for the audit log.")]


def create(
    kind: Annotated[
        str,
        typer.Argument(
            help="access, rectification, erasure, restriction, objection or ccpa_opt_out."
        ),
    ],
    contact: Annotated[int, typer.Option("--contact", help="The contact it is about.")],
    regime: Annotated[str, typer.Option(help="gdpr (one month) or ccpa (45 days).")] = "gdpr",
    channel: Annotated[str, typer.Option(help="How it reached us.")] = "cli",
    details: Annotated[
        str | None,
        typer.Option(help='What was asked, as JSON; rectification: {"changes": {...}}.'),
    ] = None,
    actor: Actor = "cli:operator",
) -> None:
    """Record a data-subject request and start its legal deadline."""
    body: dict[str, Any] = {"kind": kind, "regime": regime, "contact_id": contact}
    body["channel"] = channel
    if details:
        try:
            body["details"] = json.loads(details)
        except json.JSONDecodeError as exc:
            _fail_input(f"--details is not JSON: {exc}")
    read = _run(_create(body, actor))
    Console().print(
        f"[green]Request {read.id} recorded:[/] {read.kind.value} ({read.regime.value}) for "
        f"contact {read.contact_id}, due {read.due_at.date().isoformat()}; verify the "
        "requester's identity next."
    )


def verify(
    request: RequestArg,
    method: Annotated[
        str, typer.Option("--method", help="How the requester proved to be the person.")
    ],
    actor: Actor = "cli:operator",
) -> None:
    """Record the identity check of a request; it is acted on only after it."""
    read = _run(_verify(request, method, actor))
    Console().print(f"[green]Request {read.id} verified[/] ({read.verification}).")


def complete(
    request: RequestArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for an erasure.")] = False,
    actor: Actor = "cli:operator",
) -> None:
    """Carry out a verified request and close it (an erasure is irreversible)."""
    if not yes:
        kind = _run(_kind_of(request))
        if kind == "erasure":
            typer.confirm(f"Request {request} erases the person irreversibly. Go on?", abort=True)
    read = _run(_complete(request, actor))
    Console().print(f"[green]Request {read.id} completed:[/] {read.outcome}")


def add_privacy_commands(privacy_app: typer.Typer) -> None:
    """Registers the request's steps under `marketing-agent privacy`."""
    privacy_app.command("create")(create)
    privacy_app.command("verify")(verify)
    privacy_app.command("complete")(complete)


def _fail_input(message: str) -> None:
    Console(stderr=True).print(f"[bold red]Invalid input:[/] {message}")
    raise typer.Exit(2)


def _run(step: Any) -> Any:
    """Runs one step; a domain error or bad input is the API's message, exit 2, no traceback."""
    from pydantic import ValidationError

    from marketing_agent.core.console import fail
    from marketing_agent.core.errors import MarketingAgentError

    err = Console(stderr=True)
    try:
        return asyncio.run(step)
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(part) for part in error["loc"])
            err.print(f"[bold red]Invalid input:[/] {loc}: {error['msg']}")
        raise typer.Exit(2) from exc
    except MarketingAgentError as exc:
        fail(exc)


def _settings() -> Settings:
    from marketing_agent.core.settings import get_settings

    get_settings.cache_clear()
    return get_settings()


async def _create(body: dict[str, Any], actor: str) -> PrivacyRequestRead:
    from marketing_agent.compliance import service as compliance
    from marketing_agent.core.db import Database
    from marketing_agent.orchestrator import service as orchestrator

    request_in = compliance.PrivacyRequestCreate.model_validate(body)
    db = Database(_settings().resolved_database_url)
    try:
        async with db.session() as session:
            await orchestrator.get_contact_or_raise(
                session=session, contact_id=request_in.contact_id
            )
            request = await compliance.create_request(
                session=session, request_in=request_in, actor=actor
            )
            return compliance.request_read(request)
    finally:
        await db.dispose()


async def _verify(request_id: int, method: str, actor: str) -> PrivacyRequestRead:
    from marketing_agent.compliance import service as compliance
    from marketing_agent.core.db import Database

    checked = compliance.IdentityVerification(method=method)  # the API's rule for a method
    db = Database(_settings().resolved_database_url)
    try:
        async with db.session() as session:
            request = await compliance.verify_request_identity(
                session=session, request_id=request_id, method=checked.method, actor=actor
            )
            return compliance.request_read(request)
    finally:
        await db.dispose()


async def _kind_of(request_id: int) -> str:
    from marketing_agent.compliance import service as compliance
    from marketing_agent.core.db import Database

    db = Database(_settings().resolved_database_url)
    try:
        async with db.session() as session:
            request = await compliance.get_request_or_raise(session=session, request_id=request_id)
            return request.kind
    finally:
        await db.dispose()


async def _complete(request_id: int, actor: str) -> PrivacyRequestRead:
    from marketing_agent.compliance import service as compliance
    from marketing_agent.core.db import Database
    from marketing_agent.orchestrator import privacy

    settings = _settings()
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            read = await privacy.complete_request(
                session=session,
                key=compliance.SuppressionKey.from_settings(settings),
                request_id=request_id,
                actor=actor,
            )
        await privacy.flush_erased_pages(db)
        return read
    finally:
        await db.dispose()

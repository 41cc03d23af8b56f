"""The `marketing-agent` command: run the app, migrate, the simulated demo, and operations."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from marketing_agent.core.errors import MarketingAgentError
from marketing_agent.core.settings import Settings, get_settings

app = typer.Typer(
    help="Marketing Intelligence Agent: consent-first campaigns on Telegram.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
deliveries_app = typer.Typer(
    help="Dead-lettered and in-doubt deliveries, and their re-drive.", no_args_is_help=True
)
app.add_typer(deliveries_app, name="deliveries")
accounts_app = typer.Typer(
    help="Telegram senders: bots and user accounts, their logins and health.",
    no_args_is_help=True,
)
app.add_typer(accounts_app, name="accounts")
keys_app = typer.Typer(help="The key that encrypts stored secrets.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console()
err_console = Console(stderr=True)


def _fail(exc: MarketingAgentError) -> None:
    err_console.print(f"[bold red]{exc.title}:[/] {exc.detail}")
    for error in getattr(exc, "errors", []):
        loc = ".".join(str(part) for part in error["loc"])
        err_console.print(f"  [red]•[/] {loc}: {error['msg']}")
    raise typer.Exit(2)


def _settings(data_dir: Path | None) -> Settings:
    if data_dir is not None:
        os.environ["MA_DATA_DIR"] = str(data_dir)
    get_settings.cache_clear()
    return get_settings()


DataDir = Annotated[Path | None, typer.Option(help="Where the SQLite file and keys live.")]


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Create or upgrade the database schema."""
    from marketing_agent.migrate import upgrade_settings

    settings = _settings(data_dir)
    upgrade_settings(settings)
    console.print(f"[green]Database ready:[/] {_safe_url(settings.resolved_database_url)}")


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[bool, typer.Option(help="Seed demo contacts, consents and a bot.")] = True,
    admin_password: Annotated[str | None, typer.Option(help="Set the admin's password.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Everything in one process: API, admin UI, scheduler and worker, on the embedded default."""
    import uvicorn

    from marketing_agent.bootstrap import prepare
    from marketing_agent.gateway.app import create_app

    settings = _settings(data_dir)
    host, port = host or settings.host, port or settings.port
    try:
        password = asyncio.run(prepare(settings, demo=demo, admin_password=admin_password))
    except MarketingAgentError as exc:
        _fail(exc)
    url = f"http://{host}:{port}/"
    console.print(f"\n[bold green]Marketing Intelligence Agent[/] is starting at [bold]{url}[/]")
    if admin_password:
        console.print("  log in as [bold]admin[/] with the password you gave")
    elif password:
        console.print(f"  log in as [bold]admin[/] with the one-time password [bold]{password}[/]")
    else:
        console.print("  log in as [bold]admin[/] (password unchanged; --admin-password sets it)")
    console.print("  API docs at " + url + "docs · Ctrl-C stops\n")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@app.command()
def scheduler(data_dir: DataDir = None) -> None:
    """Only the scheduler: recurring runs, due campaigns, completions and inbound updates.

    One is active at a time; on PostgreSQL (MA_DATABASE_URL) more stand by and one takes over
    within seconds when the active one dies. Run `marketing-agent migrate` first.
    """
    from marketing_agent.orchestrator.scheduled import serve_scheduler

    settings = _settings(data_dir)
    try:
        asyncio.run(serve_scheduler(settings))
    except MarketingAgentError as exc:
        _fail(exc)


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDir = None,
) -> None:
    """The API and admin UI only, no background loops: any number behind a load balancer
    (scale mode, with MA_DATABASE_URL and MA_REDIS_URL). Run `migrate` once before."""
    import uvicorn

    from marketing_agent.gateway.app import create_app

    settings = _settings(data_dir).model_copy(update={"run_worker": False, "run_scheduler": False})
    host, port = host or settings.host, port or settings.port
    console.print(f"[bold green]API[/] at http://{host}:{port}/ (no worker, no scheduler)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@app.command()
def worker(data_dir: DataDir = None) -> None:
    """The delivery worker only: any number of processes share the queue (PostgreSQL) and the
    senders' limits (Redis when MA_REDIS_URL is set). SIGTERM or Ctrl-C stops it cleanly."""
    from marketing_agent.orchestrator.runner import run_worker

    settings = _settings(data_dir)
    try:
        asyncio.run(run_worker(settings))
    except MarketingAgentError as exc:
        _fail(exc)


@deliveries_app.command("list")
def deliveries_list(
    state: Annotated[str, typer.Option(help="dead or in_doubt (or any delivery state).")] = "dead",
    campaign: Annotated[int | None, typer.Option(help="Only this campaign.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    data_dir: DataDir = None,
) -> None:
    """List deliveries in a state: the dead letters (`dead`) and the in-doubt sends."""
    from rich.table import Table

    from marketing_agent.orchestrator.runner import list_deliveries

    settings = _settings(data_dir)
    try:
        rows, total = asyncio.run(
            list_deliveries(settings, state=state, campaign_id=campaign, limit=limit)
        )
    except MarketingAgentError as exc:
        _fail(exc)
    table = Table(title=f"{total} deliveries in state '{state}'")
    for column in ("id", "campaign", "contact", "attempts", "reason", "updated"):
        table.add_column(column)
    for row in rows:
        updated = row.updated_at.isoformat(timespec="seconds") if row.updated_at else ""
        table.add_row(
            str(row.id),
            str(row.campaign_id),
            str(row.contact_id),
            str(row.attempts),
            row.reason or "",
            updated,
        )
    console.print(table)


@deliveries_app.command("redrive")
def deliveries_redrive(
    campaign: Annotated[int, typer.Argument(help="The campaign's id.")],
    dead: Annotated[bool, typer.Option(help="Queue the dead-lettered deliveries again.")] = True,
    in_doubt: Annotated[
        bool, typer.Option(help="Queue the in-doubt ones again (a bot may send them twice).")
    ] = False,
    actor: Annotated[str, typer.Option(help="Who asks, for the audit log.")] = "cli:operator",
    data_dir: DataDir = None,
) -> None:
    """Queue a campaign's dead-lettered and/or in-doubt deliveries again (audited)."""
    from marketing_agent.orchestrator.runner import redrive

    settings = _settings(data_dir)
    try:
        result = asyncio.run(
            redrive(settings, campaign_id=campaign, dead=dead, in_doubt=in_doubt, actor=actor)
        )
    except MarketingAgentError as exc:
        _fail(exc)
    console.print(
        f"[green]Re-driven:[/] {result.requeued} deliveries of campaign {campaign} queued again "
        f"({result.dead} dead-lettered, {result.in_doubt} in doubt)."
    )


@accounts_app.command("login")
def accounts_login(
    name: Annotated[str, typer.Option(help="The new sender's name.")],
    api_id: Annotated[int, typer.Option(help="From my.telegram.org, API development tools.")],
    phone: Annotated[str, typer.Option(help="The account's number, international format (+...).")],
    api_hash: Annotated[
        str | None, typer.Option(help="From my.telegram.org; asked (hidden) when not given.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Log a Telegram user account in (code, then the 2FA password if it has one) and store it
    as a sender; its session and api_hash are kept encrypted."""
    from marketing_agent.core.crypto import load_secret_box
    from marketing_agent.core.db import Database
    from marketing_agent.telegram.accounts import LoginRegistry, login_interactively

    settings = _settings(data_dir)
    secret = api_hash or typer.prompt("api_hash", hide_input=True)

    async def ask_secret(label: str) -> str:
        answer: str = await asyncio.to_thread(typer.prompt, label, hide_input=True)
        return answer

    async def log_in() -> tuple[int, str]:
        db = Database(settings.resolved_database_url)
        registry = LoginRegistry()
        try:
            sender = await login_interactively(
                db=db,
                secret_box=load_secret_box(settings),
                registry=registry,
                name=name,
                api_id=api_id,
                api_hash=secret,
                phone=phone,
                ask_secret=ask_secret,
                say=lambda text: console.print(text),
            )
            return sender.id, sender.name
        finally:
            await registry.close()
            await db.dispose()

    try:
        sender_id, sender_name = asyncio.run(log_in())
    except MarketingAgentError as exc:
        _fail(exc)
    console.print(
        f"[green]Logged in:[/] user account [bold]{sender_name}[/] is sender {sender_id} "
        "(transport telethon, profile user)."
    )


@keys_app.command("rotate")
def keys_rotate(
    new_secret_key: Annotated[
        str | None,
        typer.Option(help="The new key (at least 32 characters); generated when not given."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Re-encrypt every stored secret (bot tokens, sessions, api hashes) with a new key, in one
    transaction; see docs/telegram.md for switching MA_SECRET_KEY afterwards."""
    from marketing_agent.telegram.accounts import rotate_secret_key

    settings = _settings(data_dir)
    try:
        rotation = asyncio.run(rotate_secret_key(settings, new_key=new_secret_key))
    except MarketingAgentError as exc:
        _fail(exc)
    console.print(
        f"[green]Re-encrypted[/] {rotation.secrets} secrets of {rotation.senders} senders "
        "with the new key."
    )
    if rotation.key_file is not None:
        console.print(
            f"The new key is in {rotation.key_file}; the old ones stay readable from "
            f"{rotation.key_file.name}.previous. Restart every process."
        )
        return
    if settings.secret_key is not None and settings.secret_key.get_secret_value() == new_secret_key:
        console.print("Every secret now uses MA_SECRET_KEY: remove MA_SECRET_KEY_PREVIOUS.")
        return
    if rotation.generated:
        console.print(f"New key (shown once): [bold]{rotation.new_key}[/]")
    console.print(
        "Now set MA_SECRET_KEY to the new key and MA_SECRET_KEY_PREVIOUS to the old one on "
        "every process and restart them (until then they cannot open the re-encrypted "
        "secrets); then run `keys rotate --new-secret-key` with the new key once more and "
        "remove MA_SECRET_KEY_PREVIOUS. Switching first avoids that gap: docs/telegram.md."
    )


@app.command()
def demo(
    contacts: Annotated[int, typer.Option(min=1, max=1_000_000, help="Simulated contacts.")] = 5000,
    variants: Annotated[int, typer.Option(min=1, max=5, help="Message variants.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated recipients.")] = 7,
) -> None:
    """A full campaign on the Telegram simulator's virtual clock, ending in a table per variant."""
    from marketing_agent.demo import run_terminal_demo

    try:
        asyncio.run(
            run_terminal_demo(console, contacts=contacts, variant_count=variants, seed=seed)
        )
    except MarketingAgentError as exc:
        _fail(exc)


@audit_app.command("verify")
def audit_verify(data_dir: DataDir = None) -> None:
    """Recompute the whole audit chain and report the first tampered entry."""
    from marketing_agent.bootstrap import verify_audit

    settings = _settings(data_dir)
    result = asyncio.run(verify_audit(settings))
    if result.ok:
        console.print(f"[green]Audit log intact:[/] {result.checked} entries verified.")
        return
    err_console.print(
        f"[bold red]Audit log tampered:[/] entry {result.first_bad_seq}: {result.reason} "
        f"({result.checked} entries before it are intact)."
    )
    raise typer.Exit(1)


@app.command()
def openapi(output: Annotated[Path | None, typer.Option(help="File to write.")] = None) -> None:
    """Print the OpenAPI schema (the front end's client is generated from it)."""
    from marketing_agent.gateway.app import create_app

    schema = json.dumps(create_app(Settings()).openapi(), indent=2)
    if output:
        output.write_text(schema + "\n")
    else:
        sys.stdout.write(schema + "\n")


def _safe_url(url: str) -> str:
    """Returns the URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    app()

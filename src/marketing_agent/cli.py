"""The `marketing-agent` command: run the app, migrate, the simulated demo, and operations."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from marketing_agent.agent.commands import add_agent_commands
from marketing_agent.analytics.commands import add_analytics_commands
from marketing_agent.compliance.commands import (
    AnchorsFile,
    add_audit_commands,
    add_request_commands,
    read_anchors,
    report,
)
from marketing_agent.core.auth import Role
from marketing_agent.core.console import err, fail, out
from marketing_agent.core.errors import MarketingAgentError, ValidationFailed, field_error
from marketing_agent.core.settings import Settings, get_settings
from marketing_agent.experiments.commands import add_experiments_commands
from marketing_agent.orchestrator.privacy_commands import add_privacy_commands
from marketing_agent.safety.commands import add_safety_commands

if TYPE_CHECKING:
    from pydantic import BaseModel

    from marketing_agent.core.db import Database

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
simulator_app = typer.Typer(
    help="The Telegram simulator, served as a Bot API server.", no_args_is_help=True
)
app.add_typer(simulator_app, name="simulator")
users_app = typer.Typer(help="Users of the admin UI and API.", no_args_is_help=True)
app.add_typer(users_app, name="users")
campaigns_app = typer.Typer(
    help="Campaigns: create one from a brief, clone or re-plan one.", no_args_is_help=True
)
app.add_typer(campaigns_app, name="campaigns")
contacts_app = typer.Typer(help="Contacts: the right to erasure.", no_args_is_help=True)
app.add_typer(contacts_app, name="contacts")
privacy_app = typer.Typer(help="Data-subject requests (GDPR, CCPA).", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")
analytics_app = typer.Typer(help="Campaign stats, funnels, drop-off CSV.", no_args_is_help=True)
app.add_typer(analytics_app, name="analytics")
experiments_app = typer.Typer(
    help="Experiments: a campaign's results, the calculator, sample sizes.", no_args_is_help=True
)
app.add_typer(experiments_app, name="experiments")
# Secrets come from the environment or a hidden prompt, never from arguments (visible in `ps`).
BOT_TOKEN_ENV = "MA_BOT_TOKEN"  # noqa: S105 - the variable's name, not a token
ADMIN_PASSWORD_ENV = "MA_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a password
T = TypeVar("T")


def _fail(exc: MarketingAgentError) -> None:
    fail(exc)


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
    out().print(f"[green]Database ready:[/] {_safe_url(settings.resolved_database_url)}")


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[bool, typer.Option(help="Seed demo contacts, consents and a bot.")] = True,
    admin_password: Annotated[
        str | None,
        typer.Option(help="Set the admin's password (better: MA_ADMIN_PASSWORD, not in `ps`)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Everything in one process: API, admin UI, scheduler and worker, on the embedded default."""
    import uvicorn

    from marketing_agent.bootstrap import prepare
    from marketing_agent.core.crypto import load_secret_box
    from marketing_agent.gateway.app import UVICORN_OPTIONS, create_app
    from marketing_agent.telegram import service as telegram

    settings = _for_terminal(_settings(data_dir))
    host, port = host or settings.host, port or settings.port
    _refuse_busy_port(host, port)
    admin_password = admin_password or os.environ.get(ADMIN_PASSWORD_ENV)
    # The server's transports: the demo seeds its simulated bot (who started it) in them.
    transports = telegram.open_transports(
        secret_box=load_secret_box(settings), bot_api_url=settings.telegram_bot_api_url
    )
    try:
        password = asyncio.run(
            prepare(settings, demo=demo, admin_password=admin_password, transports=transports)
        )
    except MarketingAgentError as exc:
        _fail(exc)
    url = f"http://{host}:{port}/"
    if admin_password:
        login = "  log in as [bold]admin[/] with the password you gave"
    elif password and demo:
        login = f"  log in as [bold]admin[/] with the password [bold]{password}[/]"
    elif password:
        login = (
            f"  log in as [bold]admin[/] with the one-time password [bold]{password}[/] "
            "(change it at the first login)"
        )
    else:
        login = "  log in as [bold]admin[/] (password unchanged; --admin-password sets it)"

    def banner() -> None:
        # Printed once the server listens, so the start-up logs come before it and the
        # password is the last thing on the screen.
        out().print(f"\n[bold green]Marketing Intelligence Agent[/] is running at [bold]{url}[/]")
        out().print("  API docs at " + url + "docs · Ctrl-C stops")
        out().print(login + "\n", soft_wrap=True)

    app = create_app(settings, transports=transports)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", **UVICORN_OPTIONS)
    _serve(config, banner)


def _for_terminal(settings: Settings) -> Settings:
    """On a terminal, unless MA_LOG_JSON / MA_LOG_LEVEL say otherwise: human-readable logs of
    warnings and errors only, so the login banner stays visible."""
    if not sys.stderr.isatty():
        return settings
    update: dict[str, Any] = {}
    if "MA_LOG_JSON" not in os.environ:
        update["log_json"] = False
    if "MA_LOG_LEVEL" not in os.environ:
        update["log_level"] = "WARNING"
    return settings.model_copy(update=update)


def _refuse_busy_port(host: str, port: int) -> None:
    """Stops with one clear line, before any start-up work, when the port is taken."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            out().print(
                f"[red]Cannot listen on {host}:{port}:[/] {exc.strerror or exc}. Another server "
                "may be running there; stop it or choose another port with --port."
            )
            raise typer.Exit(1) from exc


def _serve(config: Any, banner: Callable[[], None] | None = None) -> None:
    """Runs uvicorn; once it listens (the app's runtime built), settles the heap and prints the
    login banner."""
    import uvicorn

    from marketing_agent.runtime import settle_heap

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                settle_heap()
                if banner is not None:
                    banner()

    Server(config).run()


@app.command()
def scheduler(data_dir: DataDir = None) -> None:
    """Only the scheduler: recurring runs, due campaigns, completions and inbound updates.

    One is active at a time; on PostgreSQL (MA_DATABASE_URL) more stand by and one takes over
    within seconds when the active one dies. Run `marketing-agent migrate` first.
    """
    from marketing_agent.runtime import serve

    settings = _settings(data_dir)
    try:
        asyncio.run(serve(settings, role="scheduler"))
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

    from marketing_agent.gateway.app import UVICORN_OPTIONS, create_app

    settings = _settings(data_dir).model_copy(update={"run_worker": False, "run_scheduler": False})
    host, port = host or settings.host, port or settings.port
    out().print(f"[bold green]API[/] at http://{host}:{port}/ (no worker, no scheduler)")
    _serve(
        uvicorn.Config(
            create_app(settings), host=host, port=port, log_level="warning", **UVICORN_OPTIONS
        )
    )


@app.command()
def worker(data_dir: DataDir = None) -> None:
    """The delivery worker only: any number of processes share the queue (PostgreSQL) and the
    senders' limits (Redis when MA_REDIS_URL is set). SIGTERM or Ctrl-C stops it cleanly."""
    from marketing_agent.runtime import serve

    settings = _settings(data_dir)
    try:
        asyncio.run(serve(settings, role="worker"))
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

    from marketing_agent.orchestrator.worker_role import list_deliveries

    settings = _settings(data_dir)
    try:
        rows, total = asyncio.run(
            _one_shot(
                settings,
                lambda runtime: list_deliveries(
                    runtime, state=state, campaign_id=campaign, limit=limit
                ),
            )
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
    out().print(table)


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
    from marketing_agent.orchestrator.worker_role import redrive

    settings = _settings(data_dir)
    try:
        result = asyncio.run(
            _one_shot(
                settings,
                lambda runtime: redrive(
                    runtime, campaign_id=campaign, dead=dead, in_doubt=in_doubt, actor=actor
                ),
            )
        )
    except MarketingAgentError as exc:
        _fail(exc)
    out().print(
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
                say=lambda text: out().print(text),
            )
            return sender.id, sender.name
        finally:
            await registry.close()
            await db.dispose()

    try:
        sender_id, sender_name = asyncio.run(log_in())
    except MarketingAgentError as exc:
        _fail(exc)
    out().print(
        f"[green]Logged in:[/] user account [bold]{sender_name}[/] is sender {sender_id} "
        "(transport telethon, profile user)."
    )


@accounts_app.command("add-bot")
def accounts_add_bot(
    name: Annotated[str, typer.Option(help="The new sender's name.")],
    profile: Annotated[str, typer.Option(help="bot, or paid_broadcast (1000/s, paid).")] = "bot",
    bot_api_url: Annotated[
        str | None, typer.Option(help="Its Bot API server (default MA_TELEGRAM_BOT_API_URL).")
    ] = None,
    double_opt_in: Annotated[
        bool, typer.Option(help="Record consent only on the 'Yes, subscribe' press.")
    ] = False,
    opt_in_text: Annotated[str | None, typer.Option(help="What people agree to.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Add a bot: its token is checked with getMe, then stored encrypted.

    The token (from @BotFather) is read from MA_BOT_TOKEN or asked hidden, never taken as an
    argument, so it does not show in `ps` or the shell's history."""
    from pydantic import ValidationError

    from marketing_agent.core.crypto import load_secret_box
    from marketing_agent.core.errors import ValidationFailed, field_error
    from marketing_agent.core.settings import check_bot_api_url
    from marketing_agent.telegram import service as telegram
    from marketing_agent.telegram.schemas import SenderCreate

    settings = _settings(data_dir)
    secret = os.environ.get(BOT_TOKEN_ENV) or typer.prompt("Bot token", hide_input=True)
    if bot_api_url is not None:
        try:
            check_bot_api_url(bot_api_url, allow_insecure=settings.allow_insecure_bot_api_url)
        except ValueError as exc:
            _fail(ValidationFailed([field_error(("bot_api_url",), str(exc))]))
    try:
        sender_in = SenderCreate(
            name=name,
            kind="bot",  # type: ignore[arg-type]
            transport="botapi",  # type: ignore[arg-type]
            profile=profile,
            secret=secret,  # type: ignore[arg-type]
            bot_api_url=bot_api_url,
            double_opt_in=double_opt_in,
            opt_in_text=opt_in_text,
        )
    except ValidationError as exc:  # the messages never quote the token
        _fail(ValidationFailed([field_error(e["loc"], e["msg"]) for e in exc.errors()]))

    async def add() -> tuple[int, str | None]:
        from marketing_agent.runtime import one_shot

        async with one_shot(settings) as runtime:
            identity = await telegram.check_bot_token(
                transports=runtime.transports, token=secret, bot_api_url=bot_api_url
            )
            async with runtime.database.session() as session:
                sender = await telegram.create_sender(
                    session=session,
                    sender_in=sender_in,
                    secret_box=load_secret_box(settings),
                    actor="cli",
                    bot_username=identity.username,
                )
                return sender.id, identity.username

    try:
        sender_id, username = asyncio.run(add())
    except MarketingAgentError as exc:
        _fail(exc)
    out().print(
        f"[green]Added:[/] bot [bold]@{username}[/] is sender {sender_id} "
        f"(transport botapi, profile {profile})."
    )
    out().print(f"Deep link for opt-ins: https://t.me/{username}?start=<source>")


@accounts_app.command("list")
def accounts_list(data_dir: DataDir = None) -> None:
    """List the senders: bots and user accounts, their status and how updates arrive."""
    from rich.table import Table

    from marketing_agent.telegram import service as telegram

    settings = _settings(data_dir)

    async def load() -> list[tuple[str, ...]]:
        async with _database(settings) as db, db.session() as session:
            senders = await telegram.list_senders(session=session)
            return [
                (
                    str(s.id),
                    s.name,
                    str(s.kind),
                    str(s.transport),
                    s.profile.name,
                    s.status + (f" ({s.status_reason})" if s.status_reason else ""),
                    f"@{s.bot_username}" if s.bot_username else "",
                    ("webhook" if s.webhook_url else "polling") if s.transport == "botapi" else "",
                )
                for s in senders
            ]

    table = Table("id", "name", "kind", "transport", "profile", "status", "bot", "updates")
    for row in asyncio.run(load()):
        table.add_row(*row)
    out().print(table)


@accounts_app.command("test")
def accounts_test(
    sender_id: Annotated[int, typer.Argument(help="The sender to test.")],
    chat_id: Annotated[int, typer.Option(help="A chat that has started the bot.")],
    text: Annotated[str, typer.Option(help="The message.")] = (
        "Test message from Marketing Intelligence Agent."
    ),
    data_dir: DataDir = None,
) -> None:
    """Send one test message; says what Telegram answered."""
    from marketing_agent.telegram import service as telegram

    settings = _settings(data_dir)

    async def send() -> Any:
        from marketing_agent.runtime import one_shot

        async with one_shot(settings) as runtime, runtime.database.session() as session:
            return await telegram.send_test_message(
                session=session,
                transports=runtime.transports,
                sender_id=sender_id,
                chat_id=chat_id,
                text=text,
                actor="cli",
                limits=runtime.limits,
            )

    try:
        result = asyncio.run(send())
    except MarketingAgentError as exc:
        _fail(exc)
    who = f"@{result.bot_username}" if result.bot_username else f"sender {sender_id}"
    if result.ok:
        out().print(f"[green]Sent[/] by {who}: message {result.message_id}.")
        return
    wait = f", retry after {result.retry_after_s:.0f} s" if result.retry_after_s else ""
    err().print(f"[bold red]Not sent[/] by {who}: {result.status} ({result.reason}{wait}).")
    raise typer.Exit(1)


@simulator_app.command("serve")
def simulator_serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8081,
    profile: Annotated[str, typer.Option(help="Limits of its bots: bot, paid_broadcast.")] = "bot",
    token: Annotated[
        str | None, typer.Option(help="The first bot's token (made up when not given).")
    ] = None,
    username: Annotated[str | None, typer.Option(help="The first bot's username.")] = None,
) -> None:
    """Serve the Telegram simulator as a Bot API server (sendMessage, getUpdates, webhooks ...);
    people are played through its /sim/ routes (see docs/telegram.md)."""
    import uvicorn

    from marketing_agent.telegram.simulator_http import SimulatedBotApi

    try:
        simulated = SimulatedBotApi(profile=profile)
        bot = simulated.add_bot(token=token, username=username)
    except MarketingAgentError as exc:
        _fail(exc)
    except ValueError as exc:
        err().print(f"[bold red]Cannot start:[/] {exc}")
        raise typer.Exit(2) from None
    url = f"http://{host}:{port}"
    out().print(f"[bold green]Simulated Bot API[/] at [bold]{url}[/] (profile {profile})")
    out().print(f"  bot @{bot.username}, token [bold]{bot.token}[/] (simulated, not Telegram's)")
    out().print(
        f"  add it: {BOT_TOKEN_ENV}={bot.token} marketing-agent accounts add-bot --name Sim "
        f"--bot-api-url {url}"
    )
    out().print(
        f"  a person writes: curl -X POST {url}/sim/users/42/send -H "
        "'content-type: application/json' -d '{\"text\": \"/start shop\"}'"
    )
    # No access log: its lines would carry the bots' tokens (they are in the Bot API's paths).
    uvicorn.run(
        simulated.app(),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,  # long polls would hold Ctrl-C for their whole timeout
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
    out().print(
        f"[green]Re-encrypted[/] {rotation.secrets} secrets of {rotation.senders} senders "
        "with the new key."
    )
    if rotation.key_file is not None:
        out().print(
            f"The new key is in {rotation.key_file}; the old ones stay readable from "
            f"{rotation.key_file.name}.previous. Restart every process."
        )
        return
    if settings.secret_key is not None and settings.secret_key.get_secret_value() == new_secret_key:
        out().print("Every secret now uses MA_SECRET_KEY: remove MA_SECRET_KEY_PREVIOUS.")
        return
    if rotation.generated:
        out().print(f"New key (shown once): [bold]{rotation.new_key}[/]")
    out().print(
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
        asyncio.run(run_terminal_demo(out(), contacts=contacts, variant_count=variants, seed=seed))
    except MarketingAgentError as exc:
        _fail(exc)


def _brief_translations(**fields: list[str]) -> dict[str, dict[str, str]]:
    """Returns --product-in ru=TEXT and its kin as the brief's words by language."""
    by_language: dict[str, dict[str, str]] = {}
    errors = []
    for name, values in fields.items():
        for value in values:
            tag, sep, text = value.partition("=")
            if not sep or not tag.strip() or not text.strip():
                option = "--" + name.replace("_", "-") + "-in"
                errors.append(field_error((option,), f"'{value}' is not LANG=TEXT"))
                continue
            by_language.setdefault(tag.strip(), {})[name] = text.strip()
    if errors:
        fail(ValidationFailed(errors))
    return by_language


@campaigns_app.command("create")
def campaigns_create(
    name: Annotated[str, typer.Option(help="The campaign's name.")],
    product: Annotated[
        str | None, typer.Option(help="What it is about, e.g. 'Winter boots'.")
    ] = None,
    offer: Annotated[str | None, typer.Option(help="The offer, e.g. '20% off'.")] = None,
    deadline: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="The offer's last day.")
    ] = None,
    goal: Annotated[str, typer.Option(help="Free text for the strategist (optional).")] = "",
    cta_url: Annotated[str | None, typer.Option(help="The link to send people to.")] = None,
    call_to_action: Annotated[str | None, typer.Option(help="The link's lead.")] = None,
    tone: Annotated[
        str, typer.Option(help="friendly, playful, formal, professional, enthusiastic.")
    ] = "friendly",
    language: Annotated[
        list[str] | None,
        typer.Option(help="A language to write in (repeat); the first is the main text."),
    ] = None,
    brief_language: Annotated[
        str | None,
        typer.Option(
            help="The language the product, offer and call to action are written in "
            "(default: the first --language, else en)."
        ),
    ] = None,
    product_in: Annotated[
        list[str] | None,
        typer.Option(help="The product in another language, LANG=TEXT (repeat)."),
    ] = None,
    offer_in: Annotated[
        list[str] | None,
        typer.Option(help="The offer in another language, LANG=TEXT (repeat)."),
    ] = None,
    call_to_action_in: Annotated[
        list[str] | None,
        typer.Option(help="The link's lead in another language, LANG=TEXT (repeat)."),
    ] = None,
    variants: Annotated[int, typer.Option(min=1, max=5, help="How many variants to test.")] = 2,
    segment: Annotated[
        int | None, typer.Option(help="The segment's id; all contacts if none.")
    ] = None,
    sender: Annotated[
        int | None, typer.Option(help="The sender's id; the first active if none.")
    ] = None,
    submit: Annotated[
        bool, typer.Option(help="Submit it: to review if needed, else schedule.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a campaign from a brief: the strategist writes the variants, the safety guard
    scores them, and a risky or AI-written campaign goes to review."""
    from pydantic import ValidationError

    from marketing_agent.orchestrator import flows
    from marketing_agent.orchestrator.schemas import BriefIn, CampaignCreate

    settings = _settings(data_dir)
    languages = language or []
    translations = _brief_translations(
        product=product_in or [], offer=offer_in or [], call_to_action=call_to_action_in or []
    )
    try:
        campaign_in = CampaignCreate(
            name=name,
            goal=goal,
            brief=BriefIn(
                product=product,
                offer=offer,
                deadline=deadline.date() if deadline else None,
                call_to_action=call_to_action,
                tone=tone,  # type: ignore[arg-type]
                language=brief_language or (languages[0] if languages else "en"),
                languages=languages,
                translations=translations,  # type: ignore[arg-type]
            ),
            cta_url=cta_url,  # type: ignore[arg-type]
            variant_count=variants,
            segment_id=segment,
            sender_id=sender,
        )
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(part) for part in error["loc"]) or "brief"
            message = error["msg"].removeprefix("Value error, ")
            err().print(f"[red]•[/] {loc}: {message}", soft_wrap=True)
        raise typer.Exit(2) from None

    async def create() -> Any:
        async with _database(settings) as db, db.session() as session:
            campaign = await flows.create_campaign(
                session=session, settings=settings, campaign_in=campaign_in, actor="cli"
            )
            if submit and campaign.status == "draft":
                campaign = await flows.submit_campaign(
                    session=session, settings=settings, campaign_id=campaign.id, actor="cli"
                )
            await session.commit()
            return campaign

    with out().status("The strategist is writing the variants…"):
        try:
            campaign = asyncio.run(create())
        except MarketingAgentError as exc:
            _fail(exc)
    _print_campaign(campaign)


@campaigns_app.command("clone")
def campaigns_clone(
    campaign_id: Annotated[int, typer.Argument(help="The campaign to clone.")],
    replan: Annotated[
        bool,
        typer.Option(
            help="Re-plan from its brief: the strategist writes new variants from the brief "
            "the campaign was planned from (refused when it has none)."
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """A new draft with the same audience, sender, link and timing; its texts copied, or with
    --replan written again from the campaign's brief. Checked and reviewed like a new one."""
    from marketing_agent.orchestrator import editing

    settings = _settings(data_dir)

    async def clone() -> Any:
        async with _database(settings) as db, db.session() as session:
            campaign = await editing.clone_campaign(
                session=session,
                settings=settings,
                campaign_id=campaign_id,
                actor="cli",
                replan=replan,
            )
            await session.commit()
            return campaign

    status = "The strategist is re-planning from the brief…" if replan else "Cloning…"
    with out().status(status):
        try:
            campaign = asyncio.run(clone())
        except MarketingAgentError as exc:
            _fail(exc)
    _print_campaign(campaign)


def _print_campaign(campaign: Any) -> None:
    """Prints a created campaign: its status and risk, strategy, every text and the notes."""
    from rich.table import Table

    out().print(
        f"[green]Campaign {campaign.id}[/] '{campaign.name}': {campaign.status}, risk "
        f"{campaign.risk_score:.2f}, written by {campaign.agent_provider}."
    )
    if campaign.strategy:
        out().print(campaign.strategy)
    table = Table("variant", "language", "text", show_lines=True)
    for variant in campaign.variants:
        table.add_row(variant.key, "main", variant.text)
        for tag, text in sorted((variant.translations or {}).items()):
            table.add_row("", tag, text)
    out().print(table)
    for note in campaign.agent_notes:
        out().print(f"[yellow]•[/] {note}", soft_wrap=True)


@contacts_app.command("erase")
def contacts_erase(
    contact: Annotated[int, typer.Argument(help="The contact's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    actor: Annotated[str, typer.Option(help="Who asks, for the audit log.")] = "cli:operator",
    data_dir: DataDir = None,
) -> None:
    """Erase a contact everywhere (GDPR art. 17): irreversible; audited without their data."""
    from marketing_agent.orchestrator.privacy import erase_from_cli

    if not yes:
        typer.confirm(f"Erase contact {contact} irreversibly?", abort=True)
    settings = _settings(data_dir)
    try:
        result = asyncio.run(erase_from_cli(settings, contact_id=contact, actor=actor))
    except MarketingAgentError as exc:
        _fail(exc)
    out().print(
        f"[green]Contact {contact} erased:[/] {result.deliveries_anonymised} deliveries and "
        f"{result.events_anonymised} events anonymised, {result.consent_records_anonymised} "
        "consent records kept without identifiers; a later import will not re-add them."
    )


@privacy_app.command("requests")
def privacy_requests(
    open_only: Annotated[bool, typer.Option("--open", help="Only requests not closed.")] = False,
    data_dir: DataDir = None,
) -> None:
    """List data-subject requests, the soonest deadline first; overdue ones in red."""
    from rich.table import Table

    settings = _settings(data_dir)
    rows = asyncio.run(_privacy_requests(settings, open_only=open_only))
    table = Table(title=f"{len(rows)} data-subject requests")
    for column in ("id", "kind", "regime", "status", "contact", "received", "due", "overdue"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.id),
            row.kind.value,
            row.regime.value,
            row.status.value,
            str(row.contact_id or "erased"),
            row.received_at.date().isoformat(),
            row.due_at.date().isoformat(),
            "[bold red]OVERDUE[/]" if row.overdue else "",
        )
    out().print(table)


async def _privacy_requests(settings: Settings, *, open_only: bool) -> list[Any]:
    from marketing_agent.compliance import service as compliance

    async with _database(settings) as db, db.session() as session:
        rows = await compliance.list_requests(session=session, open_only=open_only)
        return [compliance.request_read(r) for r in rows]


@audit_app.command("export")
def audit_export(
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Write the audit log as JSON lines, oldest first, for a SIEM."""
    settings = _settings(data_dir)
    handle = output.open("w") if output else sys.stdout
    try:
        count = asyncio.run(_export_audit(settings, handle))
    finally:
        if output:
            handle.close()
    if output:
        out().print(f"[green]Exported[/] {count} audit entries to {output}.")


async def _export_audit(settings: Settings, handle: Any) -> int:
    from marketing_agent.compliance import service as compliance

    count = 0
    async with _database(settings) as db, db.session() as session:
        async for line in compliance.export_audit_lines(session=session):
            handle.write(line + "\n")
            count += 1
    return count


@audit_app.command("verify")
def audit_verify(data_dir: DataDir = None, anchors: AnchorsFile = None) -> None:
    """Recompute the whole audit chain (against the exported heads) and report the first
    tampered entry."""
    from marketing_agent.bootstrap import verify_audit

    settings = _settings(data_dir)
    result = asyncio.run(verify_audit(settings, read_anchors(anchors)))
    report(result, "Audit log")


add_audit_commands(audit_app)  # verify-export (compliance/commands.py)
add_request_commands(privacy_app)  # extend, reject (compliance/commands.py)
add_privacy_commands(privacy_app)  # create, verify, complete (orchestrator/privacy_commands.py)
privacy_app.command("list")(privacy_requests)  # the same as `privacy requests`


@users_app.command("create-admin")
def users_create_admin(
    username: Annotated[str, typer.Option(help="The admin's username.")] = "admin",
    generate: Annotated[
        bool,
        typer.Option(help="Generate a one-time password, to be changed at the first login."),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Create an admin (the first one of a scale deployment: run `migrate` first).

    The password comes from MA_ADMIN_PASSWORD, else a hidden prompt (asked twice); with
    --generate a one-time password is printed once and must be changed at the first login."""
    from marketing_agent.core.errors import ValidationFailed, field_error
    from marketing_agent.gateway import service as gateway

    settings = _settings(data_dir)
    password: str | None = None
    if not generate:
        password = os.environ.get(ADMIN_PASSWORD_ENV) or typer.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
        if len(password) < 10:
            _fail(ValidationFailed([field_error(("password",), "at least 10 characters")]))

    async def create() -> tuple[int, str]:
        async with _database(settings) as db, db.session() as session:
            user, made = await gateway.create_admin(
                session=session, username=username, password=password
            )
            return user.id, made

    try:
        user_id, made = asyncio.run(create())
    except MarketingAgentError as exc:
        _fail(exc)
    out().print(f"[green]Created:[/] admin [bold]{username}[/] (user {user_id}).")
    if password is None:
        out().print(f"  one-time password [bold]{made}[/] — it must be changed at first login")


@users_app.command("reset-password")
def users_reset_password(
    username: Annotated[str, typer.Argument(help="Whose password to reset.")],
    data_dir: DataDir = None,
) -> None:
    """Give a user (e.g. an admin who forgot theirs) a one-time password, printed once; their
    sessions end and they must change it at the next login."""
    from marketing_agent.core.auth import SYSTEM
    from marketing_agent.core.errors import NotFound
    from marketing_agent.gateway import service as gateway

    settings = _settings(data_dir)

    async def reset() -> str:
        async with _database(settings) as db, db.session() as session:
            user = await gateway.get_user_by_name(session=session, username=username)
            if user is None or user.deleted_at is not None:
                raise NotFound(f"User '{username}' does not exist.")
            _, password = await gateway.reset_password(
                session=session, user_id=user.id, actor=SYSTEM
            )
            return password

    try:
        password = asyncio.run(reset())
    except MarketingAgentError as exc:
        _fail(exc)
    out().print(f"[green]Reset:[/] one-time password for [bold]{username}[/]: [bold]{password}[/]")


M = TypeVar("M", bound="BaseModel")


def _validated(model: type[M], data: dict[str, Any]) -> M:
    """The model, or ValidationFailed with every bad field (the CLI reports it like the API)."""
    from pydantic import ValidationError

    from marketing_agent.core.errors import ValidationFailed

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        raise ValidationFailed([dict(e) for e in errors]) from None


@users_app.command("list")
def users_list(data_dir: DataDir = None) -> None:
    """Every user: role, whether active, and who still has to change a one-time password."""
    from rich.table import Table

    from marketing_agent.gateway import service as gateway

    settings = _settings(data_dir)

    async def listed() -> list[tuple[str, str, str, str]]:
        async with _database(settings) as db, db.session() as session:
            return [
                (
                    u.username,
                    u.role,
                    "active" if u.is_active else "deactivated",
                    "one-time password" if u.must_change_password else "",
                )
                for u in await gateway.list_users(session=session)
            ]

    table = Table("username", "role", "state", "password")
    for row in asyncio.run(listed()):
        table.add_row(*row)
    out().print(table)


@users_app.command("invite")
def users_invite(
    username: Annotated[str, typer.Argument(help="The new user's username.")],
    role: Annotated[Role, typer.Option(help="What they may do.")] = Role.VIEWER,
    data_dir: DataDir = None,
) -> None:
    """Create a user with a one-time password, printed once; they change it at the first login."""
    from marketing_agent.core.auth import SYSTEM
    from marketing_agent.gateway import service as gateway
    from marketing_agent.gateway.schemas import UserCreate

    settings = _settings(data_dir)

    async def invite() -> str:
        user_in = _validated(UserCreate, {"username": username, "role": role})
        async with _database(settings) as db, db.session() as session:
            _, password = await gateway.invite_user(
                session=session, user_in=user_in, actor=SYSTEM.actor
            )
            return password

    try:
        password = asyncio.run(invite())
    except MarketingAgentError as exc:
        _fail(exc)
    out().print(
        f"[green]Invited[/] [bold]{username}[/] ({role.value}): "
        f"one-time password [bold]{password}[/]"
    )


def _update_user(username: str, data_dir: Path | None, **changes: object) -> None:
    from marketing_agent.core.auth import SYSTEM
    from marketing_agent.core.errors import NotFound
    from marketing_agent.gateway import service as gateway
    from marketing_agent.gateway.schemas import UserUpdate

    settings = _settings(data_dir)

    async def update() -> None:
        async with _database(settings) as db, db.session() as session:
            user = await gateway.get_user_by_name(session=session, username=username)
            if user is None or user.deleted_at is not None:
                raise NotFound(f"User '{username}' does not exist.")
            await gateway.update_user(
                session=session,
                user_id=user.id,
                user_in=_validated(UserUpdate, changes),
                actor=SYSTEM,
            )

    try:
        asyncio.run(update())
    except MarketingAgentError as exc:
        _fail(exc)


@users_app.command("set-role")
def users_set_role(
    username: Annotated[str, typer.Argument(help="Whose role to change.")],
    role: Annotated[Role, typer.Argument(help="The new role.")],
    data_dir: DataDir = None,
) -> None:
    """Change a user's role; their sessions end (the last admin stays an admin)."""
    _update_user(username, data_dir, role=role)
    out().print(f"[green]{username} is now {role.value}.[/]")


@users_app.command("deactivate")
def users_deactivate(
    username: Annotated[str, typer.Argument(help="Who may no longer log in.")],
    data_dir: DataDir = None,
) -> None:
    """Stop a user from logging in; their sessions and API keys stop (the last admin stays)."""
    _update_user(username, data_dir, is_active=False)
    out().print(f"[green]{username} is deactivated.[/]")


segments_app = typer.Typer(help="Segments: who matches a rule now.", no_args_is_help=True)
app.add_typer(segments_app, name="segments")


@segments_app.command("preview")
def segments_preview(
    rules: Annotated[
        str | None, typer.Option(help='The filter as JSON, e.g. \'{"tags_any": ["vip"]}\'.')
    ] = None,
    segment: Annotated[int | None, typer.Option(help="A saved segment's id instead.")] = None,
    sample: Annotated[int, typer.Option(min=0, max=100, help="How many to list.")] = 10,
    data_dir: DataDir = None,
) -> None:
    """Count the contacts a segment's rules match now (evaluated in the database), with a
    sample of them; nothing is saved."""
    from pydantic import ValidationError
    from rich.table import Table

    from marketing_agent.orchestrator import service as orchestrator
    from marketing_agent.orchestrator.schemas import SegmentFilter

    if (rules is None) == (segment is None):
        err().print("[red]Give either --rules or --segment.[/]")
        raise typer.Exit(2)
    settings = _settings(data_dir)
    try:
        given = SegmentFilter.model_validate_json(rules) if rules is not None else None
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(part) for part in error["loc"]) or "rules"
            err().print(f"[red]•[/] {loc}: {error['msg']}", soft_wrap=True)
        raise typer.Exit(2) from None

    async def preview() -> tuple[int, list[Any]]:
        async with _database(settings) as db, db.session() as session:
            segment_filter = given
            if segment is not None:
                saved = await orchestrator.get_segment_or_raise(session=session, segment_id=segment)
                segment_filter = SegmentFilter.model_validate(saved.filter)
            assert segment_filter is not None
            await orchestrator.check_segment_filter(
                session=session, segment_filter=segment_filter, loc=("rules",)
            )
            return await orchestrator.preview_segment_filter(
                session=session, segment_filter=segment_filter, sample_size=sample
            )

    try:
        size, contacts = asyncio.run(preview())
    except MarketingAgentError as exc:
        _fail(exc)
    out().print(f"[bold]{size}[/] contact(s) match now.")
    if contacts:
        table = Table("id", "name", "language", "tags")
        for contact in contacts:
            name = contact.first_name or contact.username or str(contact.telegram_id)
            table.add_row(str(contact.id), name, contact.language or "", ", ".join(contact.tags))
        out().print(table)


@app.command()
def openapi(output: Annotated[Path | None, typer.Option(help="File to write.")] = None) -> None:
    """Print the OpenAPI schema (the front end's client is generated from it)."""
    from marketing_agent.gateway.app import create_app

    schema = json.dumps(create_app(Settings()).openapi(), indent=2)
    if output:
        output.write_text(schema + "\n")
    else:
        sys.stdout.write(schema + "\n")


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    """The database of a one-shot command's runtime (runtime.one_shot), closed afterwards with
    the runtime's transports and limits."""
    from marketing_agent.runtime import one_shot

    async with one_shot(settings) as runtime:
        yield runtime.database


async def _one_shot(settings: Settings, command: Callable[[Any], Awaitable[T]]) -> T:
    """Runs a one-shot command with the runtime of the CLI role."""
    from marketing_agent.runtime import one_shot

    async with one_shot(settings) as runtime:
        return await command(runtime)


agent_app = typer.Typer(
    help="The strategist: ask it (answers streamed, figures cited), LLM budgets, prompts.",
    no_args_is_help=True,
)
app.add_typer(agent_app, name="agent")


@agent_app.command("ask")
def agent_ask(
    question: Annotated[str, typer.Argument(help="e.g. 'How did the winter campaign do?'")],
    campaign: Annotated[
        int | None, typer.Option(help="The campaign it is about (its budget counts too).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Ask the strategist: its answer streams sentence by sentence, each figure citing the tool
    result it came from ([S1]); the tool calls and sources are listed after."""
    from marketing_agent.agent.chat_tools import chat_tools
    from marketing_agent.agent.schemas import ChatRequest
    from marketing_agent.core.auth import Principal, Role

    settings = _settings(data_dir)
    operator = Principal(user_id=0, username="cli", role=Role.ADMIN, via="system")

    async def ask(runtime: Any) -> Any:
        strategist = runtime.strategist
        opened = await strategist.open_chat(
            request=ChatRequest.model_validate(
                {"messages": [{"role": "user", "content": question}], "campaign_id": campaign}
            ),
            tools=chat_tools(strategist.sessions, settings),
            principal=operator,
        )
        async for event in opened.events():
            if event.type == "step" and event.step is not None:
                err().print(f"[dim]· {event.step.tool}: {event.step.status}[/]")
            elif event.type == "delta":
                out().print(event.text, end=" ", soft_wrap=True)
            elif event.type == "reset":
                out().print("[dim](withdrawn)[/]")
            elif event.type == "error" and event.problem is not None:
                raise MarketingAgentError(str(event.problem.get("detail")))
            elif event.type == "answer":
                return event.answer
        return None

    try:
        answer = asyncio.run(_one_shot(settings, ask))
    except MarketingAgentError as exc:
        _fail(exc)
    out().print()
    if answer is None:
        return
    tag = f"AI-generated by {answer.model}" if answer.ai_generated else "offline rules, no LLM"
    out().print(f"[dim]{tag}[/]")
    for source in answer.sources:
        out().print(f"[blue]{source.id}[/] {source.tool}: {source.summary}", soft_wrap=True)
    for note in answer.notes:
        out().print(f"[yellow]{note}[/]", soft_wrap=True)


@agent_app.command("budget")
def agent_budget(
    campaign: Annotated[int | None, typer.Option(help="A campaign's own budget.")] = None,
    set_usd: Annotated[
        float | None, typer.Option("--set", help="Give the campaign its own cap, in USD.")
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="Put the campaign back on the default cap.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Show the LLM spend against the budgets (today, this month, or one campaign's), or set a
    campaign's own cap (audited)."""
    from marketing_agent.agent.budget import usd
    from marketing_agent.orchestrator import service as orchestrator

    settings = _settings(data_dir)
    if (set_usd is not None or default) and campaign is None:
        err().print("[red]--set and --default need --campaign.[/]")
        raise typer.Exit(2)
    if set_usd is not None and not 0 < set_usd <= 100_000:
        err().print("[red]--set must be more than 0 and at most 100000 (USD).[/]")
        raise typer.Exit(2)

    async def show(runtime: Any) -> list[tuple[str, Any]]:
        strategist = runtime.strategist
        if campaign is None:
            status = await strategist.budget()
            return [("today", status.day), ("this month", status.month)]
        async with runtime.database.session() as session:
            await orchestrator.get_campaign_or_raise(session=session, campaign_id=campaign)
        if set_usd is not None or default:
            await strategist.set_campaign_budget(
                campaign_id=campaign, limit_usd=None if default else set_usd, actor="cli"
            )
        own = await strategist.campaign_budget(campaign)
        kind = "its own budget" if own.own_limit else "the default per campaign"
        return [(f"campaign {campaign} ({kind})", own.line)]

    try:
        lines = asyncio.run(_one_shot(settings, show))
    except MarketingAgentError as exc:
        _fail(exc)
    for name, line in lines:
        state = "USED UP" if line.exhausted else "over 80%" if line.warning else "ok"
        out().print(
            f"{name}: {usd(line.spent_usd_micros)} of {usd(line.limit_usd_micros)} "
            f"({line.used_share:.0%}) {state}"
        )


def _safe_url(url: str) -> str:
    """Returns the URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


inbox_app = typer.Typer(
    help="Recipients' replies: list, answer (the suggestion or your own), dismiss.",
    no_args_is_help=True,
)
app.add_typer(inbox_app, name="inbox")
add_agent_commands(  # agent prompts ..., inbox ... (agent/commands.py)
    agent_app, inbox_app, settings_of=_settings, one_shot=_one_shot
)
add_analytics_commands(analytics_app, settings_of=_settings, one_shot=_one_shot)  # stats, funnel
add_experiments_commands(  # show, analyse, sample-size (experiments/commands.py)
    experiments_app, fail=_fail, settings_of=_settings, database_of=_database
)
safety_app = typer.Typer(
    help="The safety guard: check a text as the send path would, redact personal data.",
    no_args_is_help=True,
)
app.add_typer(safety_app, name="safety")
add_safety_commands(safety_app, settings_of=_settings, one_shot=_one_shot)  # safety/commands.py


if __name__ == "__main__":
    app()

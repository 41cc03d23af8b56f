"""One runtime per process: what a process shares, built in one place for every role.

A process (`run`, `api`, `worker`, `scheduler`, a CLI one-shot command, the demo) calls
`open_runtime(settings, role=...)` once and hands the `Runtime` down explicitly: the gateway puts
it on `app.state.runtime` (where routes read it), the worker, the scheduler and the flows that
send receive it as an argument. Everything that sends for a sender (campaign
messages, the consent bot's answers, test messages, replies) takes its slot from the one
`limits` object here, so a bot's limits hold across all of them; in scale mode (MA_REDIS_URL)
those limits live in Redis and every process of the deployment shares them.

This module assembles the modules; no module imports it (the orchestrator names the type for
type checking only).
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from marketing_agent.agent import service as agent
from marketing_agent.analytics import service as analytics
from marketing_agent.core import clock as clock_module
from marketing_agent.core.clock import Clock
from marketing_agent.core.crypto import SecretBox, load_secret_box, load_secret_key
from marketing_agent.core.db import Database, make_data_dir
from marketing_agent.core.logging import configure_logging, get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.campaign_pages import CampaignPages
from marketing_agent.orchestrator.frequency_cap import FrequencyCap
from marketing_agent.safety import service as safety
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.accounts import LoginRegistry
from marketing_agent.telegram.service import TransportPool

log = get_logger(__name__)
Role = Literal["run", "api", "worker", "scheduler", "cli", "demo", "test"]
SendFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Policies:
    """The campaign policies the settings ask for, read once per process."""

    quiet_hours: str
    frequency_cap: FrequencyCap
    review_threshold: float
    content_rules: safety.ContentRules

    @classmethod
    def from_settings(cls, settings: Settings) -> Policies:
        return cls(
            quiet_hours=settings.quiet_hours,
            frequency_cap=FrequencyCap.from_settings(settings),
            review_threshold=settings.review_risk_threshold,
            content_rules=safety.ContentRules.from_settings(settings),
        )


@dataclass
class Runtime:
    """What one process shares: its database, secrets, transports, the senders' limits, the
    clock and the policies. Built by `open_runtime`; closed once by whoever opened it."""

    role: Role
    settings: Settings
    database: Database
    secret_key: str
    secret_box: SecretBox
    transports: TransportPool
    limits: safety.RateLimits
    policies: Policies
    links: analytics.LinkTracker
    logins: LoginRegistry  # user-account logins pending in this process (the API's)
    strategist: agent.Strategist  # the LLM's budgets and circuit breakers, for this process
    campaign_pages: CampaignPages  # the campaign list's pages, kept while nothing is committed
    # The worker's send function; None: the transports' (see `_simulator_ledger`).
    send: SendFunction | None = None
    owns_database: bool = True
    owns_transports: bool = True
    _closers: list[Callable[[], Awaitable[Any]]] = field(default_factory=list, repr=False)

    @property
    def clock(self) -> Clock:
        """The process's clock (core's one source of time; tests swap in a virtual one)."""
        return clock_module.get_clock()

    # Cross-module hooks the gateway's routes ask for (the lower modules may not import the
    # orchestrator): see core/references.py, analytics/api.py and telegram/api.py.
    async def apply_inbound(self, *, sender_id: int) -> int:
        """Applies a sender's stored updates (the webhook's handler)."""
        from marketing_agent.orchestrator import flows

        return await flows.apply_inbound(self, sender_id=sender_id)

    @property
    def reference_check(self) -> Any:
        return orchestrator.check_references

    @property
    def campaign_source(self) -> Any:
        return orchestrator.campaign_source

    @property
    def contact_lookup(self) -> Any:
        return orchestrator.contact_exists

    @property
    def contact_dimension(self) -> Any:
        return orchestrator.contact_dimension

    @property
    def segment_members(self) -> Any:
        return orchestrator.segment_contact_ids_query

    def delivery_worker(self, **overrides: Any) -> Any:
        """Returns the delivery worker of this process, configured from the settings."""
        from marketing_agent.orchestrator.worker import DeliveryWorker

        options: dict[str, Any] = {
            "transports": self.transports,
            "batch_size": self.settings.worker_batch_size,
            "limits": self.limits,
            "lease_s": self.settings.worker_lease_s,
            "chunk_s": self.settings.worker_chunk_s,
            "send": self.send,
            "links": self.links,
            "cap": self.policies.frequency_cap,
            "rules": self.policies.content_rules,
        }
        options.update(overrides)
        return DeliveryWorker(self.database, **options)

    def start_background(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        """Starts the loops the settings ask this process to run beside the API (the `run`
        role): the scheduler and the delivery worker, until `stop` is set."""
        from marketing_agent.orchestrator.scheduler_role import run_scheduler

        settings = self.settings
        tasks = []
        if settings.run_scheduler:
            scheduler = run_scheduler(
                self,
                stop,
                poll_s=settings.scheduler_poll_s,
                leader_retry_s=settings.scheduler_leader_retry_s,
            )
            tasks.append(asyncio.create_task(scheduler))
        if settings.run_worker:
            worker = self.delivery_worker()
            tasks.append(
                asyncio.create_task(worker.run_forever(stop, idle_s=settings.worker_poll_s))
            )
        return tasks

    async def close(self) -> None:
        """Releases what the runtime opened: limits (Redis), transports, the database."""
        for closer in reversed(self._closers):
            await closer()
        self._closers.clear()
        await self.logins.close()
        await self.limits.close()
        if self.owns_transports:
            await self.transports.close_all()
        if self.owns_database:
            await self.database.dispose()


def open_runtime(
    settings: Settings,
    *,
    role: Role,
    database: Database | None = None,
    transports: TransportPool | None = None,
) -> Runtime:
    """Builds the runtime of a process in `role`; pass `database` or `transports` to share
    them (tests), else they are opened from the settings (and closed by `close`)."""
    make_data_dir(settings.data_dir)
    owns_database = database is None
    owns_transports = transports is None
    secret_key = load_secret_key(settings)
    secret_box = load_secret_box(settings)
    if transports is None:
        transports = telegram.open_transports(
            secret_box=secret_box, bot_api_url=settings.telegram_bot_api_url
        )
    database = database or Database(settings.resolved_database_url)
    runtime = Runtime(
        role=role,
        settings=settings,
        database=database,
        secret_key=secret_key,
        secret_box=secret_box,
        transports=transports,
        limits=safety.open_rate_limits(redis_url=settings.redis_url, prefix=settings.redis_prefix),
        policies=Policies.from_settings(settings),
        links=analytics.tracker_of(settings, secret_key),
        logins=LoginRegistry(),
        strategist=agent.Strategist(settings, database.sessionmaker),
        campaign_pages=CampaignPages(database),
        owns_database=owns_database,
        owns_transports=owns_transports,
    )
    if role in ("worker", "run") and settings.simulator_ledger and settings.redis_url:
        _simulator_ledger(runtime)
    return runtime


def _simulator_ledger(runtime: Runtime) -> None:
    """The multiprocess tests' exactly-once check (MA_SIMULATOR_LEDGER): each send is also
    recorded in Redis. TODO(runtime): move into the telegram module as a transport option."""
    from marketing_agent.telegram.ledger import SimulatorLedger

    assert runtime.settings.redis_url is not None
    ledger = SimulatorLedger(
        runtime.settings.redis_url, runtime.transports, prefix=runtime.settings.redis_prefix
    )
    runtime.send = ledger.send_message
    runtime._closers.append(ledger.close)


async def serve(settings: Settings, *, role: Role) -> None:
    """Runs the `worker` or the `scheduler` role as a process: its runtime, its loop, until
    SIGTERM or SIGINT; then the runtime is closed."""
    from marketing_agent.orchestrator.scheduler_role import run_scheduler
    from marketing_agent.orchestrator.worker_role import run_worker

    configure_logging(settings.log_level, json=settings.log_json)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if role not in ("worker", "scheduler"):
        raise ValueError(f"{role} is not a background role")
    runtime = open_runtime(settings, role=role)
    settle_heap()
    try:
        if role == "worker":
            await run_worker(runtime, stop)
        else:
            log.info("scheduler.started", database=runtime.database.engine.dialect.name)
            await run_scheduler(
                runtime,
                stop,
                poll_s=settings.scheduler_poll_s,
                leader_retry_s=settings.scheduler_leader_retry_s,
            )
            log.info("scheduler.stopped")
    finally:
        await runtime.close()


def settle_heap() -> None:
    """Called once by a long-running process when it has started (`serve`, the CLI's `run` and
    `api`): collects what start-up left and freezes the rest (gc.freeze), so the collector
    never walks the modules, models and schemas again. Measured in bench_realclock.py: a full
    collection of the ~410,000 objects start-up leaves stalled the event loop for 1.0 s under
    load, once in every campaign of 900, holding every send (3 % of a 30 s campaign's rate)."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def one_shot(settings: Settings) -> AsyncIterator[Runtime]:
    """The runtime of a CLI one-shot command, closed when the command is done."""
    runtime = open_runtime(settings, role="cli")
    try:
        yield runtime
    finally:
        await runtime.close()

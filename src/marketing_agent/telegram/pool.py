"""The transport pool: one live transport per sender, created on first use, kept per process.

Senders become known to the pool when the service loads them from the database, so a send
needs no query; a sender that was never loaded in this process is refused, never guessed.
The pool also keeps each sender's health (its stored status, and problems its transport reported
since), refuses sends of a paused or unhealthy sender, and holds the reports until the service
writes them to the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from marketing_agent.core import clock
from marketing_agent.core.crypto import SecretBox, SecretUnreadable
from marketing_agent.core.errors import NotFound, Unavailable
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram.profiles import get_profile_by_name
from marketing_agent.telegram.schemas import SenderStatus
from marketing_agent.telegram.simulator import BehaviourModel, TelegramSimulator
from marketing_agent.telegram.transport import SendOutcome, SendStatus, Transport

if TYPE_CHECKING:  # Telethon and aiogram take a second to import: only processes using them pay
    from marketing_agent.telegram.botapi import BotApiTransport
    from marketing_agent.telegram.telethon_transport import (
        MTProtoClient,
        TelethonCredentials,
        TelethonTransport,
    )

log = get_logger(__name__)

# PEER_FLOOD comes with no duration (the account is spam-limited towards non-contacts until
# Telegram lifts it; @SpamBot tells). We pause the account for a day, never switch accounts.
PEER_FLOOD_PAUSE = timedelta(hours=24)
_PAUSES = {"peer_flood": PEER_FLOOD_PAUSE}
# Not the sender's health: the transport was closed by this process (shutdown, rebuild).
_NOT_HEALTH = frozenset({"transport_closed"})

TelethonClientFactory = Callable[["TelethonCredentials"], "MTProtoClient"]


@dataclass(frozen=True)
class SenderSpec:
    """What the pool needs to build a sender's transport."""

    sender_id: int
    transport: str  # simulator | botapi | telethon
    profile_name: str
    secret_encrypted: str | None = field(default=None, repr=False)  # decrypted on connect
    api_id: int | None = None  # user accounts (telethon)
    api_hash_encrypted: str | None = field(default=None, repr=False)  # decrypted on connect
    bot_api_url: str | None = None  # bots (botapi); None: MA_TELEGRAM_BOT_API_URL
    webhook: bool = False  # bots whose updates Telegram posts to the API (no long polling)


@dataclass(frozen=True)
class SenderHealth:
    """Whether a sender may send: as stored, or as its transport just found out."""

    status: SenderStatus
    paused_until: datetime | None = None  # for PAUSED; None pauses until an operator resumes
    reason: str | None = None

    def refusal(self, now: datetime) -> SendOutcome | None:
        """Returns the outcome of any send while in this state, or None when sends may go."""
        if self.status is SenderStatus.ACTIVE:
            return None
        if self.status is SenderStatus.PAUSED:
            if self.paused_until is not None and self.paused_until <= now:
                return None
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="sender_paused")
        return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="sender_unhealthy")


@dataclass(frozen=True)
class SimulatorSettings:
    """How a sender's simulator plays its recipients and faults."""

    behaviour: BehaviourModel | None = None
    seed: int = 0
    transient_failure_p: float = 0.0
    lost_response_p: float = 0.0
    # Who started the bot (Telegram's memory, not ours): kept when the simulator is rebuilt.
    started_chats: set[int] = field(default_factory=set)


class TransportPool:
    """Lazily creates and caches one transport per sender id: one pool per process, built by
    its runtime (Runtime.transports) and passed to the telegram service's functions."""

    def __init__(
        self, *, secret_box: SecretBox | None = None, bot_api_url: str | None = None
    ) -> None:
        self._specs: dict[int, SenderSpec] = {}
        self._transports: dict[int, Transport] = {}
        self._simulator_settings: dict[int, SimulatorSettings] = {}
        self._health: dict[int, SenderHealth] = {}
        self._unsaved_health: dict[int, SenderHealth] = {}  # reports the database lacks yet
        self._secret_box: SecretBox | None = None
        self._secret_box_injected = False
        self._telethon_clients: TelethonClientFactory | None = None  # None: real clients
        self._bot_api_url = bot_api_url  # None: MA_TELEGRAM_BOT_API_URL
        self.use_secret_box(secret_box)

    def use_secret_box(self, box: SecretBox | None) -> None:
        """Sets the key that decrypts the senders' secrets when their transports connect
        (None: the settings' keys)."""
        self._secret_box = box
        self._secret_box_injected = box is not None

    def secret_box(self) -> SecretBox:
        """Returns the decryption key: the one set, else the settings' (current and previous)."""
        if self._secret_box is None:
            from marketing_agent.core.crypto import load_secret_box
            from marketing_agent.core.settings import get_settings

            self._secret_box = load_secret_box(get_settings())
        return self._secret_box

    def use_telethon_clients(self, factory: TelethonClientFactory | None) -> None:
        """Sets how user accounts' MTProto clients are made (tests inject their own; None:
        real Telethon clients)."""
        self._telethon_clients = factory

    async def observe_health(self, sender_id: int, health: SenderHealth) -> None:
        """Records a sender's stored status; an unsaved newer report wins until it is saved.

        A sender made active again gets a fresh transport (a new connection, no old problem)."""
        if sender_id in self._unsaved_health:
            return
        previous = self._health.get(sender_id)
        self._health[sender_id] = health
        recovered = health.status is SenderStatus.ACTIVE
        if recovered and previous is not None and previous.status is not SenderStatus.ACTIVE:
            await self.close(sender_id)

    def report_problem(self, sender_id: int, reason: str | None) -> SenderHealth | None:
        """Records what a transport found wrong with its sender (PEER_FLOOD pauses it for a
        while, anything else makes it unhealthy); returns the new health, None if not news."""
        if reason in _NOT_HEALTH:
            return None
        reason = reason or "unhealthy"
        pause = _PAUSES.get(reason)
        if pause is not None:
            health = SenderHealth(SenderStatus.PAUSED, clock.now() + pause, reason)
        else:
            health = SenderHealth(SenderStatus.UNHEALTHY, None, reason)
        current = self._health.get(sender_id)
        if current is not None and current.refusal(clock.now()) is not None:
            return None  # already held back; the first reason stands
        self._health[sender_id] = health
        self._unsaved_health[sender_id] = health
        log.warning(
            "telegram.sender_held",
            sender_id=sender_id,
            status=health.status.value,
            reason=reason,
            paused_until=health.paused_until.isoformat() if health.paused_until else None,
        )
        return health

    def forget_unsaved_health(self, sender_id: int) -> None:
        """Drops a pending report (an operator's decision supersedes it)."""
        self._unsaved_health.pop(sender_id, None)

    def take_unsaved_health(self) -> dict[int, SenderHealth]:
        """Returns, and forgets, the reports the database does not have yet."""
        unsaved, self._unsaved_health = self._unsaved_health, {}
        return unsaved

    def refusal(self, sender_id: int) -> SendOutcome | None:
        """Returns why a sender may not send now (paused, unhealthy), or None."""
        health = self._health.get(sender_id)
        return health.refusal(clock.now()) if health is not None else None

    async def register(self, spec: SenderSpec) -> None:
        """Records how to reach a sender; a changed transport or profile is rebuilt on next use."""
        previous = self._specs.get(spec.sender_id)
        self._specs[spec.sender_id] = spec
        if previous is not None and previous != spec:
            await self.close(spec.sender_id)

    def is_registered(self, sender_id: int) -> bool:
        return sender_id in self._specs

    def transport_of(self, sender_id: int) -> str:
        """Returns the sender's transport kind (simulator, botapi, telethon), or "unknown"."""
        spec = self._specs.get(sender_id)
        return spec.transport if spec is not None else "unknown"

    def get(self, sender_id: int, *, profile_name: str | None = None) -> Transport:
        """Returns the sender's transport, creating it on first use."""
        transport = self._transports.get(sender_id)
        if transport is not None:
            return transport
        spec = self._specs.get(sender_id)
        if spec is None:
            raise Unavailable(
                f"Sender {sender_id} is not loaded in this process; "
                "load it with telegram.get_sender first"
            )
        transport = self._build(spec, profile_name or spec.profile_name)
        self._transports[sender_id] = transport
        log.info("telegram.transport_created", sender_id=sender_id, transport=spec.transport)
        return transport

    def configure_simulator(
        self,
        sender_id: int,
        *,
        behaviour: BehaviourModel | None = None,
        seed: int | None = None,
        transient_failure_p: float | None = None,
        lost_response_p: float | None = None,
    ) -> None:
        """Sets how a sender's simulator behaves, now if it is running and whenever it is built."""
        settings = self._simulator_settings.get(sender_id, SimulatorSettings())
        if behaviour is not None:
            settings = replace(settings, behaviour=behaviour)
        if seed is not None:
            settings = replace(settings, seed=seed)
        if transient_failure_p is not None:
            settings = replace(settings, transient_failure_p=transient_failure_p)
        if lost_response_p is not None:
            settings = replace(settings, lost_response_p=lost_response_p)
        self._simulator_settings[sender_id] = settings
        running = self._transports.get(sender_id)
        if isinstance(running, TelegramSimulator):
            running.configure(behaviour=behaviour, seed=seed)
            running.set_faults(
                transient_failure_p=settings.transient_failure_p,
                lost_response_p=settings.lost_response_p,
            )

    def started_chats(self, sender_id: int) -> set[int]:
        """Returns who started the sender's simulated bot (Telegram's memory, shared with its
        simulator, now and when rebuilt): add to it the people a demo or a test had start it."""
        return self._simulator_settings.setdefault(sender_id, SimulatorSettings()).started_chats

    def simulator(self, sender_id: int) -> TelegramSimulator:
        """Returns the sender's running simulator (for the demo's and the benchmarks' stats)."""
        transport = self._transports.get(sender_id)
        if transport is None and self.is_registered(sender_id):
            transport = self.get(sender_id)
        if not isinstance(transport, TelegramSimulator):
            raise NotFound(f"Sender {sender_id} has no simulator transport in this process")
        return transport

    async def close(self, sender_id: int) -> None:
        """Closes and forgets one sender's transport."""
        transport = self._transports.pop(sender_id, None)
        if transport is not None:
            await transport.close()

    async def close_all(self) -> None:
        """Closes every transport and forgets every sender."""
        for sender_id in list(self._transports):
            await self.close(sender_id)
        self._specs.clear()
        self._simulator_settings.clear()
        self._health.clear()
        if self._unsaved_health:  # rediscovered by the next process that uses the sender
            log.warning("telegram.health_unsaved_at_shutdown", senders=len(self._unsaved_health))
        self._unsaved_health.clear()

    def telethon(self, sender_id: int) -> TelethonTransport:
        """Returns the sender's user-account transport (groups and channels need it)."""
        from marketing_agent.telegram.telethon_transport import TelethonTransport

        transport = self.get(sender_id)
        if not isinstance(transport, TelethonTransport):
            raise NotFound(f"Sender {sender_id} is not a user account (telethon transport)")
        return transport

    def _build(self, spec: SenderSpec, profile_name: str) -> Transport:
        if spec.transport == "telethon":
            return self._build_telethon(spec, profile_name)
        if spec.transport == "botapi":
            return self._build_botapi(spec, profile_name)
        if spec.transport != "simulator":
            raise Unavailable(f"Unknown transport '{spec.transport}'")
        settings = self._simulator_settings.setdefault(spec.sender_id, SimulatorSettings())
        return TelegramSimulator(
            get_profile_by_name(profile_name),
            settings.behaviour,
            settings.seed,
            transient_failure_p=settings.transient_failure_p,
            lost_response_p=settings.lost_response_p,
            label=f"sender:{spec.sender_id}",
            started_chats=settings.started_chats,
        )

    def botapi(self, sender_id: int) -> BotApiTransport:
        """Returns the sender's Bot API transport (getMe, webhooks)."""
        from marketing_agent.telegram.botapi import BotApiTransport

        transport = self.get(sender_id)
        if not isinstance(transport, BotApiTransport):
            raise NotFound(f"Sender {sender_id} is not a Bot API bot (botapi transport)")
        return transport

    def _build_botapi(self, spec: SenderSpec, profile_name: str) -> BotApiTransport:
        from marketing_agent.telegram.botapi import BotApiTransport

        sender_id = spec.sender_id

        def token() -> str:  # decrypted only when the connection opens
            if not spec.secret_encrypted:
                raise SecretUnreadable("the bot has no token")
            try:
                return self.secret_box().decrypt(spec.secret_encrypted)
            except SecretUnreadable:
                if self._secret_box_injected:
                    raise
                self._secret_box = None  # `keys rotate` may have replaced the key files
                return self.secret_box().decrypt(spec.secret_encrypted)

        def on_unhealthy(reason: str) -> None:
            self.report_problem(sender_id, reason)

        return BotApiTransport(
            token,
            server_url=spec.bot_api_url or self.default_bot_api_url(),
            profile=get_profile_by_name(profile_name),
            paid_broadcast=profile_name == "paid_broadcast",
            receive_by_polling=not spec.webhook,
            label=f"sender:{sender_id}",
            on_unhealthy=on_unhealthy,
        )

    def default_bot_api_url(self) -> str:
        """Returns the Bot API server of bots that name none (MA_TELEGRAM_BOT_API_URL)."""
        if self._bot_api_url is not None:
            return self._bot_api_url
        from marketing_agent.core.settings import get_settings

        return get_settings().telegram_bot_api_url

    def _build_telethon(self, spec: SenderSpec, profile_name: str) -> TelethonTransport:
        from marketing_agent.telegram.telethon_transport import (
            TelethonTransport,
            open_telethon_client,
        )

        sender_id = spec.sender_id
        make_client = self._telethon_clients or open_telethon_client

        def open_client() -> MTProtoClient:  # decrypts only when the connection opens
            return make_client(self._telethon_credentials(spec))

        def on_unhealthy(reason: str) -> None:
            self.report_problem(sender_id, reason)

        return TelethonTransport(
            open_client,
            get_profile_by_name(profile_name),
            label=f"sender:{sender_id}",
            on_unhealthy=on_unhealthy,
        )

    def _telethon_credentials(self, spec: SenderSpec) -> TelethonCredentials:
        if not (spec.secret_encrypted and spec.api_hash_encrypted and spec.api_id):
            raise ValueError("the user account has no session or API credentials")
        try:
            return self._decrypt_credentials(spec, self.secret_box())
        except SecretUnreadable:
            if self._secret_box_injected:
                raise
            # `keys rotate` may have replaced the key files since this process read them.
            self._secret_box = None
            return self._decrypt_credentials(spec, self.secret_box())

    @staticmethod
    def _decrypt_credentials(spec: SenderSpec, box: SecretBox) -> TelethonCredentials:
        from marketing_agent.telegram.telethon_transport import TelethonCredentials

        assert spec.api_id is not None and spec.api_hash_encrypted and spec.secret_encrypted
        return TelethonCredentials(
            api_id=spec.api_id,
            api_hash=box.decrypt(spec.api_hash_encrypted),
            session=box.decrypt(spec.secret_encrypted),
        )

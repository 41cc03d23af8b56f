"""The transport pool: one live transport per sender, created on first use, kept per process.

Senders become known to the pool when the service loads them from the database, so a send
needs no query; a sender that was never loaded in this process is refused, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from marketing_agent.core.errors import NotFound, Unavailable
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram.profiles import get_profile_by_name
from marketing_agent.telegram.simulator import BehaviourModel, TelegramSimulator
from marketing_agent.telegram.transport import Transport

log = get_logger(__name__)

_NOT_YET = {
    "botapi": "The Bot API transport arrives with the Telegram-layer issue",
    "telethon": "The Telethon (user account) transport arrives with the Telegram-layer issue",
}


@dataclass(frozen=True)
class SenderSpec:
    """What the pool needs to build a sender's transport."""

    sender_id: int
    transport: str  # simulator | botapi | telethon
    profile_name: str
    secret_encrypted: str | None = field(default=None, repr=False)  # decrypted on connect


@dataclass(frozen=True)
class SimulatorSettings:
    """How a sender's simulator plays its recipients and faults."""

    behaviour: BehaviourModel | None = None
    seed: int = 0
    transient_failure_p: float = 0.0
    lost_response_p: float = 0.0


class TransportPool:
    """Lazily creates and caches one transport per sender id."""

    def __init__(self) -> None:
        self._specs: dict[int, SenderSpec] = {}
        self._transports: dict[int, Transport] = {}
        self._simulator_settings: dict[int, SimulatorSettings] = {}

    async def register(self, spec: SenderSpec) -> None:
        """Records how to reach a sender; a changed transport or profile is rebuilt on next use."""
        previous = self._specs.get(spec.sender_id)
        self._specs[spec.sender_id] = spec
        if previous is not None and previous != spec:
            await self.close(spec.sender_id)

    def is_registered(self, sender_id: int) -> bool:
        return sender_id in self._specs

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

    async def forget(self, sender_id: int) -> None:
        """Closes a sender's transport and drops everything known about it."""
        await self.close(sender_id)
        self._specs.pop(sender_id, None)
        self._simulator_settings.pop(sender_id, None)

    async def close_all(self) -> None:
        """Closes every transport and forgets every sender."""
        for sender_id in list(self._transports):
            await self.close(sender_id)
        self._specs.clear()
        self._simulator_settings.clear()

    def _build(self, spec: SenderSpec, profile_name: str) -> Transport:
        if spec.transport in _NOT_YET:
            raise Unavailable(f"{_NOT_YET[spec.transport]}; use the simulator transport until then")
        if spec.transport != "simulator":
            raise Unavailable(f"Unknown transport '{spec.transport}'")
        settings = self._simulator_settings.get(spec.sender_id, SimulatorSettings())
        return TelegramSimulator(
            get_profile_by_name(profile_name),
            settings.behaviour,
            settings.seed,
            transient_failure_p=settings.transient_failure_p,
            lost_response_p=settings.lost_response_p,
            label=f"sender:{spec.sender_id}",
        )

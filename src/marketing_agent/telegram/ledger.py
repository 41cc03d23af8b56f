"""A receipt ledger that makes the simulators of several worker processes act as one Telegram.

Each process runs its own `TelegramSimulator` (limits, refusals, faults, recipients), but what
was delivered is decided by one atomic Redis script: a message counts as delivered when the
ledger records it, a resend with a random_id the ledger has seen delivers nothing (as MTProto),
and every receipt is kept (chat, time) so a test or a benchmark can count duplicates and limit
breaches across processes, and across workers killed mid-send. Who started the bot is kept
there too, so every process's simulator reaches the same people.

Used by `marketing-agent worker` when `MA_SIMULATOR_LEDGER` is set (tests and benchmarks).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import redis.asyncio as redis

from marketing_agent.core import clock
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.pool import TransportPool
from marketing_agent.telegram.simulator import TelegramSimulator
from marketing_agent.telegram.transport import OutgoingMessage, SendOutcome, SendStatus

# KEYS: random ids -> message id, receipts per chat, receipt times, message id sequence,
#       deduplicated count. ARGV: random id or "", chat id, time.
# Returns {message id, 1 when it was a resend that delivered nothing}.
_RECORD = """
if ARGV[1] ~= '' then
  local known = redis.call('HGET', KEYS[1], ARGV[1])
  if known then
    redis.call('INCR', KEYS[5])
    return {tonumber(known), 1}
  end
end
local message_id = redis.call('INCR', KEYS[4])
if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], ARGV[1], message_id) end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('RPUSH', KEYS[3], ARGV[2] .. ' ' .. ARGV[3])
return {message_id, 0}
"""


@dataclass
class Receipts:
    """What the simulated Telegram received from one sender, over every process."""

    received: dict[int, int] = field(default_factory=dict)  # chat id -> messages
    times: list[tuple[int, float]] = field(default_factory=list)  # (chat id, unix time)
    deduplicated: int = 0

    @property
    def duplicates(self) -> int:
        """Returns the messages a chat got beyond its first."""
        return sum(n - 1 for n in self.received.values() if n > 1)

    def max_in_window(self, window_s: float) -> int:
        """Returns the most receipts in any sliding window of `window_s` seconds."""
        stamps = sorted(t for _, t in self.times)
        most, first = 0, 0
        for last, stamp in enumerate(stamps):
            while stamp - stamps[first] >= window_s:
                first += 1
            most = max(most, last - first + 1)
        return most


class SimulatorLedger:
    """Wraps `telegram.send_message` for simulator senders with the shared receipts."""

    def __init__(self, url: str, transports: TransportPool, *, prefix: str) -> None:
        self.transports = transports
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=32, timeout=None)
        self.client: redis.Redis = redis.Redis(connection_pool=pool)
        self.prefix = prefix
        self._record = self.client.register_script(_RECORD)
        self._audiences_loaded: set[int] = set()

    async def send_message(
        self, *, sender_id: int, profile_name: str, message: OutgoingMessage
    ) -> SendOutcome:
        """Sends through the sender's simulator; the ledger decides what was delivered."""
        at = clock.now().timestamp()
        simulator = self.transports.simulator(sender_id)
        await self._learn_who_started(simulator, sender_id, message.chat_id)
        delivered_before = simulator.stats.sent
        outcome = await telegram.send_message(
            transports=self.transports,
            sender_id=sender_id,
            profile_name=profile_name,
            message=message,
        )
        if simulator.stats.sent == delivered_before:
            return outcome  # refused, or a FloodWait: nothing reached the chat
        message_id, _ = await self._record(
            keys=_keys(self.prefix, sender_id),
            args=["" if message.random_id is None else message.random_id, message.chat_id, at],
        )
        if outcome.status is SendStatus.SENT:
            return SendOutcome(SendStatus.SENT, message_id=int(message_id))
        return outcome  # delivered, but the answer was lost on the way back

    async def _learn_who_started(
        self, simulator: TelegramSimulator, sender_id: int, chat_id: int
    ) -> None:
        """Teaches this process's simulator who started the bot: everyone known on its first
        send, later a chat it has not seen yet (one lookup)."""
        key = _started_key(self.prefix, sender_id)
        if sender_id not in self._audiences_loaded:
            self._audiences_loaded.add(sender_id)
            simulator.add_started_chats(int(chat) for chat in await self.client.smembers(key))
        if not simulator.has_started(chat_id) and await self.client.sismember(key, str(chat_id)):
            simulator.add_started_chats([chat_id])

    async def close(self) -> None:
        await self.client.aclose()


async def record_started_chats(
    client: redis.Redis, *, prefix: str, sender_id: int, chat_ids: Iterable[int]
) -> None:
    """Records people who started the bot (and groups it is in) for every process's simulator."""
    chats = [str(chat) for chat in chat_ids]
    key = _started_key(prefix, sender_id)
    for start in range(0, len(chats), 10_000):
        await client.sadd(key, *chats[start : start + 10_000])


async def read_receipts(client: redis.Redis, *, prefix: str, sender_id: int) -> Receipts:
    """Returns every receipt the ledger holds for a sender."""
    _, received_key, times_key, _, dedup_key = _keys(prefix, sender_id)
    received = await client.hgetall(received_key)
    times = await client.lrange(times_key, 0, -1)
    deduplicated = await client.get(dedup_key)
    receipts = Receipts(deduplicated=int(deduplicated or 0))
    receipts.received = {int(chat): int(n) for chat, n in received.items()}
    for entry in times:
        chat, stamp = entry.split()
        receipts.times.append((int(chat), float(stamp)))
    return receipts


def _started_key(prefix: str, sender_id: int) -> str:
    return f"{prefix}:ledger:{{{sender_id}}}:started"


def _keys(prefix: str, sender_id: int) -> list[str]:
    base = f"{prefix}:ledger:{{{sender_id}}}"
    return [f"{base}:ids", f"{base}:received", f"{base}:times", f"{base}:seq", f"{base}:dedup"]

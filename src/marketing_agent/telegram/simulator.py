"""The Telegram simulator: a transport that answers the way Telegram does, on any clock.

It enforces its sender profile's limits itself (so a wrong limiter shows up as FloodWaits),
refuses unreachable recipients with Telegram's reasons (a bot reaches only the people who started
it and the groups it is in), and plays recipients who read, click, reply, convert and stop with
per-variant probabilities drawn from one seeded RNG. Only user accounts see read receipts.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from marketing_agent.core.clock import Clock, get_clock
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram.profiles import SenderProfile, telegram_text_length
from marketing_agent.telegram.transport import (
    InboundEvent,
    InboundKind,
    JoinRequest,
    OutgoingMessage,
    SendOutcome,
    SendStatus,
)

log = get_logger(__name__)

RecipientState = Literal["blocked", "privacy_restricted", "deactivated", "invalid"]
SenderKind = Literal["bot", "user"]

# What Telegram answers for each unreachable recipient, in our reason vocabulary.
_STATE_REASONS: dict[str, str] = {
    "blocked": "blocked",
    "privacy_restricted": "privacy_restricted",
    "deactivated": "deactivated",
    "invalid": "invalid_peer",
}
# What a person does in a private chat with a bot that starts the chat (Telegram lets a bot
# write to a person only after that); a read or a purchase on a website starts nothing.
_STARTING_KINDS = frozenset({"start", "reply", "click", "stop", "consent_yes"})
_REPLIES = ("Thanks!", "How much is it?", "Is this still available?", "Not interested", "👍")
# Clock arithmetic leaves float noise of a few ulps; Telegram does not measure nanoseconds.
_TOLERANCE_S = 1e-9
_GROUP_WINDOW_S = 60.0


@dataclass(frozen=True)
class RecipientBehaviour:
    """How recipients react to one variant; each delay is the mean of an exponential draw."""

    read_p: float = 0.7
    click_p: float = 0.1  # given read
    reply_p: float = 0.02  # given read
    convert_p: float = 0.2  # given click
    stop_p: float = 0.01  # given read
    read_delay_s: float = 600.0  # after delivery
    click_delay_s: float = 30.0  # after read
    reply_delay_s: float = 120.0  # after read
    convert_delay_s: float = 600.0  # after click
    stop_delay_s: float = 60.0  # after read

    def __post_init__(self) -> None:
        for name in ("read_p", "click_p", "reply_p", "convert_p", "stop_p"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1]")
        for name in (
            "read_delay_s",
            "click_delay_s",
            "reply_delay_s",
            "convert_delay_s",
            "stop_delay_s",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


@dataclass(frozen=True)
class BehaviourModel:
    """Recipient behaviour per variant key, with a default for untagged or unknown variants."""

    default: RecipientBehaviour = field(default_factory=RecipientBehaviour)
    variants: Mapping[str, RecipientBehaviour] = field(default_factory=dict)

    def for_variant(self, variant_key: str | None) -> RecipientBehaviour:
        """Returns the behaviour for `variant_key`, or the default."""
        if variant_key is None:
            return self.default
        return self.variants.get(variant_key, self.default)


@dataclass
class SimulatorStats:
    """What the simulator saw: enough to prove no limit was broken and nobody got a duplicate."""

    attempts: int = 0  # sends that passed the flood checks (delivered or refused)
    sent: int = 0
    flood_waits: int = 0
    ignored_flood_waits: int = 0  # sends made while a FloodWait was still running
    permanent_failures: int = 0
    transient_failures: int = 0
    deduplicated: int = 0
    received: dict[int, int] = field(default_factory=dict)  # chat id -> messages delivered
    failure_reasons: dict[str, int] = field(default_factory=dict)
    max_global_per_s: int = 0  # most sends accepted in any sliding one-second window
    max_group_per_min: int = 0  # most deliveries to one group in any sliding minute
    min_chat_gap_s: float | None = None  # shortest gap between two deliveries to one chat
    first_sent_at_s: float | None = None  # clock.monotonic() of the first delivery
    last_sent_at_s: float | None = None

    @property
    def achieved_per_s(self) -> float:
        """Returns the delivery rate between the first and the last delivery."""
        if self.first_sent_at_s is None or self.last_sent_at_s is None or self.sent < 2:
            return 0.0
        span = self.last_sent_at_s - self.first_sent_at_s
        return (self.sent - 1) / span if span > 0 else math.inf

    @property
    def max_received(self) -> int:
        """Returns the most messages any one chat received."""
        return max(self.received.values(), default=0)


class TelegramSimulator:
    """A transport that behaves like Telegram for one sender, including its recipients."""

    def __init__(
        self,
        profile: SenderProfile,
        behaviour: BehaviourModel | None = None,
        seed: int = 0,
        *,
        transient_failure_p: float = 0.0,
        lost_response_p: float = 0.0,
        clock: Clock | None = None,
        label: str = "simulator",
        sender_kind: SenderKind | None = None,
        started_chats: set[int] | None = None,
    ) -> None:
        """`sender_kind` defaults to "user" for the user profile, else "bot". `started_chats` are
        the chats that started the bot (negative: groups it is in), shared with the caller, who
        may keep it across simulators; None models no audience: every chat is reachable."""
        self.profile = profile
        self.sender_kind: SenderKind = sender_kind or ("user" if profile.name == "user" else "bot")
        self._started = started_chats
        self.behaviour = behaviour or BehaviourModel()
        self.label = label
        self.stats = SimulatorStats()
        self._rng = random.Random(seed)
        self._transient_failure_p = 0.0
        self._lost_response_p = 0.0
        self.set_faults(transient_failure_p=transient_failure_p, lost_response_p=lost_response_p)
        self._clock_override = clock
        self._window_s, self._window_capacity = profile.global_window()
        self._recent: deque[float] = deque()
        self._chat_last: dict[int, float] = {}
        self._group_recent: dict[int, deque[float]] = {}
        self._penalty_until = -math.inf
        self._chat_penalty_until: dict[int, float] = {}
        self._recipient_states: dict[int, str] = {}
        # People who never started the bot but may be written to until a time (the clock's
        # monotonic seconds): a join request's requester; -inf once the window closed.
        self._write_windows: dict[int, float] = {}
        self._stopped_at: dict[int, datetime] = {}
        self._random_ids: dict[int, int] = {}
        self._message_ids = itertools.count(1)
        self._events: list[tuple[datetime, int, InboundEvent]] = []
        self._event_seq = itertools.count()
        self._health_problem: str | None = None
        self._closed = False

    # -- configuration -------------------------------------------------------------------------

    def configure(
        self, *, behaviour: BehaviourModel | None = None, seed: int | None = None
    ) -> None:
        """Replaces the recipients' behaviour and/or reseeds the RNG."""
        if behaviour is not None:
            self.behaviour = behaviour
        if seed is not None:
            self._rng = random.Random(seed)

    def set_faults(self, *, transient_failure_p: float, lost_response_p: float) -> None:
        """Sets how often a send times out undelivered, or is delivered but its answer lost."""
        for name, p in (
            ("transient_failure_p", transient_failure_p),
            ("lost_response_p", lost_response_p),
        ):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1]")
        self._transient_failure_p = transient_failure_p
        self._lost_response_p = lost_response_p

    def set_recipient_state(self, chat_id: int, state: RecipientState | None) -> None:
        """Makes `chat_id` unreachable with Telegram's reason, or reachable again (None)."""
        if state is None:
            self._recipient_states.pop(chat_id, None)
            self._stopped_at.pop(chat_id, None)
            return
        if state not in _STATE_REASONS:
            raise ValueError(f"unknown recipient state '{state}'")
        self._recipient_states[chat_id] = state

    def add_started_chats(self, chat_ids: Iterable[int]) -> None:
        """Records people who started the bot earlier (and groups it was added to), without an
        update: their /start was handled before (a demo's or a test's audience)."""
        if self._started is None:
            self._started = set()
        self._started.update(chat_ids)

    def has_started(self, chat_id: int) -> bool:
        """Returns whether the bot may write to `chat_id` (Telegram's rule, for bots only)."""
        return self._started is None or self.sender_kind == "user" or chat_id in self._started

    def set_write_window(self, chat_id: int, until_s: float) -> None:
        """Lets the bot write to a person who never started it until `until_s` (the clock's
        monotonic seconds; -inf: no longer), as Telegram lets it write to a join requester
        for a while; a person who starts the bot is reachable regardless."""
        self._write_windows[chat_id] = until_s

    def set_sender_health(self, problem: str | None) -> None:
        """Restricts the whole sender ("peer_flood", "banned", "session_revoked"), or lifts it."""
        self._health_problem = problem

    def simulate_user_action(
        self,
        kind: InboundKind,
        chat_id: int,
        *,
        text: str | None = None,
        delay_s: float = 0.0,
        payload: Mapping[str, str] | None = None,
    ) -> InboundEvent:
        """Schedules something a person does unprompted, such as starting the bot."""
        if kind in _STARTING_KINDS and chat_id > 0 and self._started is not None:
            self._started.add(chat_id)
        if kind == "start":  # starting a bot again unblocks it
            self._stopped_at.pop(chat_id, None)
            if self._recipient_states.get(chat_id) == "blocked":
                del self._recipient_states[chat_id]
        event = InboundEvent(
            kind=kind,
            chat_id=chat_id,
            occurred_at=self._now() + timedelta(seconds=delay_s),
            text=text,
            payload=dict(payload or {}),
        )
        self._schedule(event)
        return event

    @property
    def pending_events(self) -> int:
        return len(self._events)

    @property
    def next_event_at(self) -> datetime | None:
        """Returns when the next inbound event is due (a virtual clock can jump there)."""
        return self._events[0][0] if self._events else None

    # -- Transport -----------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> SendOutcome:
        """Sends one message the way Telegram would answer it."""
        # No await inside: concurrent senders are checked and recorded atomically.
        return self._send(message)

    async def approve_join(self, request: JoinRequest) -> SendOutcome:
        """Refuses as Telegram refuses a request it does not know: this simulator plays no join
        requests (the simulated Bot API server does, simulator_http.py)."""
        return SendOutcome(SendStatus.PERMANENT, reason="join_request_missing")

    async def fetch_updates(self) -> list[InboundEvent]:
        """Returns, and forgets, the events whose time has come, oldest first."""
        now = self._now()
        due: list[InboundEvent] = []
        while self._events and self._events[0][0] <= now:
            due.append(heapq.heappop(self._events)[2])
        return due

    def confirm_updates(self) -> None:
        """Nothing to confirm: handed-out events are gone (an in-process simulator's are lost
        with its process anyway)."""

    async def close(self) -> None:
        """Stops sending; later sends answer SENDER_UNHEALTHY."""
        self._closed = True

    # -- sending -------------------------------------------------------------------------------

    def _send(self, message: OutgoingMessage) -> SendOutcome:
        now = self._monotonic()
        if self._closed:
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="transport_closed")
        if self._health_problem is not None:
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason=self._health_problem)
        if message.random_id is not None and message.random_id in self._random_ids:
            self.stats.deduplicated += 1
            return SendOutcome(SendStatus.SENT, message_id=self._random_ids[message.random_id])
        flood = self._check_limits(message, now)
        if flood is not None:
            self.stats.flood_waits += 1
            return flood
        self._record_attempt(now)
        refusal = self._refusal(message)
        if refusal is not None:
            self.stats.permanent_failures += 1
            self.stats.failure_reasons[refusal] = self.stats.failure_reasons.get(refusal, 0) + 1
            return SendOutcome(SendStatus.PERMANENT, reason=refusal)
        if self._draw(self._transient_failure_p):
            self.stats.transient_failures += 1
            return SendOutcome(SendStatus.RETRY_BACKOFF, reason="timeout")
        message_id = self._deliver(message, now)
        if self._draw(self._lost_response_p):
            # Delivered, but the answer never came back: only random_id makes a retry safe.
            # (The message id is what Telegram knows; the sender never sees it.)
            self.stats.transient_failures += 1
            return SendOutcome(
                SendStatus.RETRY_BACKOFF, message_id=message_id, reason="response_lost"
            )
        return SendOutcome(SendStatus.SENT, message_id=message_id)

    def _check_limits(self, message: OutgoingMessage, now: float) -> SendOutcome | None:
        """Returns a FloodWait if this send would break a limit, else None."""
        chat_id = message.chat_id
        penalty_until = max(self._penalty_until, self._chat_penalty_until.get(chat_id, -math.inf))
        if now < penalty_until - _TOLERANCE_S:
            self.stats.ignored_flood_waits += 1
            return self._flood_wait(penalty_until - now, scope="ignored")
        recent = _prune(self._recent, now - self._window_s)
        if len(recent) >= self._window_capacity:
            outcome = self._flood_wait(recent[0] + self._window_s - now, scope="global")
            self._penalty_until = now + (outcome.retry_after_s or 0.0)
            return outcome
        last = self._chat_last.get(chat_id)
        if last is not None and now - last < self.profile.private_per_chat_s - _TOLERANCE_S:
            outcome = self._flood_wait(last + self.profile.private_per_chat_s - now, scope="chat")
            self._chat_penalty_until[chat_id] = now + (outcome.retry_after_s or 0.0)
            return outcome
        if message.chat_kind == "group":
            group = _prune(self._group_recent.get(chat_id, deque()), now - _GROUP_WINDOW_S)
            if len(group) >= self.profile.group_per_min:
                outcome = self._flood_wait(group[0] + _GROUP_WINDOW_S - now, scope="group")
                self._chat_penalty_until[chat_id] = now + (outcome.retry_after_s or 0.0)
                return outcome
        return None

    def _flood_wait(self, wait_s: float, *, scope: str) -> SendOutcome:
        # Telegram answers in whole seconds, never less than one.
        retry_after_s = float(max(1, math.ceil(wait_s - _TOLERANCE_S)))
        log.info(
            "simulator.flood_wait", sender=self.label, scope=scope, retry_after_s=retry_after_s
        )
        return SendOutcome(SendStatus.RETRY_AFTER, retry_after_s=retry_after_s, reason="flood_wait")

    def _record_attempt(self, now: float) -> None:
        self._recent.append(now)
        self.stats.attempts += 1
        self.stats.max_global_per_s = max(self.stats.max_global_per_s, len(self._recent))

    def _refusal(self, message: OutgoingMessage) -> str | None:
        """Returns why Telegram would refuse this message for good, or None."""
        if message.media is not None:  # the text is a caption: it may be empty, not long
            if telegram_text_length(message.text) > self.profile.max_caption_len:
                return "caption_too_long"
        elif not message.text.strip():
            return "empty_text"
        elif telegram_text_length(message.text) > self.profile.max_text_len:
            return "too_long"
        if message.chat_id == 0:
            return "invalid_peer"
        state = self._recipient_states.get(message.chat_id)
        if state is not None:
            return _STATE_REASONS[state]
        stopped_at = self._stopped_at.get(message.chat_id)
        if stopped_at is not None and stopped_at <= self._now():
            return "blocked"
        if not self.has_started(message.chat_id):
            window = self._write_windows.get(message.chat_id)
            if window is None:
                return "chat_not_found"  # Telegram's answer for a chat the bot has never seen
            if self._monotonic() > window + _TOLERANCE_S:
                return "not_started"  # a join requester, once the request was processed
        return None

    def _deliver(self, message: OutgoingMessage, now: float) -> int:
        stats = self.stats
        chat_id = message.chat_id
        message_id = next(self._message_ids)
        if message.random_id is not None:
            self._random_ids[message.random_id] = message_id
        last = self._chat_last.get(chat_id)
        if last is not None:
            gap = now - last
            stats.min_chat_gap_s = (
                gap if stats.min_chat_gap_s is None else min(stats.min_chat_gap_s, gap)
            )
        self._chat_last[chat_id] = now
        if message.chat_kind == "group":
            group = self._group_recent.setdefault(chat_id, deque())
            group.append(now)
            stats.max_group_per_min = max(stats.max_group_per_min, len(group))
        stats.sent += 1
        stats.received[chat_id] = stats.received.get(chat_id, 0) + 1
        if stats.first_sent_at_s is None:
            stats.first_sent_at_s = now
        stats.last_sent_at_s = now
        self._schedule_reactions(message, message_id)
        return message_id

    # -- simulated recipients ------------------------------------------------------------------

    def _schedule_reactions(self, message: OutgoingMessage, message_id: int) -> None:
        """Draws what this recipient will do about the message and when."""
        behaviour = self.behaviour.for_variant(message.tags.get("variant_key"))
        if not self._draw(behaviour.read_p):
            return
        chat_id = message.chat_id
        read_at = self._now() + self._delay(behaviour.read_delay_s)
        if self.sender_kind == "user":  # Telegram sends read receipts to user accounts only
            self._react("read", chat_id, read_at, message_id)
        if self._draw(behaviour.click_p):
            click_at = read_at + self._delay(behaviour.click_delay_s)
            payload = _button_payload(message)
            self._react("click", chat_id, click_at, message_id, payload=payload)
            if self._draw(behaviour.convert_p):
                convert_at = click_at + self._delay(behaviour.convert_delay_s)
                self._react("converted", chat_id, convert_at, message_id, payload=payload)
        if self._draw(behaviour.reply_p):
            reply_at = read_at + self._delay(behaviour.reply_delay_s)
            self._react("reply", chat_id, reply_at, message_id, text=self._rng.choice(_REPLIES))
        if self._draw(behaviour.stop_p):
            stop_at = read_at + self._delay(behaviour.stop_delay_s)
            self._react("stop", chat_id, stop_at, message_id, text="/stop")
            self._stopped_at[chat_id] = stop_at  # later sends find the bot blocked

    def _react(
        self,
        kind: InboundKind,
        chat_id: int,
        at: datetime,
        message_id: int,
        *,
        text: str | None = None,
        payload: Mapping[str, str] | None = None,
    ) -> None:
        self._schedule(
            InboundEvent(
                kind=kind,
                chat_id=chat_id,
                occurred_at=at,
                message_id=message_id,
                text=text,
                payload=dict(payload or {}),
            )
        )

    def _schedule(self, event: InboundEvent) -> None:
        heapq.heappush(self._events, (event.occurred_at, next(self._event_seq), event))

    def _draw(self, probability: float) -> bool:
        # Zero-probability branches take no draw, so turning a fault off keeps the sequence.
        return probability > 0.0 and self._rng.random() < probability

    def _delay(self, mean_s: float) -> timedelta:
        seconds = self._rng.expovariate(1.0 / mean_s) if mean_s > 0 else 0.0
        return timedelta(seconds=seconds)

    # -- time ----------------------------------------------------------------------------------

    def _time(self) -> Clock:
        return self._clock_override or get_clock()

    def _now(self) -> datetime:
        return self._time().now()

    def _monotonic(self) -> float:
        return self._time().monotonic()


def _prune(times: deque[float], horizon: float) -> deque[float]:
    """Drops the times at or before `horizon` (they have left the sliding window)."""
    while times and times[0] <= horizon + _TOLERANCE_S:
        times.popleft()
    return times


def _button_payload(message: OutgoingMessage) -> dict[str, str]:
    """Returns what a click on the message's first button reports."""
    for row in message.buttons:
        for button in row:
            payload = {"button": button.text}
            if button.url is not None:
                payload["url"] = button.url
            if button.callback_data is not None:
                payload["data"] = button.callback_data
            return payload
    return {}

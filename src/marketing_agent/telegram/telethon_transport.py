"""The Telethon transport: a user account speaking MTProto behind the one Transport interface.

Every Telethon error becomes exactly one `SendOutcome` (`outcome_for_error`); a send carries the
caller's random_id through the raw API so that Telegram drops a resend after a crash; the
connection opens on first use and is reopened with exponential backoff and jitter when lost.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from telethon import errors, functions, types, utils
from telethon.extensions import html, markdown
from telethon.helpers import generate_random_long

from marketing_agent.core import clock
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram.consent_bot import is_stop_request
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

ChatCreationKind = Literal["group", "channel"]

# Reconnection after a lost connection: attempt n waits about BASE·2^(n-1) seconds (capped),
# half fixed and half random, so many accounts that lost the same network never reconnect in step.
RECONNECT_ATTEMPTS = 6
RECONNECT_BASE_S = 1.0
RECONNECT_CAP_S = 60.0
# Added to every FloodWait so that several workers released by the same wait do not all retry at
# the same instant; Telegram asks for whole seconds and a little more never breaks the rule.
FLOOD_JITTER_MAX_S = 1.0
# What a recipient writes to stop hearing from us (compared case-insensitively, without the
# trailing punctuation).
_INBOUND_BUFFER = 10_000  # events kept for fetch_updates; the oldest go first if nobody fetches
_SENT_MEMORY = 100_000  # random_id -> message id, so a resend in this process costs nothing
_TRACKED_CHATS = 50_000  # chats whose unread outgoing message ids we keep for read receipts
_TRACKED_PER_CHAT = 50


@dataclass(frozen=True)
class TelethonCredentials:
    """What opening a user account's connection takes; the secrets never appear in a repr."""

    api_id: int
    api_hash: str = field(repr=False)
    session: str = field(repr=False)  # a Telethon StringSession


class MTProtoClient(Protocol):
    """The part of `telethon.TelegramClient` this transport uses (tests inject their own)."""

    async def connect(self) -> None: ...

    def is_connected(self) -> bool: ...

    async def is_user_authorized(self) -> bool: ...

    async def get_input_entity(self, peer: Any) -> Any: ...

    async def get_dialogs(self, limit: int | None = None) -> Any: ...

    def add_event_handler(self, callback: Callable[[Any], Awaitable[None]], event: Any) -> None: ...

    def __call__(self, request: Any) -> Awaitable[Any]: ...

    def disconnect(self) -> Any: ...


ClientFactory = Callable[[], MTProtoClient]


def open_telethon_client(credentials: TelethonCredentials) -> MTProtoClient:
    """Returns a real Telethon client for the account, not yet connected."""
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    client: MTProtoClient = TelegramClient(
        StringSession(credentials.session),
        credentials.api_id,
        credentials.api_hash,
        # Every FloodWait reaches us (Telethon would otherwise sleep through short ones inside
        # the call, hiding them from the limiter and the metrics), and reconnection is ours.
        flood_sleep_threshold=0,
        request_retries=1,
        connection_retries=1,
        auto_reconnect=False,
    )
    return client


@dataclass(frozen=True)
class CreatedChat:
    """A group or channel the account created, or why it could not (`outcome`)."""

    outcome: SendOutcome
    chat_id: int | None = None  # the marked id (-100…), usable as OutgoingMessage.chat_id
    kind: ChatCreationKind = "group"


@dataclass
class MembershipResult:
    """What happened to each person asked to be added to a group or channel."""

    added: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # telegram id -> reason
    not_tried: list[int] = field(default_factory=list)  # left when `stopped_by` ended the run
    stopped_by: SendOutcome | None = None  # a FloodWait or an unhealthy sender stops the run


def outcome_for_error(exc: BaseException) -> SendOutcome | None:
    """Returns the one outcome a Telethon (or network) error means, or None if it is not one."""
    match exc:
        case errors.FloodWaitError() | errors.FloodPremiumWaitError():
            return SendOutcome(
                SendStatus.RETRY_AFTER, retry_after_s=float(exc.seconds), reason="flood_wait"
            )
        case errors.SlowModeWaitError():
            return SendOutcome(
                SendStatus.RETRY_AFTER, retry_after_s=float(exc.seconds), reason="slow_mode"
            )
        case errors.PeerFloodError():
            # Spam-limited for writing to non-contacts, for no stated time: pause the account.
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="peer_flood")
    for error_type, status, reason in _ERROR_OUTCOMES:
        if isinstance(exc, error_type):
            return SendOutcome(status, reason=reason)
    if isinstance(exc, errors.UnauthorizedError | errors.AuthKeyError):
        return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason=_rpc_reason(exc))
    if isinstance(exc, errors.BadRequestError | errors.ForbiddenError | errors.NotFoundError):
        return SendOutcome(SendStatus.PERMANENT, reason=_rpc_reason(exc))
    if isinstance(exc, errors.RPCError):  # 303 migrations, 420 without a time, 5xx, -503
        return SendOutcome(SendStatus.RETRY_BACKOFF, reason=_rpc_reason(exc))
    if isinstance(exc, ConnectionError):
        return SendOutcome(SendStatus.RETRY_BACKOFF, reason="connection_lost")
    if isinstance(exc, TimeoutError):
        return SendOutcome(SendStatus.RETRY_BACKOFF, reason="timeout")
    if isinstance(exc, OSError):
        return SendOutcome(SendStatus.RETRY_BACKOFF, reason="network_error")
    return None


# Checked in order (more specific first); reasons are the simulator's vocabulary where it has one.
_ERROR_OUTCOMES: tuple[tuple[type[BaseException], SendStatus, str], ...] = (
    (errors.UserPrivacyRestrictedError, SendStatus.PERMANENT, "privacy_restricted"),
    (errors.UserIsBlockedError, SendStatus.PERMANENT, "blocked"),
    (errors.InputUserDeactivatedError, SendStatus.PERMANENT, "deactivated"),
    (errors.PeerIdInvalidError, SendStatus.PERMANENT, "invalid_peer"),
    (errors.ChatWriteForbiddenError, SendStatus.PERMANENT, "chat_write_forbidden"),
    (errors.MessageTooLongError, SendStatus.PERMANENT, "too_long"),
    (errors.MessageEmptyError, SendStatus.PERMANENT, "empty_text"),
    (errors.EntityBoundsInvalidError, SendStatus.PERMANENT, "bad_formatting"),
    (errors.UserIsBotError, SendStatus.PERMANENT, "recipient_is_bot"),
    (errors.AuthKeyUnregisteredError, SendStatus.SENDER_UNHEALTHY, "auth_key_unregistered"),
    (errors.SessionRevokedError, SendStatus.SENDER_UNHEALTHY, "session_revoked"),
    (errors.UserDeactivatedBanError, SendStatus.SENDER_UNHEALTHY, "banned"),
    (errors.UserDeactivatedError, SendStatus.SENDER_UNHEALTHY, "account_deleted"),
    (errors.AuthKeyDuplicatedError, SendStatus.SENDER_UNHEALTHY, "auth_key_duplicated"),
    (errors.UserBannedInChannelError, SendStatus.SENDER_UNHEALTHY, "banned_in_groups"),
    (errors.UserRestrictedError, SendStatus.SENDER_UNHEALTHY, "spam_restricted"),
    (errors.TimedOutError, SendStatus.RETRY_BACKOFF, "timeout"),
    (errors.ServerError, SendStatus.RETRY_BACKOFF, "server_error"),
)


def _rpc_reason(exc: BaseException) -> str:
    # Telegram's own error code (e.g. CHAT_RESTRICTED), never the request: it holds the peer.
    message = getattr(exc, "message", None) or type(exc).__name__
    return str(message).lower()[:64]


class TelethonTransport:
    """One user account: sends, groups, inbound updates and its own connection's health."""

    def __init__(
        self,
        open_client: ClientFactory,
        profile: SenderProfile,
        *,
        label: str = "telethon",
        on_unhealthy: Callable[[str], None] | None = None,
        reconnect_attempts: int = RECONNECT_ATTEMPTS,
        reconnect_base_s: float = RECONNECT_BASE_S,
        reconnect_cap_s: float = RECONNECT_CAP_S,
        rng: random.Random | None = None,
    ) -> None:
        self.profile = profile
        self.label = label
        self._open_client = open_client
        self._on_unhealthy = on_unhealthy
        self._reconnect_attempts = reconnect_attempts
        self._reconnect_base_s = reconnect_base_s
        self._reconnect_cap_s = reconnect_cap_s
        self._rng = rng or random.Random()
        self._client: MTProtoClient | None = None
        self._connect_lock = asyncio.Lock()
        self._reconnecting: asyncio.Task[None] | None = None
        self._dialogs_loaded = False
        self._problem: str | None = None  # why the account cannot send at all
        self._closed = False
        self._flood_until = 0.0  # clock.monotonic() before which the account must not send
        self._chat_flood_until: dict[int, float] = {}  # slow mode is per chat
        self._sent: OrderedDict[int, int | None] = OrderedDict()  # random_id -> message id
        self._unread: OrderedDict[int, list[int]] = OrderedDict()  # chat -> our unread ids
        self._inbound: deque[InboundEvent] = deque(maxlen=_INBOUND_BUFFER)

    def __repr__(self) -> str:
        return f"TelethonTransport({self.label}, state={self.state})"

    @property
    def state(self) -> str:
        """Returns idle | connected | reconnecting | unhealthy | closed."""
        if self._closed:
            return "closed"
        if self._problem is not None:
            return "unhealthy"
        if self._reconnecting is not None and not self._reconnecting.done():
            return "reconnecting"
        return "connected" if self._client is not None else "idle"

    @property
    def problem(self) -> str | None:
        return self._problem

    # -- Transport -----------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> SendOutcome:
        """Sends one text message with the caller's random_id; never raises for Telegram."""
        refusal = self._refusal(message)
        if refusal is not None:
            return refusal
        parsed = _parse(message)
        if isinstance(parsed, SendOutcome):
            return parsed
        text, entities = parsed
        if telegram_text_length(text) > self.profile.max_text_len:
            return SendOutcome(SendStatus.PERMANENT, reason="too_long")
        random_id = message.random_id if message.random_id is not None else generate_random_long()
        if random_id in self._sent:  # delivered earlier in this process: nothing to send
            return SendOutcome(SendStatus.SENT, message_id=self._sent[random_id])
        client = await self._connected_client()
        if isinstance(client, SendOutcome):
            return client
        try:
            peer = await self._input_peer(client, message.chat_id)
            if peer is None:
                return SendOutcome(SendStatus.PERMANENT, reason="unknown_peer")
            result = await client(
                functions.messages.SendMessageRequest(
                    peer=peer,
                    message=text,
                    random_id=random_id,
                    entities=entities or None,
                )
            )
        except errors.RandomIdDuplicateError:
            # Telegram has this random_id already: an earlier attempt (maybe by a worker that
            # died before recording it) delivered the message. Sending nothing is the success.
            log.info("telegram.resend_deduplicated", sender=self.label)
            return SendOutcome(SendStatus.SENT, message_id=self._sent.get(random_id))
        except Exception as exc:
            return self._failed(exc, chat_id=message.chat_id)
        message_id = _sent_message_id(result, random_id)
        self._remember_sent(random_id, message.chat_id, message_id)
        return SendOutcome(SendStatus.SENT, message_id=message_id)

    async def fetch_updates(self) -> list[InboundEvent]:
        """Returns, and forgets, what recipients did since the last call (connecting if needed,
        since updates only flow while connected)."""
        if not self._closed and self._problem is None:
            await self._connected_client()
        events = list(self._inbound)
        self._inbound.clear()
        return events

    async def approve_join(self, request: JoinRequest) -> SendOutcome:
        """Refuses: a user account hears of no join requests here (only bots' updates carry
        them), so it never has one to approve."""
        return SendOutcome(SendStatus.PERMANENT, reason="join_requests_unsupported")

    def confirm_updates(self) -> None:
        """Nothing to confirm: MTProto pushes updates and keeps no offset of ours."""

    async def close(self) -> None:
        """Disconnects; later sends answer SENDER_UNHEALTHY."""
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            await asyncio.gather(self._reconnecting, return_exceptions=True)
        client, self._client = self._client, None
        if client is not None:
            await _disconnect(client)
            log.info("telegram.disconnected", sender=self.label)

    # -- groups and channels -------------------------------------------------------------------

    async def create_chat(
        self, *, title: str, about: str = "", kind: ChatCreationKind = "group"
    ) -> CreatedChat:
        """Creates a supergroup ("group") or a broadcast channel owned by the account."""
        client = await self._connected_client()
        if isinstance(client, SendOutcome):
            return CreatedChat(outcome=client, kind=kind)
        try:
            result = await client(
                functions.channels.CreateChannelRequest(
                    title=title,
                    about=about,
                    megagroup=kind == "group",
                    broadcast=kind == "channel",
                )
            )
        except Exception as exc:
            return CreatedChat(outcome=self._failed(exc), kind=kind)
        chats = [c for c in getattr(result, "chats", []) if isinstance(c, types.Channel)]
        if not chats:
            outcome = SendOutcome(SendStatus.RETRY_BACKOFF, reason="no_chat_returned")
            return CreatedChat(outcome=outcome, kind=kind)
        chat_id = utils.get_peer_id(types.PeerChannel(chats[0].id))
        log.info("telegram.chat_created", sender=self.label, kind=kind, chat_id=chat_id)
        return CreatedChat(outcome=SendOutcome(SendStatus.SENT), chat_id=chat_id, kind=kind)

    async def add_members(
        self, chat_id: int, user_ids: Sequence[int], *, consenting_ids: Collection[int]
    ) -> MembershipResult:
        """Adds people to a group or channel the account administers, one at a time.

        Contract: `consenting_ids` are the Telegram ids whose consent to be added the caller
        (the orchestrator) has checked is in force now; any other id is refused here with
        "no_consent" and never reaches Telegram. A FloodWait or an unhealthy account stops the
        run: the rest come back in `not_tried` for the caller to retry later, never through
        another account.
        """
        result = MembershipResult()
        allowed = set(consenting_ids)
        wanted: list[int] = []
        for user_id in dict.fromkeys(user_ids):
            if user_id in allowed:
                wanted.append(user_id)
            else:
                result.refused[user_id] = "no_consent"
        if len(result.refused):
            log.warning(
                "telegram.members_refused", sender=self.label, no_consent=len(result.refused)
            )
        client = await self._connected_client()
        if isinstance(client, SendOutcome):
            result.stopped_by, result.not_tried = client, wanted
            return result
        try:
            channel = await self._input_peer(client, chat_id)
        except Exception as exc:
            result.stopped_by, result.not_tried = self._failed(exc, chat_id=chat_id), wanted
            return result
        if channel is None:
            result.stopped_by = SendOutcome(SendStatus.PERMANENT, reason="unknown_chat")
            result.not_tried = wanted
            return result
        for index, user_id in enumerate(wanted):
            try:
                user = await self._input_peer(client, user_id)
                if user is None:
                    result.refused[user_id] = "unknown_peer"
                    continue
                invited = await client(
                    functions.channels.InviteToChannelRequest(channel=channel, users=[user])
                )
            except Exception as exc:
                outcome = self._failed(exc, chat_id=chat_id)
                if outcome.status is SendStatus.PERMANENT:
                    result.refused[user_id] = outcome.reason or "refused"
                    continue
                result.stopped_by, result.not_tried = outcome, wanted[index:]
                break
            missing = {m.user_id for m in getattr(invited, "missing_invitees", None) or []}
            if missing:  # the person's privacy settings do not let strangers add them
                result.refused[user_id] = "privacy_restricted"
            else:
                result.added.append(user_id)
        log.info(
            "telegram.members_added",
            sender=self.label,
            added=len(result.added),
            refused=len(result.refused),
            not_tried=len(result.not_tried),
        )
        return result

    # -- connection ----------------------------------------------------------------------------

    async def _connected_client(self) -> MTProtoClient | SendOutcome:
        """Returns the connected client, or the outcome that says why there is none now."""
        if self._closed:
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="transport_closed")
        if self._problem is not None:
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason=self._problem)
        if self._reconnecting is not None and not self._reconnecting.done():
            return SendOutcome(SendStatus.RETRY_BACKOFF, reason="reconnecting")
        client = self._client
        if client is not None and client.is_connected():
            return client
        async with self._connect_lock:
            if self._client is not None and self._client.is_connected():
                return self._client
            if self._client is not None:
                log.warning("telegram.connection_lost", sender=self.label)
            try:
                return await self._open()
            except _AccountUnusable as unusable:
                self._mark_unhealthy(unusable.reason)
                return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason=unusable.reason)
            except Exception as exc:
                outcome = outcome_for_error(exc)
                if outcome is None:
                    raise
                if outcome.status is SendStatus.SENDER_UNHEALTHY:
                    self._mark_unhealthy(outcome.reason or "unauthorized")
                    return outcome
                log.warning("telegram.connect_failed", sender=self.label, reason=outcome.reason)
                self._start_reconnecting()
                return SendOutcome(SendStatus.RETRY_BACKOFF, reason="connection_lost")

    async def _open(self) -> MTProtoClient:
        """Connects (building the client on first use) and checks the session still works."""
        if self._client is None:
            try:
                client = self._open_client()
            except Exception as exc:  # no credentials, or a key that cannot decrypt them
                raise _AccountUnusable(_credentials_problem(exc)) from exc
            self._client = client
            client.add_event_handler(self._on_update, _raw_updates())
            self._dialogs_loaded = False
        await self._client.connect()
        if not await self._client.is_user_authorized():
            raise _AccountUnusable("session_not_authorized")
        log.info("telegram.connected", sender=self.label)
        return self._client

    def _start_reconnecting(self) -> None:
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.create_task(self._reconnect())

    async def _reconnect(self) -> None:
        """Tries to reconnect a bounded number of times with exponential backoff and jitter,
        then gives up and reports the account unhealthy."""
        time = clock.get_clock()
        for attempt in range(1, self._reconnect_attempts + 1):
            await time.sleep(self._backoff_s(attempt))
            if self._closed:
                return
            try:
                async with self._connect_lock:
                    await self._open()
            except _AccountUnusable as unusable:
                self._mark_unhealthy(unusable.reason)
                return
            except Exception as exc:
                outcome = outcome_for_error(exc)
                if outcome is None:
                    log.exception("telegram.reconnect_crashed", sender=self.label)
                elif outcome.status is SendStatus.SENDER_UNHEALTHY:
                    self._mark_unhealthy(outcome.reason or "unauthorized")
                    return
                log.info(
                    "telegram.reconnect_failed",
                    sender=self.label,
                    attempt=attempt,
                    reason=outcome.reason if outcome else type(exc).__name__,
                )
                continue
            log.info("telegram.reconnected", sender=self.label, attempts=attempt)
            return
        log.warning(
            "telegram.reconnect_gave_up", sender=self.label, attempts=self._reconnect_attempts
        )
        self._mark_unhealthy("connection_lost")

    def _backoff_s(self, attempt: int) -> float:
        """Returns the wait before reconnection attempt `attempt` ("equal jitter")."""
        ceiling = min(self._reconnect_base_s * 2.0 ** (attempt - 1), self._reconnect_cap_s)
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _mark_unhealthy(self, reason: str) -> None:
        if self._problem is not None:
            return
        self._problem = reason
        log.warning("telegram.sender_unhealthy", sender=self.label, reason=reason)
        if self._on_unhealthy is not None:
            self._on_unhealthy(reason)

    # -- sending helpers -----------------------------------------------------------------------

    def _refusal(self, message: OutgoingMessage) -> SendOutcome | None:
        """Returns why this message cannot go now without asking Telegram, or None."""
        if self._closed:
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="transport_closed")
        if self._problem is not None:
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason=self._problem)
        if message.buttons:
            # Inline keyboards are a bot feature: MTProto ignores reply_markup from a user
            # account. Dropping them would send a message other than the one approved.
            return SendOutcome(SendStatus.PERMANENT, reason="buttons_need_a_bot")
        if not message.text.strip():
            return SendOutcome(SendStatus.PERMANENT, reason="empty_text")
        now = clock.get_clock().monotonic()
        hold_until = max(self._flood_until, self._chat_flood_until.get(message.chat_id, 0.0))
        if now < hold_until:
            # Still inside a FloodWait Telegram gave us: sending now would only lengthen it.
            return SendOutcome(
                SendStatus.RETRY_AFTER, retry_after_s=hold_until - now, reason="flood_wait_pending"
            )
        return None

    def _failed(self, exc: Exception, *, chat_id: int | None = None) -> SendOutcome:
        """Maps an error of a call to its outcome and applies what it means to the account."""
        outcome = outcome_for_error(exc)
        if outcome is None:
            raise exc  # not Telegram's refusal: a bug, and it must be seen
        if outcome.status is SendStatus.RETRY_AFTER:
            outcome = self._hold(outcome, chat_id)
        elif outcome.status is SendStatus.SENDER_UNHEALTHY and outcome.reason != "peer_flood":
            # A revoked session or a ban lasts until an operator acts; PEER_FLOOD is a pause the
            # pool times (the connection itself is fine, and replies still come in).
            self._mark_unhealthy(outcome.reason or "unhealthy")
        elif outcome.reason == "connection_lost":
            self._start_reconnecting()
        return outcome

    def _hold(self, outcome: SendOutcome, chat_id: int | None) -> SendOutcome:
        """Pauses the account (or, for slow mode, the chat) for the time asked plus jitter."""
        wait_s = (outcome.retry_after_s or 1.0) + self._rng.uniform(0, FLOOD_JITTER_MAX_S)
        until = clock.get_clock().monotonic() + wait_s
        if outcome.reason == "slow_mode" and chat_id is not None:
            self._chat_flood_until[chat_id] = until
        else:
            self._flood_until = max(self._flood_until, until)
        return SendOutcome(SendStatus.RETRY_AFTER, retry_after_s=wait_s, reason=outcome.reason)

    async def _input_peer(self, client: MTProtoClient, chat_id: int) -> Any | None:
        """Returns the InputPeer of a chat, or None when the account has no access hash for it.

        MTProto needs an access hash to write to a user; the session string does not keep them,
        so a miss loads the dialogs once per connection (people who wrote to the account)."""
        try:
            return await client.get_input_entity(chat_id)
        except ValueError:
            if self._dialogs_loaded:
                return None
        self._dialogs_loaded = True
        await client.get_dialogs()
        try:
            return await client.get_input_entity(chat_id)
        except ValueError:
            return None

    def _remember_sent(self, random_id: int, chat_id: int, message_id: int | None) -> None:
        self._sent[random_id] = message_id
        if len(self._sent) > _SENT_MEMORY:
            self._sent.popitem(last=False)
        if message_id is None:
            return
        unread = self._unread.pop(chat_id, [])
        unread.append(message_id)
        self._unread[chat_id] = unread[-_TRACKED_PER_CHAT:]
        if len(self._unread) > _TRACKED_CHATS:
            self._unread.popitem(last=False)

    # -- inbound -------------------------------------------------------------------------------

    async def _on_update(self, update: Any) -> None:
        """Turns a raw MTProto update into inbound events (Telethon calls this per update)."""
        for event in self._events_of(update):
            if len(self._inbound) == self._inbound.maxlen:
                log.warning("telegram.inbound_dropped", sender=self.label)
            self._inbound.append(event)

    def _events_of(self, update: Any) -> list[InboundEvent]:
        now = clock.now()
        if isinstance(update, types.UpdateReadHistoryOutbox):
            return self._read_events(utils.get_peer_id(update.peer), update.max_id, now)
        if isinstance(update, types.UpdateShortMessage):
            if update.out:
                return []
            return [self._message_event(update.user_id, update.id, update.message, update, now)]
        if isinstance(update, types.UpdateNewMessage):
            message = update.message
            if not isinstance(message, types.Message) or message.out:
                return []
            if not isinstance(message.peer_id, types.PeerUser):
                return []  # group chatter is not a recipient answering us
            chat_id = utils.get_peer_id(message.peer_id)
            return [self._message_event(chat_id, message.id, message.message, message, now)]
        return []

    def _read_events(self, chat_id: int, max_id: int, now: Any) -> list[InboundEvent]:
        """Returns one "read" per message of ours up to `max_id` not yet reported read."""
        tracked = self._unread.get(chat_id)
        if tracked is None:  # sent before this process started: report the newest read one
            return [InboundEvent(kind="read", chat_id=chat_id, occurred_at=now, message_id=max_id)]
        read = [m for m in tracked if m <= max_id]
        self._unread[chat_id] = [m for m in tracked if m > max_id]
        return [
            InboundEvent(kind="read", chat_id=chat_id, occurred_at=now, message_id=m) for m in read
        ]

    def _message_event(
        self, chat_id: int, incoming_id: int, text: str | None, source: Any, now: Any
    ) -> InboundEvent:
        """Returns a "stop" or a "reply", attributed to the message it answers when we know it."""
        kind: InboundKind = "stop" if is_stop_request(text) else "reply"
        reply_to = getattr(source, "reply_to", None)
        answered = getattr(reply_to, "reply_to_msg_id", None)
        if answered is None:  # a plain message answers the last one we sent to this chat
            tracked = self._unread.get(chat_id) or []
            answered = tracked[-1] if tracked else None
        return InboundEvent(
            kind=kind,
            chat_id=chat_id,
            occurred_at=getattr(source, "date", None) or now,
            message_id=answered,
            text=text,
            payload={"incoming_message_id": str(incoming_id)},
        )


class _AccountUnusable(Exception):
    """The account cannot connect until an operator acts (credentials, a revoked session)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _credentials_problem(exc: Exception) -> str:
    from marketing_agent.core.crypto import SecretUnreadable

    if isinstance(exc, SecretUnreadable):
        return "secret_unreadable"
    return "missing_credentials"


def _raw_updates() -> Any:
    from telethon import events

    return events.Raw


def _parse(message: OutgoingMessage) -> tuple[str, list[Any]] | SendOutcome:
    """Returns the text and its formatting entities for the message's parse mode."""
    mode = (message.parse_mode or "").lower()
    if not mode:
        return message.text, []
    if mode == "html":
        text, entities = html.parse(message.text)
        return text, list(entities)
    if mode in ("markdown", "md"):
        text, entities = markdown.parse(message.text)
        return text, list(entities)
    # MarkdownV2 escapes differ from Telethon's markdown: sent as is it would not look as
    # reviewed, so it is refused rather than guessed.
    return SendOutcome(SendStatus.PERMANENT, reason="unsupported_parse_mode")


def _sent_message_id(result: Any, random_id: int) -> int | None:
    """Returns the id Telegram gave the sent message, from whichever shape of Updates it sent."""
    if isinstance(result, types.UpdateShortSentMessage):
        return int(result.id)
    updates = getattr(result, "updates", None) or []
    for update in updates:
        if isinstance(update, types.UpdateMessageID) and update.random_id == random_id:
            return int(update.id)
    for update in updates:
        if isinstance(update, types.UpdateNewMessage | types.UpdateNewChannelMessage):
            return int(update.message.id)
    return None


async def _disconnect(client: MTProtoClient) -> None:
    try:
        result = client.disconnect()
        if inspect.isawaitable(result):
            await result
    except Exception:  # already gone; closing must not fail shutdown
        log.warning("telegram.disconnect_failed", exc_info=True)

"""The Bot API transport: one bot's sends and updates through aiogram 3, against any Bot API
server (api.telegram.org, a self-hosted telegram-bot-api, or `marketing-agent simulator serve`).

Every send answers one `SendOutcome`: aiogram's exceptions are mapped once, in
`outcome_for_error`. Updates arrive by long polling (getUpdates, started by the first
`fetch_updates`) or by webhook (the API's webhook route parses them with `events_of_update`).
The token is decrypted when the connection opens and never leaves aiogram's `Bot`.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    CallbackQuery,
    ChatJoinRequest,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiogram.utils.token import TokenValidationError
from pydantic import ValidationError

from marketing_agent.core import clock
from marketing_agent.core.crypto import SecretUnreadable
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram import consent_bot
from marketing_agent.telegram.profiles import SenderProfile, telegram_text_length
from marketing_agent.telegram.transport import (
    Button,
    InboundEvent,
    InboundKind,
    JoinRequest,
    OutgoingMessage,
    SendOutcome,
    SendStatus,
    is_group_chat,
)

log = get_logger(__name__)

SEND_TIMEOUT_S = 30  # one Bot API call; long polls get their own, longer timeout
POLL_TIMEOUT_S = 25  # how long one getUpdates waits for news
POLL_RETRY_BASE_S = 1.0  # after a failed getUpdates: 1, 2, 4 ... seconds, capped
POLL_RETRY_CAP_S = 60.0
# Every update type events_of_update reads, and no other: a customer's message to a business
# account the bot is connected to comes as `business_message`, never as `message`. Edits of
# business messages and business_connection changes are left out: an edit would file the same
# reply twice, and nothing is done with a connection's state.
ALLOWED_UPDATES = ["message", "callback_query", "business_message", "chat_join_request"]

TokenSource = Callable[[], str]

# (fragment of Telegram's description, lower case) -> our reason, checked in order.
_FORBIDDEN_REASONS = (
    ("bot was blocked by the user", "blocked"),
    ("user is deactivated", "deactivated"),
    ("bot was kicked", "kicked"),
    ("bot is not a member", "not_member"),
    ("bot can't initiate conversation", "not_started"),
    ("bots can't send messages to bots", "recipient_is_bot"),
    ("not enough rights", "no_rights"),
)
_BAD_REQUEST_REASONS = (
    ("chat not found", "chat_not_found"),
    ("user not found", "chat_not_found"),
    ("peer_id_invalid", "invalid_peer"),
    ("message caption is too long", "caption_too_long"),
    ("message is too long", "too_long"),
    ("text is empty", "empty_text"),
    ("can't parse entities", "bad_formatting"),
    ("unsupported parse_mode", "bad_formatting"),
    ("wrong file identifier", "bad_media"),
    ("failed to get http url content", "bad_media"),
    ("wrong type of the web page content", "bad_media"),
    ("wrong remote file identifier", "bad_media"),
    ("file must be non-empty", "bad_media"),
    ("button_data_invalid", "bad_button"),
    ("button_url_invalid", "bad_button"),
    ("chat_write_forbidden", "chat_write_forbidden"),
    ("not enough rights", "no_rights"),
    ("have no rights", "no_rights"),
    ("hide_requester_missing", "join_request_missing"),  # no such request pending
    ("user_already_participant", "already_member"),
)


def outcome_for_error(exc: BaseException) -> SendOutcome | None:
    """Returns the one outcome an aiogram (or token) error means, or None if it is not one."""
    match exc:
        case TelegramRetryAfter():
            return SendOutcome(
                SendStatus.RETRY_AFTER, retry_after_s=float(exc.retry_after), reason="flood_wait"
            )
        case TelegramMigrateToChat():
            return SendOutcome(SendStatus.PERMANENT, reason="chat_migrated")
        case TelegramForbiddenError():
            return SendOutcome(
                SendStatus.PERMANENT, reason=_reason(exc, _FORBIDDEN_REASONS, "forbidden")
            )
        case TelegramBadRequest():
            return SendOutcome(
                SendStatus.PERMANENT, reason=_reason(exc, _BAD_REQUEST_REASONS, "bad_request")
            )
        case TelegramUnauthorizedError():  # the token was revoked, or never was a bot's
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="unauthorized")
        case TelegramNotFound():  # the server knows no such bot or method: a wrong token or URL
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="bot_api_not_found")
        case TokenValidationError():
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="invalid_token")
        case SecretUnreadable():
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="secret_unreadable")
        case TelegramEntityTooLarge():  # before TelegramNetworkError, its base class
            return SendOutcome(SendStatus.PERMANENT, reason="file_too_large")
        case TelegramConflictError():  # getUpdates while a webhook is set, or a second poller
            return SendOutcome(SendStatus.RETRY_BACKOFF, reason="conflict")
        case TelegramServerError():
            return SendOutcome(SendStatus.RETRY_BACKOFF, reason="server_error")
        case TelegramNetworkError():
            # A timeout may hide a delivered message: the Bot API has no idempotency key.
            timed_out = "timeout" in exc.message.lower()
            return SendOutcome(
                SendStatus.RETRY_BACKOFF, reason="timeout" if timed_out else "network_error"
            )
        case ClientDecodeError():  # not the Bot API answering (a proxy's error page, ...)
            return SendOutcome(SendStatus.RETRY_BACKOFF, reason="bad_response")
        case TelegramAPIError():  # another status (a 429 without retry_after, a 420, ...)
            return SendOutcome(SendStatus.RETRY_BACKOFF, reason="telegram_error")
    return None


def _reason(exc: TelegramAPIError, known: Sequence[tuple[str, str]], default: str) -> str:
    # Telegram's description, never the request (it holds the chat id and the text).
    description = exc.message.lower()
    return next((reason for fragment, reason in known if fragment in description), default)


class _Answer:
    """When the answer of the request under way in this task reached aiohttp."""

    at: float | None = None


_ANSWER: contextvars.ContextVar[_Answer | None] = contextvars.ContextVar("answer", default=None)


async def _on_request_end(
    session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestEndParams
) -> None:
    answer = _ANSWER.get()
    if answer is not None:
        answer.at = clock.get_clock().monotonic()


# aiohttp calls this when a response's status and headers are in, in the task that made the
# request: before aiogram reads and validates the body and before the caller resumes. Measured
# on the simulator (bench_realclock.py, load 6-12): the caller resumed 0.4 ms later at the
# median and up to 150 ms later when the loop was busy.
_ANSWER_TRACE = aiohttp.TraceConfig()
_ANSWER_TRACE.on_request_end.append(_on_request_end)
_ANSWER_TRACE.freeze()


class _Session(AiohttpSession):
    """aiogram's HTTP session, timing each answer (`_ANSWER_TRACE`); on plain HTTP (a local Bot
    API server, the simulator) closing skips the 250 ms aiogram waits for TLS connections to
    shut down."""

    async def create_session(self) -> aiohttp.ClientSession:
        session = await super().create_session()
        traces = session._trace_configs  # aiogram builds the session without trace configs
        if _ANSWER_TRACE not in traces:
            traces.append(_ANSWER_TRACE)
        return session

    async def close(self) -> None:
        if self.api.base.startswith("https://"):
            await super().close()
        elif self._session is not None and not self._session.closed:
            await self._session.close()


@dataclass(frozen=True)
class BotIdentity:
    """Who the token belongs to (getMe)."""

    bot_id: int
    username: str | None
    name: str


class BotApiRefused(Exception):
    """A Bot API call other than a send failed; `outcome` says how (never the token)."""

    def __init__(self, outcome: SendOutcome) -> None:
        super().__init__(outcome.reason or outcome.status.value)
        self.outcome = outcome


class BotApiTransport:
    """One bot: sends, long polling, webhook registration; connections open on first use."""

    def __init__(
        self,
        token: TokenSource,
        *,
        server_url: str,
        profile: SenderProfile,
        paid_broadcast: bool = False,
        receive_by_polling: bool = True,
        poll_timeout_s: int = POLL_TIMEOUT_S,
        label: str = "botapi",
        on_unhealthy: Callable[[str], None] | None = None,
    ) -> None:
        self._token = token
        self._server_url = server_url.rstrip("/")
        self.profile = profile
        self._paid_broadcast = paid_broadcast
        self._receive_by_polling = receive_by_polling
        self._poll_timeout_s = poll_timeout_s
        self.label = label
        self._on_unhealthy = on_unhealthy
        self._bot: Bot | None = None
        self._closed = False
        self._offset: int | None = None
        self._inbound: list[InboundEvent] = []
        self._unconfirmed: list[InboundEvent] = []  # handed out, not yet confirmed stored
        self._drained = asyncio.Event()  # the poller asks again only once its news were taken
        self._drained.set()
        self._poller: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"BotApiTransport(label={self.label!r}, server_url={self._server_url!r})"

    # -- Transport -----------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> SendOutcome:
        """Sends one message (text, photo or document, with its buttons); never raises for a
        refusal by Telegram."""
        if self._closed:
            return SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="transport_closed")
        refusal = self._refusal(message)
        if refusal is not None:
            return SendOutcome(SendStatus.PERMANENT, reason=refusal)
        answer = _Answer()
        token = _ANSWER.set(answer)
        try:
            sent = await self._call(lambda bot: self._deliver(bot, message))
        except BotApiRefused as refused:
            return dataclasses.replace(refused.outcome, answered_at=answer.at)
        finally:
            _ANSWER.reset(token)
        return SendOutcome(SendStatus.SENT, message_id=sent.message_id, answered_at=answer.at)

    async def fetch_updates(self) -> list[InboundEvent]:
        """Returns what people did and is not yet confirmed stored (see confirm_updates); the
        first call starts long polling (unless a webhook delivers this bot's updates)."""
        if self._closed:
            return []
        poller = self._poller
        if poller is not None and poller.done() and not poller.cancelled():
            error = poller.exception()
            if error is not None:
                # A poller that died of an error it could not map is restarted, not left dead:
                # the bot's STOPs would otherwise go unheard until the process restarts. (One
                # that stopped by itself, on a revoked token, stays stopped.)
                log.error("botapi.poller_died", sender=self.label, error=type(error).__name__)
                self._poller = None
        if self._receive_by_polling and self._poller is None:
            self._poller = asyncio.create_task(self._poll(), name=f"poll:{self.label}")
        # Handed out again until confirmed: a batch whose storing failed is not lost.
        self._unconfirmed += self._inbound
        self._inbound = []
        return list(self._unconfirmed)

    async def approve_join(self, request: JoinRequest) -> SendOutcome:
        """Lets a person into the chat they asked to join (approveChatJoinRequest); never raises
        for a refusal by Telegram. Call it after the bot's message to them: Telegram lets a bot
        write to a requester who never started it only until their request is processed."""
        try:
            await self._call(
                lambda bot: bot.approve_chat_join_request(request.chat_id, request.user_id)
            )
        except BotApiRefused as refused:
            return refused.outcome
        return SendOutcome(SendStatus.SENT)

    def confirm_updates(self) -> None:
        """Lets the poller ask again: its next getUpdates carries the offset that confirms the
        updates handed out so far, so call this only once they are stored. Until then Telegram
        keeps them, and a process that restarts receives them again."""
        self._unconfirmed = []
        self._drained.set()

    async def close(self) -> None:
        """Stops polling and closes the HTTP session; later sends answer SENDER_UNHEALTHY."""
        self._closed = True
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        if self._bot is not None:
            await self._bot.session.close()
            self._bot = None

    # -- other Bot API calls -------------------------------------------------------------------

    async def get_me(self) -> BotIdentity:
        """Returns who the token belongs to; raises BotApiRefused."""
        me = await self._call(lambda bot: bot.get_me())
        return BotIdentity(bot_id=me.id, username=me.username, name=me.first_name)

    async def set_webhook(self, url: str, *, secret_token: str) -> None:
        """Makes Telegram post this bot's updates to `url` with `secret_token` in the
        X-Telegram-Bot-Api-Secret-Token header; raises BotApiRefused."""
        await self._call(
            lambda bot: bot.set_webhook(
                url, secret_token=secret_token, allowed_updates=ALLOWED_UPDATES
            )
        )

    async def delete_webhook(self) -> None:
        """Goes back to long polling; raises BotApiRefused."""
        await self._call(lambda bot: bot.delete_webhook())

    async def _call(self, request: Callable[[Bot], Any]) -> Any:
        if self._closed:
            raise BotApiRefused(SendOutcome(SendStatus.SENDER_UNHEALTHY, reason="transport_closed"))
        try:
            return await request(self._open())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            outcome = outcome_for_error(exc)
            if outcome is None:
                raise
            raise BotApiRefused(outcome) from None  # the cause may quote the request's URL

    # -- sending -------------------------------------------------------------------------------

    def _open(self) -> Bot:
        if self._bot is None:
            session = _Session(
                api=TelegramAPIServer.from_base(self._server_url), timeout=SEND_TIMEOUT_S
            )
            self._bot = Bot(self._token(), session=session)
        return self._bot

    def _refusal(self, message: OutgoingMessage) -> str | None:
        """Returns why Telegram would surely refuse this message, checked without asking it."""
        media = message.media
        if media is not None:
            # Formatted captions are measured by Telegram after parsing; plain ones here.
            too_long = telegram_text_length(message.text) > self.profile.max_caption_len
            if message.parse_mode is None and too_long:
                return "caption_too_long"
            if media.path is not None and not Path(media.path).is_file():
                return "media_unreadable"
        for row in message.buttons:
            for button in row:
                if not _valid_button(button):
                    return "bad_button"
        return None

    async def _deliver(self, bot: Bot, message: OutgoingMessage) -> Message:
        options: dict[str, Any] = {
            "chat_id": message.chat_id,
            "parse_mode": message.parse_mode,
            "reply_markup": _keyboard(message.buttons),
        }
        if self._paid_broadcast:  # up to 1000 messages/s, paid in Stars above the free 30/s
            options["allow_paid_broadcast"] = True
        media = message.media
        if media is None:
            return await bot.send_message(text=message.text, **options)
        source = media.url if media.url is not None else FSInputFile(str(media.path))
        caption = message.text or None
        if media.kind == "photo":
            return await bot.send_photo(photo=source, caption=caption, **options)
        return await bot.send_document(document=source, caption=caption, **options)

    # -- long polling --------------------------------------------------------------------------

    async def _poll(self) -> None:
        """Asks for updates until closed; an update is confirmed to Telegram (by the next
        getUpdates' offset) only after fetch_updates has handed it out and confirm_updates says
        it is stored."""
        failures = 0
        while not self._closed:
            await self._drained.wait()
            try:
                updates = await self._open().get_updates(
                    offset=self._offset,
                    timeout=self._poll_timeout_s,
                    allowed_updates=ALLOWED_UPDATES,
                    request_timeout=self._poll_timeout_s + 10,
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                outcome = outcome_for_error(exc)
                if outcome is None:
                    raise
                if outcome.status is SendStatus.SENDER_UNHEALTHY:
                    log.warning("telegram.poll_stopped", sender=self.label, reason=outcome.reason)
                    if self._on_unhealthy is not None:
                        self._on_unhealthy(outcome.reason or "unhealthy")
                    return
                failures += 1
                log.warning(
                    "telegram.poll_failed",
                    sender=self.label,
                    reason=outcome.reason,
                    failures=failures,
                )
                await clock.get_clock().sleep(_poll_retry_s(failures))
                continue
            failures = 0
            if updates:
                self._offset = updates[-1].update_id + 1
                await self._take(updates)

    async def _take(self, updates: Sequence[Update]) -> None:
        events: list[InboundEvent] = []
        for update in updates:
            events += events_of_update(update)
            if update.callback_query is not None:
                await self._answer_callback(update.callback_query.id)
        if events:
            self._inbound.extend(events)
            self._drained.clear()

    async def _answer_callback(self, callback_query_id: str) -> None:
        """Stops the button's spinner on the person's screen; a failure only costs that."""
        try:
            await self._call(lambda bot: bot.answer_callback_query(callback_query_id))
        except BotApiRefused as refused:
            log.info("telegram.callback_unanswered", sender=self.label, reason=str(refused))


def _poll_retry_s(failures: int) -> float:
    return float(min(POLL_RETRY_CAP_S, POLL_RETRY_BASE_S * math.pow(2, failures - 1)))


def _valid_button(button: Button) -> bool:
    if (button.url is None) == (button.callback_data is None):
        return False  # exactly one of a link and a callback
    data = button.callback_data
    return data is None or 1 <= len(data.encode()) <= consent_bot.CALLBACK_DATA_MAX_BYTES


def _keyboard(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.text, url=b.url, callback_data=b.callback_data)
                for b in row
            ]
            for row in buttons
        ]
    )


# -- updates -> inbound events -------------------------------------------------------------------


def parse_update(data: Any) -> Update | None:
    """Returns the update a webhook received, or None when it is not one."""
    try:
        return Update.model_validate(data)
    except ValidationError:
        return None


def events_of_update(update: Update) -> list[InboundEvent]:
    """Returns what a person did in one update: started or stopped the bot, replied, pressed a
    button (a campaign's, or the opt-in/unsubscribe buttons of the consent conversation)."""
    if update.message is not None:
        events = _message_events(update.message)
    elif update.business_message is not None:
        events = _business_events(update.business_message)
    elif update.callback_query is not None:
        events = _callback_events(update.callback_query)
    elif update.chat_join_request is not None:
        events = _join_request_events(update.chat_join_request)
    else:
        return []
    return [dataclasses.replace(e, update_id=update.update_id) for e in events]


def webhook_answer(update: Update) -> dict[str, Any]:
    """Returns the body answering a webhook: Telegram runs a method named there, which answers
    a button press without a request of our own. Never a join request's approval: the bot
    writes to the requester first (orchestrator's flow), which Telegram refuses once the request
    is processed."""
    if update.callback_query is not None:
        return {"method": "answerCallbackQuery", "callback_query_id": update.callback_query.id}
    return {}


def _message_events(message: Message) -> list[InboundEvent]:
    person = message.from_user
    if message.chat.type != "private" or person is None or person.is_bot:
        return []  # group chatter is not a person answering us
    text = message.text or message.caption
    payload = _person(message) | {"incoming_message_id": str(message.message_id)}
    kind: InboundKind = "reply"
    if text and text.startswith("/"):
        command, _, argument = text.partition(" ")
        if command.split("@")[0].lower() == "/start":
            kind = "start"
            payload["source"] = consent_bot.source_of(argument.strip() or None)
    if consent_bot.is_stop_request(text):
        kind = "stop"
    answered = message.reply_to_message.message_id if message.reply_to_message else None
    return [
        InboundEvent(
            kind=kind,
            chat_id=message.chat.id,
            occurred_at=message.date,
            message_id=answered,
            text=text,
            payload=payload,
        )
    ]


def _business_events(message: Message) -> list[InboundEvent]:
    """A message a customer sent to a business account the bot is connected to: only ever a
    reply (never a /start or a STOP to the bot), marked with its business connection, which the
    agent never shows an LLM unless the workspace allowed it (Bot Developer Terms)."""
    connection = message.business_connection_id
    if not connection:
        return []
    return [
        dataclasses.replace(
            event, kind="reply", payload={**event.payload, "business_connection_id": connection}
        )
        for event in _message_events(message)
    ]


def _callback_events(query: CallbackQuery) -> list[InboundEvent]:
    shown = query.message
    chat_id = shown.chat.id if shown is not None else query.from_user.id
    if chat_id == 0 or is_group_chat(chat_id):
        return []  # a button in a group: not a person's own decision about our messages
    payload = {"callback_query_id": query.id}
    if query.from_user.username:
        payload["username"] = query.from_user.username
    payload["first_name"] = query.from_user.first_name
    if query.from_user.language_code:
        payload["language"] = query.from_user.language_code
    if query.data is not None:
        payload["data"] = query.data
    shown_text = getattr(shown, "text", None) or getattr(shown, "caption", None)
    if shown_text is not None:
        payload["message_text"] = shown_text
    kind: InboundKind = "click"
    source = consent_bot.source_of_opt_in_data(query.data)
    if source is not None:
        kind = "consent_yes"
        payload["source"] = source
    elif query.data == consent_bot.OPT_OUT_DATA:
        kind = "stop"
    return [
        InboundEvent(
            kind=kind,
            chat_id=chat_id,
            occurred_at=clock.now(),
            message_id=shown.message_id if shown is not None else None,
            payload=payload,
        )
    ]


def _join_request_events(request: ChatJoinRequest) -> list[InboundEvent]:
    """A person asked to join a channel or group the bot administers, through an invite link
    that asks for approval: the bot may write to them in their private chat (user_chat_id) for 5
    minutes, until it approves (join_request_of) or declines the request."""
    person = request.from_user
    if person.is_bot:
        return []
    link = request.invite_link
    payload = {
        "first_name": person.first_name,
        "join_chat_id": str(request.chat.id),
        "join_user_id": str(person.id),
        "join_chat_type": request.chat.type,
        "source": consent_bot.source_of_invite_link(link.name if link else None),
    }
    if person.username:
        payload["username"] = person.username
    if person.language_code:
        payload["language"] = person.language_code
    if request.chat.title:
        payload["join_chat_title"] = request.chat.title
    if link is not None:
        payload["invite_link"] = link.invite_link
        if link.name:
            payload["invite_link_name"] = link.name
    return [
        InboundEvent(
            kind="join_request",
            chat_id=request.user_chat_id,
            occurred_at=request.date,
            payload=payload,
        )
    ]


def _person(message: Message) -> dict[str, str]:
    person = message.from_user
    if person is None:
        return {}
    found = {"first_name": person.first_name}
    if person.username:
        found["username"] = person.username
    if person.language_code:
        found["language"] = person.language_code
    return found

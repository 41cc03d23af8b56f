"""The simulator as a Bot API server over HTTP, for tests and demos without Telegram.

`marketing-agent simulator serve --port 8081` answers the Bot API methods a marketing bot uses
(getMe, sendMessage, sendPhoto, sendDocument, getUpdates with long polling, answerCallbackQuery,
approveChatJoinRequest, declineChatJoinRequest, setWebhook, deleteWebhook, getWebhookInfo) in
Telegram's JSON shape, each bot backed by a `TelegramSimulator` that keeps its profile's limits
and refuses like Telegram (429 with retry_after, 403 blocked, 400 too long; 400 chat not found
for anyone who never started the bot; 403 for a join requester once their request is processed
or 5 minutes old). Text markup (`parse_mode`) is parsed as Telegram parses it
(telegram/markup.py): the message carries its `entities`, broken markup is a 400. People are
played through `/sim/` routes: they write to a bot (which starts it), press its buttons or ask to
join a chat it administers through an invite link (queued as updates, or posted to the bot's
webhook), block it, and show what the bot sent them (`/sim/bots/<name>/sent`: everything it
delivered, also messages whose answer was lost).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from marketing_agent.core.clock import Clock, SystemClock
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram import markup
from marketing_agent.telegram.profiles import get_profile_by_name
from marketing_agent.telegram.simulator import (
    BehaviourModel,
    RecipientBehaviour,
    RecipientState,
    TelegramSimulator,
)
from marketing_agent.telegram.transport import (
    Media,
    MediaKind,
    OutgoingMessage,
    SendStatus,
    chat_kind_of,
    is_group_chat,
)

log = get_logger(__name__)

# Telegram's answer to each refusal of the simulator: (HTTP status, description).
_REFUSALS: dict[str, tuple[int, str]] = {
    "blocked": (403, "Forbidden: bot was blocked by the user"),
    "deactivated": (403, "Forbidden: user is deactivated"),
    "privacy_restricted": (403, "Forbidden: bot can't initiate conversation with a user"),
    "not_started": (403, "Forbidden: bot can't initiate conversation with a user"),
    "invalid_peer": (400, "Bad Request: chat not found"),
    "chat_not_found": (400, "Bad Request: chat not found"),  # never started the bot
    "too_long": (400, "Bad Request: message is too long"),
    "caption_too_long": (400, "Bad Request: message caption is too long"),
    "empty_text": (400, "Bad Request: message text is empty"),
}
_SEND_METHODS: dict[str, MediaKind | None] = {
    "sendmessage": None,
    "sendphoto": "photo",
    "senddocument": "document",
}
_RECIPIENT_STATES = ("blocked", "privacy_restricted", "deactivated", "invalid")
# How long the bot may write to a join requester who never started it (ChatJoinRequest's
# user_chat_id: "for 5 minutes to send messages until the join request is processed").
JOIN_REQUEST_WRITE_WINDOW_S = 300.0
_WEBHOOK_ATTEMPTS = 5  # posts of one update before the simulator waits for the next one
_CALLBACK_DATA_MAX_BYTES = 64
_MAX_LONG_POLL_S = 50.0  # Telegram caps getUpdates' timeout too
_NOT_SENT_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}
# How long a button press waits for answerCallbackQuery. Telegram publishes no figure; its
# clients stop waiting after about 15 s and a later answer is refused.
CALLBACK_QUERY_TIMEOUT_S = 15.0
_CALLBACK_QUERY_REFUSED = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]*")
_WEBHOOK_SECRET_MAX = 256
# Simulated people react only through /sim/ routes, never by chance.
_NO_REACTIONS = BehaviourModel(default=RecipientBehaviour(read_p=0.0))
_Method = Callable[["SimulatedBot", dict[str, Any]], Awaitable[JSONResponse]]


class SimulatedBot:
    """One bot of the simulated Bot API: its simulator, pending updates, webhook, sent log."""

    def __init__(
        self, *, token: str, username: str, bot_id: int, profile: str, clock: Clock
    ) -> None:
        self.token = token
        self.username = username
        self.bot_id = bot_id
        self.profile = profile
        self.clock = clock
        # Telegram's memory of who started the bot: nobody yet.
        self.simulator = TelegramSimulator(
            get_profile_by_name(profile),
            _NO_REACTIONS,
            clock=clock,
            label=f"http:{username}",
            sender_kind="bot",
            started_chats=set(),
        )
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []  # every message delivered, as the people saw it
        self.answered_callbacks: list[str] = []
        # Join requests: (chat id, user id) -> "pending" | "approved" | "declined", and when
        # each was made (clock.monotonic()).
        self.join_requests: dict[tuple[int, int], str] = {}
        self.join_requested_at: dict[tuple[int, int], float] = {}
        self.pending_callbacks: dict[str, float] = {}  # press id -> clock.monotonic() of it
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_last_error: str | None = None
        # What the bot last asked for (getUpdates, setWebhook); Telegram keeps it between calls
        # and, until asked, sends every type but chat_member and the reactions.
        self.allowed_updates: set[str] | None = None
        self.dropped_updates = 0
        self._update_ids = itertools.count(1)
        self._incoming_ids = itertools.count(1_000_000)  # people's own messages
        self._news = asyncio.Event()
        self._push_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SimulatedBot(username={self.username!r}, profile={self.profile!r})"

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.username,
            "username": self.username,
        }

    def add_update(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queues an update for getUpdates, or for the webhook when one is set; as Telegram, an
        update of a type the bot did not subscribe to is dropped (it still gets its id)."""
        update = {"update_id": next(self._update_ids), **body}
        if not self.subscribed_to(update):
            self.dropped_updates += 1
            return update
        self.updates.append(update)
        news, self._news = self._news, asyncio.Event()
        news.set()
        return update

    def subscribed_to(self, update: dict[str, Any]) -> bool:
        kinds = set(update) - {"update_id"}
        if self.allowed_updates is None:
            return not kinds & _NOT_SENT_BY_DEFAULT
        return bool(kinds & self.allowed_updates)

    def subscribe(self, raw: Any) -> None:
        """Remembers a call's allowed_updates (a JSON list); absent or empty keeps the last."""
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                return
        if isinstance(raw, list) and raw:
            self.allowed_updates = {str(kind) for kind in raw}

    async def wait_for_news(self, timeout_s: float, request: Request | None = None) -> None:
        """Waits until an update arrives, the time is up, or the poller hangs up."""
        waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._news.wait())]
        if request is not None:
            waiters.append(asyncio.ensure_future(_hung_up(request)))
        try:
            await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    def next_incoming_id(self) -> int:
        return next(self._incoming_ids)

    def new_callback_query(self) -> str:
        """Returns the id of a new button press, which the bot may answer once, in time."""
        query_id = uuid.uuid4().hex
        self.pending_callbacks[query_id] = self.clock.monotonic()
        return query_id

    def answer_callback_query(self, query_id: str, timeout_s: float) -> bool:
        """Consumes a press's id; returns False when it is unknown, answered or too old."""
        pressed_at = self.pending_callbacks.pop(query_id, None)
        return pressed_at is not None and self.clock.monotonic() - pressed_at <= timeout_s

    def now_s(self) -> int:
        return int(self.clock.now().timestamp())

    def request_join(self, chat_id: int, user_id: int) -> None:
        """A person asks to join `chat_id`: the bot may write to them for 5 minutes, or until
        it processes their request."""
        key = (chat_id, user_id)
        self.join_requests[key] = "pending"
        self.join_requested_at[key] = self.clock.monotonic()
        self._open_write_window(user_id)

    def process_join(self, chat_id: int, user_id: int, status: str) -> bool:
        """Approves or declines a pending request; returns False when none is pending."""
        key = (chat_id, user_id)
        if self.join_requests.get(key) != "pending":
            return False
        self.join_requests[key] = status
        self._open_write_window(user_id)
        return True

    def _open_write_window(self, user_id: int) -> None:
        """The bot may write to a requester while one of their requests is pending, up to 5
        minutes from it (unless they start the bot, which the simulator checks first)."""
        pending = [
            at + JOIN_REQUEST_WRITE_WINDOW_S
            for key, at in self.join_requested_at.items()
            if key[1] == user_id and self.join_requests[key] == "pending"
        ]
        self.simulator.set_write_window(user_id, max(pending, default=-math.inf))


class SimulatedBotApi:
    """Bots of a simulated Bot API server; `app()` serves them over HTTP."""

    def __init__(
        self,
        *,
        profile: str = "bot",
        clock: Clock | None = None,
        callback_query_timeout_s: float = CALLBACK_QUERY_TIMEOUT_S,
    ) -> None:
        get_profile_by_name(profile)  # refuses an unknown profile now, not at the first bot
        self.default_profile = profile
        self.callback_query_timeout_s = callback_query_timeout_s
        self._clock = clock or SystemClock()
        self._by_token: dict[str, SimulatedBot] = {}
        self._by_username: dict[str, SimulatedBot] = {}
        self._bot_ids = itertools.count(7_000_000_001)
        self._tasks: set[asyncio.Task[None]] = set()

    def add_bot(
        self, *, token: str | None = None, username: str | None = None, profile: str | None = None
    ) -> SimulatedBot:
        """Adds a bot; a token and a name are made up when not given."""
        bot_id = next(self._bot_ids)
        if token is not None:
            bot_id = int(token.partition(":")[0]) if token.partition(":")[0].isdigit() else bot_id
        token = token or f"{bot_id}:{secrets.token_urlsafe(26)}"
        username = username or f"sim{bot_id % 100_000}_bot"
        if token in self._by_token or username in self._by_username:
            raise ValueError("a bot with this token or name exists")
        bot = SimulatedBot(
            token=token,
            username=username,
            bot_id=bot_id,
            profile=profile or self.default_profile,
            clock=self._clock,
        )
        self._by_token[token] = bot
        self._by_username[username] = bot
        return bot

    def app(self) -> Starlette:
        """Returns the HTTP app: the Bot API under /bot<token>/<method>, people under /sim/."""
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._bot_api, methods=["GET", "POST"]),
                Route("/sim/bots", self._sim_add_bot, methods=["POST"]),
                Route("/sim/bots/{username}", self._sim_bot, methods=["GET"]),
                Route("/sim/bots/{username}/health", self._sim_health, methods=["POST"]),
                Route("/sim/bots/{username}/faults", self._sim_faults, methods=["POST"]),
                Route("/sim/bots/{username}/chats", self._sim_chats, methods=["POST"]),
                Route("/sim/bots/{username}/sent", self._sim_sent, methods=["GET"]),
                Route("/sim/users/{chat_id:int}/send", self._sim_send, methods=["POST"]),
                Route("/sim/users/{chat_id:int}/state", self._sim_state, methods=["POST"]),
                Route("/sim/users/{chat_id:int}/join", self._sim_join, methods=["POST"]),
                Route("/sim/users/{chat_id:int}/messages", self._sim_messages, methods=["GET"]),
            ]
        )

    # -- the Bot API -----------------------------------------------------------------------------

    async def _bot_api(self, request: Request) -> JSONResponse:
        bot = self._by_token.get(request.path_params["token"])
        if bot is None:
            return _error(401, "Unauthorized")
        method = request.path_params["method"].lower()
        params, files = await _params(request)
        if method == "getupdates":
            return await self._get_updates(bot, params, request)
        return await self._call(bot, method, params, files)

    async def _call(
        self,
        bot: SimulatedBot,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadFile],
    ) -> JSONResponse:
        if method in _SEND_METHODS:
            return await self._send(bot, _SEND_METHODS[method], params, files)
        handler = self._methods().get(method)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return await handler(bot, params)

    def _methods(self) -> dict[str, _Method]:
        return {
            "getme": self._get_me,
            "answercallbackquery": self._answer_callback_query,
            "approvechatjoinrequest": self._approve_chat_join_request,
            "declinechatjoinrequest": self._decline_chat_join_request,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
        }

    async def _get_me(self, bot: SimulatedBot, params: dict[str, Any]) -> JSONResponse:
        return _ok(bot.user | {"can_join_groups": True, "can_read_all_group_messages": False})

    async def _send(
        self,
        bot: SimulatedBot,
        kind: MediaKind | None,
        params: dict[str, Any],
        files: dict[str, UploadFile],
    ) -> JSONResponse:
        chat_id = _as_int(params.get("chat_id"))
        if chat_id is None:
            return _error(400, "Bad Request: chat not found")
        parse_mode = params.get("parse_mode") or None
        text = str(params.get("caption" if kind else "text") or "")
        try:  # Telegram parses the markup before it looks at the chat
            formatted = markup.parse(text, parse_mode)
        except markup.MarkupError as exc:
            return _error(400, f"Bad Request: can't parse entities: {exc}")
        except ValueError:
            return _error(400, "Bad Request: unsupported parse_mode")
        media: dict[str, Any] | None = None
        attached: Media | None = None
        if kind is not None:
            media = await _media(params.get(kind), files, kind)
            if media is None:
                return _error(400, f"Bad Request: there is no {kind} in the request")
            if media.get("size") == 0:
                return _error(400, "Bad Request: file must be non-empty")
            attached = Media(kind, url=str(media.get("url") or "upload"))
        markup_json = _as_json(params.get("reply_markup"))
        if not _valid_markup(markup_json):
            return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        outcome = await bot.simulator.send(
            OutgoingMessage(
                chat_id=chat_id,
                text=formatted.text,
                chat_kind=chat_kind_of(chat_id),
                media=attached,
            )
        )
        if outcome.status is SendStatus.RETRY_AFTER:
            seconds = int(outcome.retry_after_s or 1)
            return _error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        if outcome.status is SendStatus.PERMANENT:
            status, description = _REFUSALS.get(outcome.reason or "", (400, "Bad Request"))
            return _error(status, description)
        if outcome.status is SendStatus.SENDER_UNHEALTHY:
            return _error(401, "Unauthorized")
        lost = outcome.status is SendStatus.RETRY_BACKOFF and outcome.reason == "response_lost"
        if outcome.status is SendStatus.RETRY_BACKOFF and not lost:
            return _error(500, "Internal Server Error")
        # Recorded before the answer leaves: a message whose answer is lost (a fault, or the
        # sender killed meanwhile) was delivered all the same, and shows in the log.
        message = _message_json(bot, outcome.message_id or 0, chat_id, formatted, kind, markup_json)
        bot.sent.append(
            {
                "message_id": message["message_id"],
                "chat_id": chat_id,
                "kind": kind or "text",
                "text": formatted.text,
                "raw_text": text,
                "parse_mode": parse_mode,
                "reply_markup": markup_json,
                "media": media,
                "allow_paid_broadcast": _as_bool(params.get("allow_paid_broadcast")),
                "message": message,
                "response_lost": lost,
                "at": bot.clock.monotonic(),  # when it passed the limits (benchmarks' timing)
            }
        )
        if lost:
            return _error(502, "Bad Gateway")
        return _ok(message)

    async def _get_updates(
        self, bot: SimulatedBot, params: dict[str, Any], request: Request
    ) -> JSONResponse:
        if bot.webhook_url is not None:
            return _error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        bot.subscribe(params.get("allowed_updates"))
        offset = _as_int(params.get("offset"))
        limit = min(max(_as_int(params.get("limit")) or 100, 1), 100)
        timeout_s = min(float(_as_int(params.get("timeout")) or 0), _MAX_LONG_POLL_S)
        if offset is not None:  # confirms every update before the offset
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        if not bot.updates and timeout_s > 0:
            await bot.wait_for_news(timeout_s, request)
        return _ok(bot.updates[:limit])

    async def _answer_callback_query(
        self, bot: SimulatedBot, params: dict[str, Any]
    ) -> JSONResponse:
        query_id = str(params.get("callback_query_id") or "")
        if not bot.answer_callback_query(query_id, self.callback_query_timeout_s):
            return _error(400, _CALLBACK_QUERY_REFUSED)
        bot.answered_callbacks.append(query_id)
        return _ok(True)

    async def _approve_chat_join_request(
        self, bot: SimulatedBot, params: dict[str, Any]
    ) -> JSONResponse:
        return _process_join(bot, params, "approved")

    async def _decline_chat_join_request(
        self, bot: SimulatedBot, params: dict[str, Any]
    ) -> JSONResponse:
        return _process_join(bot, params, "declined")

    async def _set_webhook(self, bot: SimulatedBot, params: dict[str, Any]) -> JSONResponse:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(bot, params)
        if not url.startswith(("http://", "https://")):
            return _error(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = str(params.get("secret_token") or "")
        if len(secret) > _WEBHOOK_SECRET_MAX:
            return _error(400, "Bad Request: secret token is too long")
        if not _WEBHOOK_SECRET.fullmatch(secret):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        if _as_bool(params.get("drop_pending_updates")):
            bot.updates.clear()
        bot.subscribe(params.get("allowed_updates"))
        bot.webhook_url = url
        bot.webhook_secret = secret or None
        self._push_soon(bot)
        return _ok(True)

    async def _delete_webhook(self, bot: SimulatedBot, params: dict[str, Any]) -> JSONResponse:
        if _as_bool(params.get("drop_pending_updates")):
            bot.updates.clear()
        bot.webhook_url = bot.webhook_secret = None
        return _ok(True)

    async def _get_webhook_info(self, bot: SimulatedBot, params: dict[str, Any]) -> JSONResponse:
        info: dict[str, Any] = {
            "url": bot.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if bot.webhook_last_error:
            info["last_error_message"] = bot.webhook_last_error
        return _ok(info)

    # -- webhook delivery ------------------------------------------------------------------------

    def _push_soon(self, bot: SimulatedBot) -> None:
        if bot.webhook_url is None or not bot.updates:
            return
        task = asyncio.get_running_loop().create_task(self._push(bot))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(self, bot: SimulatedBot) -> None:
        """Posts pending updates to the webhook in order, as Telegram does, retrying a failed
        one a few times."""
        async with bot._push_lock, httpx.AsyncClient(timeout=10.0) as client:
            failures = 0
            while bot.updates and bot.webhook_url is not None and failures < _WEBHOOK_ATTEMPTS:
                update = bot.updates[0]
                headers = {}
                if bot.webhook_secret:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = bot.webhook_secret
                try:
                    response = await client.post(bot.webhook_url, json=update, headers=headers)
                except httpx.HTTPError as exc:
                    bot.webhook_last_error = f"Connection failed: {type(exc).__name__}"
                else:
                    if response.is_success:
                        bot.updates.pop(0)
                        bot.webhook_last_error, failures = None, 0
                        await self._run_answer(bot, response)
                        continue
                    bot.webhook_last_error = (
                        f"Wrong response from the webhook: {response.status_code}"
                    )
                failures += 1
                await asyncio.sleep(min(0.2 * 2**failures, 5.0))

    async def _run_answer(self, bot: SimulatedBot, response: httpx.Response) -> None:
        """Runs the method a webhook's answer names (answerCallbackQuery and the like)."""
        try:
            body = response.json()
        except ValueError:
            return
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            return
        await self._call(bot, body["method"].lower(), body, {})

    # -- simulated people ------------------------------------------------------------------------

    async def _sim_add_bot(self, request: Request) -> JSONResponse:
        body = await _json_body(request)
        try:
            bot = self.add_bot(
                token=body.get("token"), username=body.get("username"), profile=body.get("profile")
            )
        except (ValueError, LookupError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
        except Exception as exc:  # an unknown profile
            return JSONResponse({"detail": getattr(exc, "detail", str(exc))}, status_code=400)
        return JSONResponse(
            {
                "token": bot.token,
                "username": bot.username,
                "id": bot.bot_id,
                "profile": bot.profile,
            },
            status_code=201,
        )

    async def _sim_bot(self, request: Request) -> JSONResponse:
        bot = self._by_username.get(request.path_params["username"])
        if bot is None:
            return JSONResponse({"detail": "no such bot"}, status_code=404)
        stats = bot.simulator.stats
        webhook = None
        if bot.webhook_url is not None:
            webhook = {"url": bot.webhook_url, "secret_token": bot.webhook_secret}
        return JSONResponse(
            {
                "username": bot.username,
                "id": bot.bot_id,
                "profile": bot.profile,
                "sent": stats.sent,
                "flood_waits": stats.flood_waits,
                "refused": stats.permanent_failures,
                "pending_updates": len(bot.updates),
                "dropped_updates": bot.dropped_updates,
                "allowed_updates": sorted(bot.allowed_updates or []),
                "answered_callbacks": len(bot.answered_callbacks),
                "join_requests": [
                    {"chat_id": chat, "user_id": user, "status": status}
                    for (chat, user), status in bot.join_requests.items()
                ],
                "webhook": webhook,
                "webhook_last_error": bot.webhook_last_error,
            }
        )

    async def _sim_sent(self, request: Request) -> JSONResponse:
        """Every message the bot delivered, to anyone, oldest first (also those whose answer
        never reached the bot): how tests count duplicates and losses."""
        bot = self._by_username.get(request.path_params["username"])
        if bot is None:
            return JSONResponse({"detail": "no such bot"}, status_code=404)
        return JSONResponse(
            [
                {
                    "message_id": m["message_id"],
                    "chat_id": m["chat_id"],
                    "text": m["text"],
                    "response_lost": m["response_lost"],
                    "at": m["at"],
                }
                for m in bot.sent
            ]
        )

    async def _sim_health(self, request: Request) -> JSONResponse:
        bot = self._by_username.get(request.path_params["username"])
        if bot is None:
            return JSONResponse({"detail": "no such bot"}, status_code=404)
        body = await _json_body(request)
        bot.simulator.set_sender_health(body.get("problem"))
        return JSONResponse({"problem": body.get("problem")})

    async def _sim_faults(self, request: Request) -> JSONResponse:
        """Makes sends fail transiently (5xx) with a probability, as Telegram sometimes does."""
        bot = self._by_username.get(request.path_params["username"])
        if bot is None:
            return JSONResponse({"detail": "no such bot"}, status_code=404)
        body = await _json_body(request)
        try:
            bot.simulator.set_faults(
                transient_failure_p=float(body.get("transient_failure_p", 0.0)),
                lost_response_p=float(body.get("lost_response_p", 0.0)),
            )
        except (TypeError, ValueError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return JSONResponse(body)

    async def _sim_chats(self, request: Request) -> JSONResponse:
        """Chats the bot may write to without an update: people who started it earlier
        (positive ids), groups it was added to (negative ids)."""
        bot = self._by_username.get(request.path_params["username"])
        if bot is None:
            return JSONResponse({"detail": "no such bot"}, status_code=404)
        body = await _json_body(request)
        chat_ids = [_as_int(chat) for chat in body.get("chat_ids") or []]
        if not chat_ids or any(chat is None or chat == 0 for chat in chat_ids):
            return JSONResponse({"detail": "chat_ids: a list of non-zero chat ids"}, 400)
        bot.simulator.add_started_chats(chat for chat in chat_ids if chat is not None)
        return JSONResponse({"chats": len(chat_ids)})

    async def _sim_send(self, request: Request) -> JSONResponse:
        """A person writes to the bot (`text`) or presses a button of one of its messages
        (`callback_data`, optionally `message_id`)."""
        body = await _json_body(request)
        bot, problem = self._bot_of(body)
        if bot is None:
            return JSONResponse({"detail": problem}, status_code=400)
        chat_id = int(request.path_params["chat_id"])
        person = _person(chat_id, body)
        if not body.get("business_connection_id"):
            bot.simulator.add_started_chats([chat_id])  # writing to a bot starts it
        if body.get("callback_data") is not None:
            pressed = _message_with_button(bot, chat_id, str(body["callback_data"]), body)
            if pressed is None:
                return JSONResponse({"detail": "no message of the bot has that button"}, 404)
            update = bot.add_update(
                {
                    "callback_query": {
                        "id": bot.new_callback_query(),
                        "from": person,
                        "chat_instance": str(chat_id),
                        "data": str(body["callback_data"]),
                        "message": pressed,
                    }
                }
            )
        else:
            text = str(body.get("text") or "")
            if text.split(" ")[0].split("@")[0] == "/start":
                bot.simulator.set_recipient_state(chat_id, None)  # starting a bot unblocks it
            message: dict[str, Any] = {
                "message_id": bot.next_incoming_id(),
                "date": bot.now_s(),
                "chat": {"id": chat_id, "type": "private", "first_name": person["first_name"]},
                "from": person,
                "text": text,
            }
            if text.startswith("/"):
                command = text.split(" ")[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            answered = _as_int(body.get("reply_to_message_id"))
            if answered is not None:
                quoted = next((m["message"] for m in bot.sent if m["message_id"] == answered), None)
                if quoted is not None:
                    message["reply_to_message"] = quoted
            connection = body.get("business_connection_id")
            if connection:  # written to a business account the bot is connected to
                message["business_connection_id"] = str(connection)
                update = bot.add_update({"business_message": message})
            else:
                update = bot.add_update({"message": message})
        self._push_soon(bot)
        return JSONResponse({"update_id": update["update_id"]}, status_code=201)

    async def _sim_join(self, request: Request) -> JSONResponse:
        """A person asks to join a channel or group the bot administers (`chat_id`, negative;
        `chat_title`) through an invite link that needs approval (`invite_link_name`)."""
        body = await _json_body(request)
        bot, problem = self._bot_of(body)
        if bot is None:
            return JSONResponse({"detail": problem}, status_code=400)
        group = _as_int(body.get("chat_id"))
        if group is None or group >= 0:
            return JSONResponse({"detail": "chat_id: the channel's or group's (negative) id"}, 400)
        user_id = int(request.path_params["chat_id"])
        bot.request_join(group, user_id)  # the bot may write to them for a while (not started)
        link = {
            "invite_link": f"https://t.me/+{secrets.token_urlsafe(9)[:6]}...",
            "creator": bot.user,
            "creates_join_request": True,
            "is_primary": False,
            "is_revoked": False,
        }
        if body.get("invite_link_name"):
            link["name"] = str(body["invite_link_name"])
        update = bot.add_update(
            {
                "chat_join_request": {
                    "chat": {
                        "id": group,
                        "type": str(body.get("chat_type") or "channel"),
                        "title": str(body.get("chat_title") or f"Chat {group}"),
                    },
                    "from": _person(user_id, body),
                    "user_chat_id": user_id,
                    "date": bot.now_s(),
                    "invite_link": link,
                }
            }
        )
        self._push_soon(bot)
        return JSONResponse({"update_id": update["update_id"]}, status_code=201)

    async def _sim_state(self, request: Request) -> JSONResponse:
        """Makes a person unreachable as Telegram would say (blocked, deactivated, ...)."""
        body = await _json_body(request)
        bot, problem = self._bot_of(body)
        if bot is None:
            return JSONResponse({"detail": problem}, status_code=400)
        state = body.get("state")
        if state is not None and state not in _RECIPIENT_STATES:
            return JSONResponse({"detail": f"state is one of {_RECIPIENT_STATES} or null"}, 400)
        recipient_state: RecipientState | None = state
        bot.simulator.set_recipient_state(int(request.path_params["chat_id"]), recipient_state)
        return JSONResponse({"state": state})

    async def _sim_messages(self, request: Request) -> JSONResponse:
        bot, problem = self._bot_of(dict(request.query_params))
        if bot is None:
            return JSONResponse({"detail": problem}, status_code=400)
        chat_id = int(request.path_params["chat_id"])
        return JSONResponse([m for m in bot.sent if m["chat_id"] == chat_id])

    def _bot_of(self, body: dict[str, Any]) -> tuple[SimulatedBot | None, str]:
        name = body.get("bot")
        if name:
            bot = self._by_username.get(str(name))
            return bot, "" if bot else f"no bot named {name}"
        if len(self._by_username) == 1:
            return next(iter(self._by_username.values())), ""
        return None, 'name the bot ("bot": its username): this server has several'


# -- helpers ---------------------------------------------------------------------------------------


def _process_join(bot: SimulatedBot, params: dict[str, Any], status: str) -> JSONResponse:
    chat_id = _as_int(params.get("chat_id")) or 0
    if not bot.process_join(chat_id, _as_int(params.get("user_id")) or 0, status):
        return _error(400, "Bad Request: HIDE_REQUESTER_MISSING")  # Telegram's words
    return _ok(True)


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(code: int, description: str, *, retry_after: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=code)


async def _params(request: Request) -> tuple[dict[str, Any], dict[str, UploadFile]]:
    """Returns a Bot API call's parameters (query, JSON or form, as Telegram accepts) and files."""
    params: dict[str, Any] = dict(request.query_params)
    files: dict[str, UploadFile] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        params.update(await _json_body(request))
    elif content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = value
            else:
                params[key] = value
    return params, files


async def _hung_up(request: Request) -> None:
    """Returns when the client goes away (its request body was read before)."""
    while (await request.receive())["type"] != "http.disconnect":
        continue


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"


def _as_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


_READABLE_UPLOAD_BYTES = 1_000_000


async def _media(reference: Any, files: dict[str, UploadFile], field: str) -> dict[str, Any] | None:
    """Returns what was sent as the photo or document: a URL or file_id, an upload named by
    attach://<name>, or a file uploaded in the field itself."""
    if not reference:
        return await _upload(files.get(field))
    reference = str(reference)
    if reference.startswith("attach://"):
        return await _upload(files.get(reference.removeprefix("attach://")))
    return {"url": reference}


async def _upload(upload: UploadFile | None) -> dict[str, Any] | None:
    if upload is None:
        return None
    content = await upload.read()
    sent: dict[str, Any] = {"upload": upload.filename, "size": len(content)}
    # The simulated person can read a small text file they were sent (their data export).
    name = (upload.filename or "").lower()
    if name.endswith((".json", ".txt")) and len(content) <= _READABLE_UPLOAD_BYTES:
        sent["text"] = content.decode("utf-8", "replace")
    return sent


def _valid_markup(markup: Any) -> bool:
    if markup is None:
        return True
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else None
    if not isinstance(rows, list):
        return False
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= _CALLBACK_DATA_MAX_BYTES:
                return False
    return True


def _message_json(
    bot: SimulatedBot,
    message_id: int,
    chat_id: int,
    formatted: markup.FormattedText,
    kind: MediaKind | None,
    reply_markup: Any,
) -> dict[str, Any]:
    group = is_group_chat(chat_id)
    chat: dict[str, Any] = {"id": chat_id, "type": "supergroup" if group else "private"}
    if group:
        chat["title"] = f"Group {chat_id}"
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": bot.now_s(),
        "chat": chat,
        "from": bot.user,
    }
    file_id = f"sim-{kind}-{message_id}"
    if kind == "photo":
        message["photo"] = [
            {"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 600}
        ]
    elif kind == "document":
        message["document"] = {"file_id": file_id, "file_unique_id": file_id}
    entities = [entity.as_json() for entity in formatted.entities]
    if kind is None:
        message["text"] = formatted.text
        if entities:
            message["entities"] = entities
    elif formatted.text:
        message["caption"] = formatted.text
        if entities:
            message["caption_entities"] = entities
    if reply_markup:
        message["reply_markup"] = reply_markup
    return message


def _person(chat_id: int, body: dict[str, Any]) -> dict[str, Any]:
    person: dict[str, Any] = {
        "id": chat_id,
        "is_bot": False,
        "first_name": str(body.get("first_name") or f"Person {chat_id}"),
    }
    if body.get("username"):
        person["username"] = str(body["username"])
    if body.get("language_code"):
        person["language_code"] = str(body["language_code"])
    return person


def _message_with_button(
    bot: SimulatedBot, chat_id: int, data: str, body: dict[str, Any]
) -> dict[str, Any] | None:
    """Returns the bot's message (newest first, or the one named) carrying a button with
    `data`, as Telegram attaches it to the callback query."""
    wanted = _as_int(body.get("message_id"))
    for sent in reversed(bot.sent):
        if sent["chat_id"] != chat_id or (wanted is not None and sent["message_id"] != wanted):
            continue
        rows = (sent["reply_markup"] or {}).get("inline_keyboard", [])
        if any(button.get("callback_data") == data for row in rows for button in row):
            message: dict[str, Any] = sent["message"]
            return message
    return None

"""Telegram's side of the MTProto client boundary, for tests: no MTProto server runs here.

`ScriptedTelegram` stands where `telethon.TelegramClient` stands and answers as Telegram does:
it remembers each random_id and refuses a second send of it with Telethon's real
RandomIdDuplicateError, returns the Updates shapes Telegram returns, and raises the errors a test
queues, built as Telethon builds them (`FloodWaitError(request=None, capture=7)`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from telethon import errors, functions, types

from marketing_agent.telegram.telethon_transport import TelethonCredentials

Handler = Callable[[Any], Awaitable[None]]


class ScriptedTelegram:
    """An MTProto client whose every call is recorded and whose answers a test scripts."""

    def __init__(self, *, authorized: bool = True) -> None:
        self.authorized = authorized
        self.connected = False
        self.connects = 0
        self.disconnects = 0
        self.dialog_loads = 0
        self.requests: list[Any] = []
        self.errors: deque[BaseException] = deque()  # raised by the next requests, in order
        self.connect_errors: deque[BaseException] = deque()  # raised by the next connects
        self.unknown_peers: set[int] = set()  # no access hash for these
        self.privacy_restricted: set[int] = set()  # cannot be added to groups by strangers
        self.handlers: list[Handler] = []
        self._delivered: dict[int, int] = {}  # random_id -> message id
        self._next_message_id = 100

    # -- the client's surface ------------------------------------------------------------------

    async def connect(self) -> None:
        self.connects += 1
        if self.connect_errors:
            raise self.connect_errors.popleft()
        self.connected = True

    def is_connected(self) -> bool:
        return self.connected

    async def is_user_authorized(self) -> bool:
        return self.authorized

    async def get_input_entity(self, peer: Any) -> Any:
        if peer in self.unknown_peers:
            raise ValueError(f"Could not find the input entity for {peer}")
        if isinstance(peer, int) and peer < 0:
            return types.InputPeerChannel(channel_id=-peer - 10**12, access_hash=1)
        return types.InputPeerUser(user_id=peer, access_hash=1)

    async def get_dialogs(self, limit: int | None = None) -> list[Any]:
        self.dialog_loads += 1
        return []

    def add_event_handler(self, callback: Handler, event: Any = None) -> None:
        self.handlers.append(callback)

    async def __call__(self, request: Any) -> Any:
        if not self.connected:
            raise ConnectionError("Cannot send requests while disconnected")
        self.requests.append(request)
        if self.errors:
            raise self.errors.popleft()
        if isinstance(request, functions.messages.SendMessageRequest):
            return self._send(request)
        if isinstance(request, functions.channels.CreateChannelRequest):
            channel = types.Channel(
                id=777, title=request.title, photo=types.ChatPhotoEmpty(), date=_now()
            )
            return types.Updates(updates=[], users=[], chats=[channel], date=_now(), seq=0)
        if isinstance(request, functions.channels.InviteToChannelRequest):
            user_id = request.users[0].user_id
            missing = (
                [types.MissingInvitee(user_id=user_id)]
                if user_id in self.privacy_restricted
                else []
            )
            updates = types.Updates(updates=[], users=[], chats=[], date=_now(), seq=0)
            return types.messages.InvitedUsers(updates=updates, missing_invitees=missing)
        raise AssertionError(f"unexpected request {type(request).__name__}")

    async def disconnect(self) -> None:
        self.disconnects += 1
        self.connected = False

    # -- what a test does ----------------------------------------------------------------------

    @property
    def sent(self) -> list[functions.messages.SendMessageRequest]:
        return [r for r in self.requests if isinstance(r, functions.messages.SendMessageRequest)]

    @property
    def delivered(self) -> dict[int, int]:
        """Returns random_id -> message id of every message Telegram accepted."""
        return dict(self._delivered)

    def drop_connection(self) -> None:
        self.connected = False

    async def push(self, update: Any) -> None:
        """Delivers an update to the registered handlers, as Telethon's update loop does."""
        for handler in self.handlers:
            await handler(update)

    def _send(self, request: functions.messages.SendMessageRequest) -> Any:
        if request.random_id in self._delivered:
            raise errors.RandomIdDuplicateError(request=request)
        self._next_message_id += 1
        self._delivered[request.random_id] = self._next_message_id
        return types.UpdateShortSentMessage(
            id=self._next_message_id, pts=1, pts_count=1, date=_now(), out=True
        )


def _now() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


class ScriptedAccounts:
    """The pool's client factory in tests: one ScriptedTelegram per account session string."""

    def __init__(self) -> None:
        self.clients: dict[str, ScriptedTelegram] = {}
        self.opened: list[TelethonCredentials] = []

    def __call__(self, credentials: TelethonCredentials) -> ScriptedTelegram:
        self.opened.append(credentials)
        return self.of(credentials.session)

    def of(self, session: str) -> ScriptedTelegram:
        """Returns Telegram as the account with this session string sees it."""
        return self.clients.setdefault(session, ScriptedTelegram())


class _Session:
    def __init__(self, value: str) -> None:
        self.value = value

    def save(self) -> str:
        return self.value


class ScriptedLogin:
    """A login client answering as Telegram does: the code, then the 2FA password if set."""

    def __init__(
        self, *, code: str = "12345", password: str | None = None, session: str = "1Bsession"
    ) -> None:
        self.code = code
        self.password = password
        self.session = _Session(session)
        self.errors: deque[BaseException] = deque()  # raised by the next calls, in order
        self.calls: list[str] = []
        self.connected = False
        self.code_expired = False
        self._awaiting_password = False

    async def connect(self) -> None:
        self.calls.append("connect")
        self.connected = True

    async def send_code_request(self, phone: str) -> Any:
        self.calls.append("send_code_request")
        self._raise_queued()
        return types.auth.SentCode(
            type=types.auth.SentCodeTypeApp(length=5), phone_code_hash="hash-of-the-code"
        )

    async def sign_in(
        self,
        phone: str | None = None,
        code: str | None = None,
        *,
        password: str | None = None,
        phone_code_hash: str | None = None,
    ) -> Any:
        self.calls.append("sign_in")
        self._raise_queued()
        if password is not None:
            if not self._awaiting_password:
                raise AssertionError("password sent before the code")
            if password != self.password:
                raise errors.PasswordHashInvalidError(request=None)
            return types.User(id=1)
        assert phone_code_hash == "hash-of-the-code"
        if self.code_expired:
            raise errors.PhoneCodeExpiredError(request=None)
        if code != self.code:
            raise errors.PhoneCodeInvalidError(request=None)
        if self.password is not None:
            self._awaiting_password = True
            raise errors.SessionPasswordNeededError(request=None)
        return types.User(id=1)

    async def disconnect(self) -> None:
        self.calls.append("disconnect")
        self.connected = False

    def _raise_queued(self) -> None:
        if self.errors:
            raise self.errors.popleft()

"""User accounts: logging in through Telethon (phone → code → 2FA password), and their secrets.

A login is a small state machine held in this process for a few minutes, because the code
Telegram sends belongs to the connection that asked for it. When it completes, the account
becomes a telethon sender whose session string and api_hash are stored encrypted. Key rotation
re-encrypts every sender's secrets with a new key in one transaction.
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.crypto import (
    KEY_FILE,
    PREVIOUS_KEYS_FILE,
    SecretBox,
    generate_secret_key,
    load_previous_secret_keys,
    load_secret_key,
    write_key_file,
)
from marketing_agent.core.db import Database
from marketing_agent.core.errors import (
    Conflict,
    InvalidTransition,
    MarketingAgentError,
    NotFound,
    RateLimited,
    Unavailable,
    ValidationFailed,
    field_error,
)
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.schemas import AccountLoginCode, AccountLoginStart

log = get_logger(__name__)

LOGIN_TTL_S = 600.0  # a pending login is dropped this long after its last step
MAX_PENDING_LOGINS = 50
MAX_WRONG_ANSWERS = 5  # wrong codes or passwords before the login is dropped

LoginStep = Literal["code", "password", "done"]


class LoginExpired(MarketingAgentError):
    status = 410
    title = "Login expired"
    type_slug = "login-expired"


class LoginClient(Protocol):
    """The part of `telethon.TelegramClient` a login uses (tests inject their own)."""

    session: Any  # a StringSession: .save() returns the session string

    async def connect(self) -> None: ...

    async def send_code_request(self, phone: str) -> Any: ...

    async def sign_in(
        self,
        phone: str | None = None,
        code: str | None = None,
        *,
        password: str | None = None,
        phone_code_hash: str | None = None,
    ) -> Any: ...

    def disconnect(self) -> Any: ...


LoginClientFactory = Callable[[int, str], LoginClient]


def open_login_client(api_id: int, api_hash: str) -> LoginClient:
    """Returns a real Telethon client on a new, empty StringSession."""
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    client: LoginClient = TelegramClient(StringSession(), api_id, api_hash, flood_sleep_threshold=0)
    return client


@dataclass(frozen=True)
class CompletedLogin:
    """A logged-in account, ready to be stored; its secrets never appear in a repr."""

    name: str
    api_id: int
    api_hash: str = field(repr=False)
    session: str = field(repr=False)


@dataclass(frozen=True)
class LoginProgress:
    """Where a login stands after a step."""

    login_id: str
    next: LoginStep
    expires_in_s: float | None = None
    completed: CompletedLogin | None = None


@dataclass
class _PendingLogin:
    login_id: str
    name: str
    actor: str
    api_id: int
    api_hash: str = field(repr=False)
    phone: str = field(repr=False)
    client: LoginClient = field(repr=False)
    phone_code_hash: str = field(repr=False)
    expires_at: float
    step: LoginStep = "code"
    wrong_answers: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)


class LoginRegistry:
    """The logins in progress in this process, each expiring `ttl_s` after its last step."""

    def __init__(
        self,
        *,
        open_client: LoginClientFactory | None = None,
        ttl_s: float = LOGIN_TTL_S,
        max_pending: int = MAX_PENDING_LOGINS,
    ) -> None:
        self._open_client = open_client or open_login_client
        self._ttl_s = ttl_s
        self._max_pending = max_pending
        self._pending: dict[str, _PendingLogin] = {}

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def start(
        self, *, name: str, api_id: int, api_hash: str, phone: str, actor: str
    ) -> LoginProgress:
        """Asks Telegram to send a login code to the account; returns the pending login."""
        await self.expire()
        if any(p.name == name for p in self._pending.values()):
            raise Conflict(f"A login for '{name}' is already in progress")
        if len(self._pending) >= self._max_pending:
            raise RateLimited("Too many logins in progress; finish or cancel one first")
        client = self._open_client(api_id, api_hash)
        try:
            await client.connect()
            sent = await client.send_code_request(phone)
        except Exception as exc:
            await _disconnect(client)
            raise _login_problem(exc, step="start") from exc
        pending = _PendingLogin(
            login_id=secrets.token_urlsafe(16),
            name=name,
            actor=actor,
            api_id=api_id,
            api_hash=api_hash,
            phone=phone,
            client=client,
            phone_code_hash=str(getattr(sent, "phone_code_hash", "") or ""),
            expires_at=self._deadline(),
        )
        self._pending[pending.login_id] = pending
        log.info("telegram.login_started", name=name, actor=actor)
        return self._progress(pending)

    async def submit_code(self, login_id: str, code: str, *, actor: str) -> LoginProgress:
        """Signs in with the code; returns "password" when 2FA is on, else the completed login."""
        from telethon.errors import SessionPasswordNeededError

        pending = await self._get(login_id, actor=actor, step="code")
        async with pending.lock:
            self._check_step(pending, "code")
            try:
                await pending.client.sign_in(
                    pending.phone, code, phone_code_hash=pending.phone_code_hash
                )
            except SessionPasswordNeededError:
                pending.step = "password"
                pending.expires_at = self._deadline()
                log.info("telegram.login_password_needed", name=pending.name)
                return self._progress(pending)
            except Exception as exc:
                raise await self._refused(pending, exc, step="code") from exc
            return await self._complete(pending)

    async def submit_password(self, login_id: str, password: str, *, actor: str) -> LoginProgress:
        """Finishes a login that needs the account's two-step verification password."""
        pending = await self._get(login_id, actor=actor, step="password")
        async with pending.lock:
            self._check_step(pending, "password")
            try:
                await pending.client.sign_in(password=password)
            except Exception as exc:
                raise await self._refused(pending, exc, step="password") from exc
            return await self._complete(pending)

    async def cancel(self, login_id: str, *, actor: str) -> None:
        """Abandons a pending login."""
        pending = await self._get(login_id, actor=actor, step=None)
        await self._drop(pending)
        log.info("telegram.login_cancelled", name=pending.name)

    async def expire(self) -> int:
        """Drops the logins whose time is up; returns how many."""
        now = clock.get_clock().monotonic()
        expired = [p for p in self._pending.values() if p.expires_at <= now]
        for pending in expired:
            await self._drop(pending)
            log.info("telegram.login_expired", name=pending.name)
        return len(expired)

    async def close(self) -> None:
        """Drops every pending login (shutdown)."""
        for pending in list(self._pending.values()):
            await self._drop(pending)

    # -- internals -----------------------------------------------------------------------------

    async def _get(self, login_id: str, *, actor: str, step: LoginStep | None) -> _PendingLogin:
        await self.expire()
        pending = self._pending.get(login_id)
        if pending is None or pending.actor != actor:  # another user's login is not theirs
            raise NotFound(f"No pending login '{login_id}' (it may have expired; start again)")
        if step is not None:
            self._check_step(pending, step)
        return pending

    @staticmethod
    def _check_step(pending: _PendingLogin, step: LoginStep) -> None:
        if pending.step != step:
            raise InvalidTransition(
                f"This login expects the {pending.step} next, not the {step}",
                allowed=[pending.step],
            )

    async def _refused(
        self, pending: _PendingLogin, exc: Exception, *, step: LoginStep
    ) -> MarketingAgentError:
        """Returns the problem to raise for a failed step, dropping the login when it is over."""
        problem = _login_problem(exc, step=step)
        pending.expires_at = self._deadline()
        if isinstance(problem, ValidationFailed):
            pending.wrong_answers += 1
            if pending.wrong_answers >= MAX_WRONG_ANSWERS:
                await self._drop(pending)
                return LoginExpired("Too many wrong answers; start the login again")
        if isinstance(problem, LoginExpired):
            await self._drop(pending)
        log.info("telegram.login_refused", name=pending.name, step=step, error=type(exc).__name__)
        return problem

    async def _complete(self, pending: _PendingLogin) -> LoginProgress:
        session = str(pending.client.session.save())
        await self._drop(pending)
        log.info("telegram.login_completed", name=pending.name)
        completed = CompletedLogin(
            name=pending.name, api_id=pending.api_id, api_hash=pending.api_hash, session=session
        )
        return LoginProgress(login_id=pending.login_id, next="done", completed=completed)

    async def _drop(self, pending: _PendingLogin) -> None:
        self._pending.pop(pending.login_id, None)
        await _disconnect(pending.client)

    def _deadline(self) -> float:
        return clock.get_clock().monotonic() + self._ttl_s

    def _progress(self, pending: _PendingLogin) -> LoginProgress:
        remaining = max(0.0, pending.expires_at - clock.get_clock().monotonic())
        return LoginProgress(login_id=pending.login_id, next=pending.step, expires_in_s=remaining)


LoginAction = Literal["started", "code_submitted", "password_submitted", "cancelled"]


async def audited_login_step(
    *,
    db: Database,
    actor: str,
    action: LoginAction,
    login_id: str,
    run: Awaitable[LoginProgress],
    name: str | None = None,
) -> LoginProgress:
    """Runs one step of a user-account login and audits it, refused steps too: each in a
    transaction of its own, so a refusal's entry is kept while the request fails. The entry
    names the step, the account's name and what came next; never the phone, code or password."""
    try:
        progress = await run
    except MarketingAgentError as exc:
        await _audit_refused(db, actor=actor, action=action, login_id=login_id, name=name, exc=exc)
        raise
    data: dict[str, Any] = {"name": progress.completed.name if progress.completed else name}
    await _audit_login(
        db,
        actor=actor,
        action=f"telegram_login.{action}",
        login_id=progress.login_id,
        data=data | {"next": progress.next},
    )
    return progress


async def audited_login_cancel(
    *, db: Database, registry: LoginRegistry, actor: str, login_id: str
) -> None:
    """Abandons a pending login and audits it (a refusal too, e.g. another user's login)."""
    try:
        await registry.cancel(login_id, actor=actor)
    except MarketingAgentError as exc:
        await _audit_refused(
            db, actor=actor, action="cancelled", login_id=login_id, name=None, exc=exc
        )
        raise
    await _audit_login(
        db, actor=actor, action="telegram_login.cancelled", login_id=login_id, data={}
    )


async def _audit_refused(
    db: Database,
    *,
    actor: str,
    action: LoginAction,
    login_id: str,
    name: str | None,
    exc: MarketingAgentError,
) -> None:
    data = {"step": action, "name": name, "problem": exc.type_slug, "status": exc.status}
    await _audit_login(
        db, actor=actor, action="telegram_login.refused", login_id=login_id, data=data
    )


async def _audit_login(
    db: Database, *, actor: str, action: str, login_id: str, data: dict[str, Any]
) -> None:
    async with db.session() as session:
        await compliance.audit(
            session=session,
            actor=actor,
            action=action,
            entity_type="telegram_login",
            entity_id=login_id,
            data={k: v for k, v in data.items() if v is not None},
        )


async def ensure_name_free(*, session: AsyncSession, name: str) -> None:
    """Raises Conflict when a sender already has `name` (checked before a code is sent)."""
    if await telegram.get_sender_by_name(session=session, name=name) is not None:
        raise Conflict(f"A sender named '{name}' already exists")


async def save_account(
    *, session: AsyncSession, login: CompletedLogin, secret_box: SecretBox, actor: str
) -> telegram.SenderInfo:
    """Stores a completed login as a telethon user-account sender (secrets encrypted)."""
    return await telegram.create_user_account(
        session=session,
        name=login.name,
        api_id=login.api_id,
        api_hash=login.api_hash,
        session_string=login.session,
        secret_box=secret_box,
        actor=actor,
    )


Ask = Callable[[str], Awaitable[str]]


async def login_interactively(
    *,
    db: Database,
    secret_box: SecretBox,
    registry: LoginRegistry,
    name: str,
    api_id: int,
    api_hash: str,
    phone: str,
    ask_secret: Ask,
    say: Callable[[str], None],
    actor: str = "cli:operator",
) -> telegram.SenderInfo:
    """Runs a whole login for the CLI, asking for the code (and the password if needed), and
    stores the account; a wrong answer is asked again, up to MAX_WRONG_ANSWERS times."""
    try:
        start = AccountLoginStart(name=name, api_id=api_id, api_hash=api_hash, phone=phone)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise _invalid(exc) from exc
    async with db.session() as session:
        await ensure_name_free(session=session, name=start.name)
    progress = await registry.start(
        name=start.name,
        api_id=start.api_id,
        api_hash=start.api_hash.get_secret_value(),
        phone=start.phone.get_secret_value(),
        actor=actor,
    )
    try:
        say("Telegram sent a login code to the account's Telegram apps.")
        while progress.next != "done":
            progress = await _answer(registry, progress, ask_secret, say, actor=actor)
    finally:
        if progress.next != "done":
            await _cancel_quietly(registry, progress.login_id, actor=actor)
    assert progress.completed is not None
    async with db.session() as session:
        return await save_account(
            session=session, login=progress.completed, secret_box=secret_box, actor=actor
        )


async def _answer(
    registry: LoginRegistry,
    progress: LoginProgress,
    ask_secret: Ask,
    say: Callable[[str], None],
    *,
    actor: str,
) -> LoginProgress:
    """Asks for the answer the login expects next and submits it; a wrong one is re-asked."""
    if progress.next == "code":
        answer = await ask_secret("Login code")
        try:
            code = AccountLoginCode(code=answer).code.get_secret_value()  # type: ignore[arg-type]
        except ValidationError:
            say("That is not a login code: type the digits Telegram sent.")
            return progress
        submit = registry.submit_code(progress.login_id, code, actor=actor)
    else:
        answer = await ask_secret("Two-step verification password")
        submit = registry.submit_password(progress.login_id, answer, actor=actor)
    try:
        return await submit
    except ValidationFailed as exc:
        say(exc.errors[0]["msg"] if exc.errors else exc.detail)
        return progress


async def _cancel_quietly(registry: LoginRegistry, login_id: str, *, actor: str) -> None:
    try:
        await registry.cancel(login_id, actor=actor)
    except NotFound:
        pass  # already dropped (expired, or too many wrong answers)


@dataclass(frozen=True)
class KeyRotation:
    """What `keys rotate` did; the new key is shown only when it was generated."""

    new_key: str = field(repr=False)
    generated: bool
    senders: int
    secrets: int
    key_file: Path | None  # where the new key was written (when no MA_SECRET_KEY is set)


async def rotate_secret_key(
    settings: Settings, *, new_key: str | None = None, actor: str = "cli:operator"
) -> KeyRotation:
    """Re-encrypts every sender's secrets with `new_key` (generated if None) in one transaction.

    The old keys are the current one and the previous ones (MA_SECRET_KEY_PREVIOUS,
    secret.key.previous). Without MA_SECRET_KEY the key lives in data_dir/secret.key: the new key
    is written there and the old ones to secret.key.previous *before* the commit, so whatever
    happens every stored secret stays readable. With MA_SECRET_KEY the operator sets the new key
    afterwards (docs/telegram.md, "Key rotation")."""
    current = load_secret_key(settings)
    generated = new_key is None
    new_key = new_key or generate_secret_key()
    if len(new_key) < 32:
        raise ValidationFailed([field_error(("new_secret_key",), "use at least 32 characters")])
    old_keys = [
        k for k in dict.fromkeys([current, *load_previous_secret_keys(settings)]) if k != new_key
    ]
    box = SecretBox(new_key, *old_keys)
    key_file = None if settings.secret_key is not None else settings.data_dir / KEY_FILE
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            senders, count = await telegram.reencrypt_secrets(
                session=session, secret_box=box, actor=actor
            )
            if key_file is not None:
                write_key_file(settings.data_dir / PREVIOUS_KEYS_FILE, "\n".join(old_keys))
                write_key_file(key_file, new_key)
    finally:
        await db.dispose()
    log.info("secrets.key_rotated", senders=senders, secrets=count, key_file=bool(key_file))
    return KeyRotation(
        new_key=new_key, generated=generated, senders=senders, secrets=count, key_file=key_file
    )


def _login_problem(exc: Exception, *, step: str) -> MarketingAgentError:
    """Returns the problem a failed login step means for the person logging in."""
    from telethon import errors

    def invalid(loc: str, msg: str) -> ValidationFailed:
        return ValidationFailed([field_error(("body", loc), msg)], detail=msg)

    match exc:
        case errors.FloodWaitError():
            return RateLimited(
                f"Telegram asks to wait {exc.seconds} s before trying again",
                retry_after_s=exc.seconds,
            )
        case errors.PhoneNumberFloodError():
            return RateLimited("Too many codes were requested for this number; try again later")
        case errors.PhoneNumberInvalidError():
            return invalid("phone", "Telegram says this phone number is invalid")
        case errors.PhoneNumberBannedError():
            return invalid("phone", "Telegram has banned this phone number")
        case errors.PhoneNumberUnoccupiedError():
            return invalid("phone", "No Telegram account uses this number; sign up in an app first")
        case errors.ApiIdInvalidError():
            return invalid("api_id", "Telegram does not accept this api_id and api_hash")
        case errors.PhoneCodeInvalidError():
            return invalid("code", "Wrong code; check it and send it again")
        case errors.PhoneCodeExpiredError() | errors.PhoneCodeEmptyError():
            return LoginExpired("The code has expired; start the login again")
        case errors.PhoneCodeHashEmptyError() | errors.PhoneHashExpiredError():
            return LoginExpired("The code has expired; start the login again")
        case errors.PasswordHashInvalidError():
            return invalid("password", "Wrong password; try again")
        case errors.RPCError():
            return Unavailable(f"Telegram refused the login at the {step} step ({exc.message})")
        case ConnectionError() | TimeoutError() | OSError():
            return Unavailable("Telegram could not be reached; try again")
    raise exc


def _invalid(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed(
        [field_error([str(p) for p in e["loc"]], e["msg"]) for e in exc.errors()]
    )


async def _disconnect(client: LoginClient) -> None:
    try:
        result = client.disconnect()
        if inspect.isawaitable(result):
            await result
    except Exception:  # a login client that cannot even disconnect is gone anyway
        log.warning("telegram.login_disconnect_failed", exc_info=True)

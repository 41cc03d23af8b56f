"""HTTP API of the telegram module: the senders campaigns go out from, their profiles, the
login of user accounts (phone → code → 2FA password), bots' tests and webhooks, and the webhook
route Telegram posts bots' updates to."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import JSONResponse

from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.db import Database
from marketing_agent.core.deps import DbSession, get_database
from marketing_agent.core.errors import Unavailable, ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.core.openapi import problem_responses
from marketing_agent.core.settings import check_bot_api_url, get_settings
from marketing_agent.core.validation import DbId
from marketing_agent.telegram import accounts, service
from marketing_agent.telegram.pool import TransportPool
from marketing_agent.telegram.schemas import (
    AccountLoginCode,
    AccountLoginPassword,
    AccountLoginStart,
    AccountLoginStep,
    SenderCreate,
    SenderProfileRead,
    SenderRead,
    SenderTestRequest,
    SenderTestResult,
    TransportKind,
    WebhookSet,
)

log = get_logger(__name__)
router = APIRouter(prefix="/api/v1/telegram", tags=["telegram"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]
SenderID = Annotated[DbId, Path(description="The sender's id")]
CanManage = Annotated[Principal, Depends(authorize(Permission.SENDERS_MANAGE))]


def get_secret_box(request: Request) -> SecretBox:
    """Returns the app's SecretBox, which encrypts tokens and session strings at rest."""
    box: SecretBox | None = getattr(request.app.state, "secret_box", None)
    if box is None:
        raise Unavailable("No encryption key is configured for storing secrets")
    return box


AppSecretBox = Annotated[SecretBox, Depends(get_secret_box)]


def get_logins(request: Request) -> accounts.LoginRegistry:
    """Returns the user-account logins pending in this process (its runtime's)."""
    registry: accounts.LoginRegistry | None = getattr(
        getattr(request.app.state, "runtime", None), "logins", None
    )
    if registry is None:
        raise Unavailable("This process cannot log user accounts in")
    return registry


Logins = Annotated[accounts.LoginRegistry, Depends(get_logins)]


def get_transports(request: Request) -> TransportPool:
    """Returns this process's transport pool (its runtime's)."""
    transports: TransportPool = request.app.state.runtime.transports
    return transports


Transports = Annotated[TransportPool, Depends(get_transports)]


class InboundHandler(Protocol):
    """Applies a sender's stored updates: consent and events (the orchestrator's
    apply_inbound)."""

    def __call__(self, *, sender_id: int) -> Awaitable[int]: ...


def get_inbound_handler(request: Request) -> InboundHandler | None:
    """Returns what applies webhook updates: the process's runtime provides the orchestrator's
    (this module may not import it); None: not wired (the scheduler applies what the webhook
    stored)."""
    handler: InboundHandler | None = getattr(
        getattr(request.app.state, "runtime", None), "apply_inbound", None
    )
    return handler


WebhookHandler = Annotated[InboundHandler | None, Depends(get_inbound_handler)]
AppDatabase = Annotated[Database, Depends(get_database)]


@router.get("/senders")
async def list_senders(session: DbSession, principal: CanRead) -> list[SenderRead]:
    senders = await service.list_senders(session=session)
    return [SenderRead.model_validate(s) for s in senders]


def _check_bot_api_url(request: Request, url: str) -> None:
    """Raises 422 unless the URL is https or loopback, or an admin allowed others."""
    settings = getattr(request.app.state, "settings", None) or get_settings()
    try:
        check_bot_api_url(url, allow_insecure=settings.allow_insecure_bot_api_url)
    except ValueError as exc:
        raise ValidationFailed([field_error(("body", "bot_api_url"), str(exc))]) from exc


@router.post("/senders", status_code=201)
async def create_sender(
    sender_in: SenderCreate,
    session: DbSession,
    principal: CanManage,
    secret_box: AppSecretBox,
    transports: Transports,
    request: Request,
) -> SenderRead:
    if sender_in.bot_api_url is not None:
        _check_bot_api_url(request, sender_in.bot_api_url)
    bot_username = None
    if sender_in.transport is TransportKind.BOTAPI and sender_in.secret is not None:
        identity = await service.check_bot_token(  # a wrong token is refused before it is stored
            transports=transports,
            token=sender_in.secret.get_secret_value(),
            bot_api_url=sender_in.bot_api_url,
        )
        bot_username = identity.username
    sender = await service.create_sender(
        session=session,
        sender_in=sender_in,
        secret_box=secret_box,
        actor=principal.actor,
        bot_username=bot_username,
    )
    return SenderRead.model_validate(sender)


@router.get("/senders/{sender_id}")
async def get_sender(sender_id: SenderID, session: DbSession, principal: CanRead) -> SenderRead:
    sender = await service.get_sender_or_raise(session=session, sender_id=sender_id)
    return SenderRead.model_validate(sender)


@router.post("/senders/{sender_id}/test")
async def send_sender_test(
    sender_id: SenderID,
    test_in: SenderTestRequest,
    session: DbSession,
    principal: CanManage,
    transports: Transports,
    request: Request,
) -> SenderTestResult:
    """Sends one message to a chat that started the bot; Telegram's refusal is the result."""
    return await service.send_test_message(
        session=session,
        transports=transports,
        sender_id=sender_id,
        chat_id=test_in.chat_id,
        text=test_in.text,
        actor=principal.actor,
        limits=getattr(getattr(request.app.state, "runtime", None), "limits", None),
    )


@router.put("/senders/{sender_id}/webhook")
async def set_webhook(
    sender_id: SenderID,
    webhook_in: WebhookSet,
    session: DbSession,
    principal: CanManage,
    transports: Transports,
) -> SenderRead:
    """Makes Telegram post the bot's updates to this API instead of long polling."""
    sender = await service.set_webhook(
        session=session,
        transports=transports,
        sender_id=sender_id,
        public_url=webhook_in.public_url,
        actor=principal.actor,
    )
    return SenderRead.model_validate(sender)


@router.delete("/senders/{sender_id}/webhook")
async def delete_webhook(
    sender_id: SenderID, session: DbSession, principal: CanManage, transports: Transports
) -> SenderRead:
    """Goes back to long polling for the bot's updates."""
    sender = await service.delete_webhook(
        session=session, transports=transports, sender_id=sender_id, actor=principal.actor
    )
    return SenderRead.model_validate(sender)


@router.post("/webhook/{sender_id}", responses=problem_responses(403))  # a wrong secret
async def receive_webhook_update(
    sender_id: SenderID,
    request: Request,
    session: DbSession,
    db: AppDatabase,
    handle: WebhookHandler,
    secret_token: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> JSONResponse:
    """Where Telegram posts a bot's updates. Open (no login): Telegram proves itself with the
    secret set with the webhook. The update is stored and committed before the 200 (an error
    makes Telegram post it again later), then applied and answered; what fails there is
    applied by the scheduler from the store."""
    await service.check_webhook_secret(session=session, sender_id=sender_id, presented=secret_token)
    try:
        data: Any = await request.json()
    except ValueError:
        raise ValidationFailed([field_error(("body",), "not JSON")]) from None
    events, answer = service.read_webhook_update(data)
    if events:
        async with db.session() as store:
            await service.store_inbound(session=store, sender_id=sender_id, events=events)
        if handle is not None:
            try:
                await handle(sender_id=sender_id)
            except Exception:
                log.exception("telegram.webhook_apply_failed", sender_id=sender_id)
    return JSONResponse(answer)


@router.get("/profiles")
async def list_profiles(principal: CanRead) -> list[SenderProfileRead]:
    return [SenderProfileRead.model_validate(p) for p in service.list_profiles()]


@router.post("/accounts/login", status_code=201)
async def start_account_login(
    login_in: AccountLoginStart,
    session: DbSession,
    principal: CanManage,
    logins: Logins,
    secret_box: AppSecretBox,
    db: AppDatabase,
) -> AccountLoginStep:
    """Asks Telegram to send a login code to the account; the pending login expires."""
    await accounts.ensure_name_free(session=session, name=login_in.name)
    progress = await accounts.audited_login_step(
        db=db,
        actor=principal.actor,
        action="started",
        login_id="-",
        name=login_in.name,
        run=logins.start(
            name=login_in.name,
            api_id=login_in.api_id,
            api_hash=login_in.api_hash.get_secret_value(),
            phone=login_in.phone.get_secret_value(),
            actor=principal.actor,
        ),
    )
    return AccountLoginStep(
        login_id=progress.login_id, next=progress.next, expires_in_s=progress.expires_in_s
    )


@router.post("/accounts/login/{login_id}/code")
async def submit_account_login_code(
    login_id: str,
    code_in: AccountLoginCode,
    session: DbSession,
    principal: CanManage,
    logins: Logins,
    secret_box: AppSecretBox,
    db: AppDatabase,
) -> AccountLoginStep:
    """Signs in with the code; the answer says whether the 2FA password comes next."""
    progress = await accounts.audited_login_step(
        db=db,
        actor=principal.actor,
        action="code_submitted",
        login_id=login_id,
        run=logins.submit_code(login_id, code_in.code.get_secret_value(), actor=principal.actor),
    )
    return await _login_step(progress, session, secret_box, principal)


@router.post("/accounts/login/{login_id}/password")
async def submit_account_login_password(
    login_id: str,
    password_in: AccountLoginPassword,
    session: DbSession,
    principal: CanManage,
    logins: Logins,
    secret_box: AppSecretBox,
    db: AppDatabase,
) -> AccountLoginStep:
    """Finishes the login with the account's two-step verification password."""
    progress = await accounts.audited_login_step(
        db=db,
        actor=principal.actor,
        action="password_submitted",
        login_id=login_id,
        run=logins.submit_password(
            login_id, password_in.password.get_secret_value(), actor=principal.actor
        ),
    )
    return await _login_step(progress, session, secret_box, principal)


@router.delete("/accounts/login/{login_id}", status_code=204)
async def cancel_account_login(
    login_id: str, principal: CanManage, logins: Logins, db: AppDatabase
) -> Response:
    """Abandons a pending login."""

    await accounts.audited_login_cancel(
        db=db, registry=logins, actor=principal.actor, login_id=login_id
    )
    return Response(status_code=204)


async def _login_step(
    progress: accounts.LoginProgress,
    session: DbSession,
    secret_box: SecretBox,
    principal: Principal,
) -> AccountLoginStep:
    if progress.completed is None:
        return AccountLoginStep(
            login_id=progress.login_id, next=progress.next, expires_in_s=progress.expires_in_s
        )
    sender = await accounts.save_account(
        session=session, login=progress.completed, secret_box=secret_box, actor=principal.actor
    )
    return AccountLoginStep(
        login_id=progress.login_id, next="done", sender=SenderRead.model_validate(sender)
    )

"""HTTP API of the telegram module: the senders campaigns go out from, their profiles, and the
login of user accounts (phone → code → 2FA password)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.deps import DbSession
from marketing_agent.core.errors import Unavailable
from marketing_agent.telegram import accounts, service
from marketing_agent.telegram.schemas import (
    AccountLoginCode,
    AccountLoginPassword,
    AccountLoginStart,
    AccountLoginStep,
    SenderCreate,
    SenderProfileRead,
    SenderRead,
)

router = APIRouter(prefix="/api/v1/telegram", tags=["telegram"])

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]
CanManage = Annotated[Principal, Depends(authorize(Permission.SENDERS_MANAGE))]


def get_secret_box(request: Request) -> SecretBox:
    """Returns the app's SecretBox, which encrypts tokens and session strings at rest."""
    box: SecretBox | None = getattr(request.app.state, "secret_box", None)
    if box is None:
        raise Unavailable("No encryption key is configured for storing secrets")
    return box


AppSecretBox = Annotated[SecretBox, Depends(get_secret_box)]


def get_logins() -> accounts.LoginRegistry:
    """Returns the user-account logins pending in this process."""
    return accounts.logins()


Logins = Annotated[accounts.LoginRegistry, Depends(get_logins)]


@router.get("/senders")
async def list_senders(session: DbSession, principal: CanRead) -> list[SenderRead]:
    senders = await service.list_senders(session=session)
    return [SenderRead.model_validate(s) for s in senders]


@router.post("/senders", status_code=201)
async def create_sender(
    sender_in: SenderCreate, session: DbSession, principal: CanManage, secret_box: AppSecretBox
) -> SenderRead:
    sender = await service.create_sender(
        session=session, sender_in=sender_in, secret_box=secret_box, actor=principal.actor
    )
    return SenderRead.model_validate(sender)


@router.get("/senders/{sender_id}")
async def get_sender(sender_id: int, session: DbSession, principal: CanRead) -> SenderRead:
    sender = await service.get_sender_or_raise(session=session, sender_id=sender_id)
    return SenderRead.model_validate(sender)


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
) -> AccountLoginStep:
    """Asks Telegram to send a login code to the account; the pending login expires."""
    await accounts.ensure_name_free(session=session, name=login_in.name)
    progress = await logins.start(
        name=login_in.name,
        api_id=login_in.api_id,
        api_hash=login_in.api_hash.get_secret_value(),
        phone=login_in.phone.get_secret_value(),
        actor=principal.actor,
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
) -> AccountLoginStep:
    """Signs in with the code; the answer says whether the 2FA password comes next."""
    progress = await logins.submit_code(
        login_id, code_in.code.get_secret_value(), actor=principal.actor
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
) -> AccountLoginStep:
    """Finishes the login with the account's two-step verification password."""
    progress = await logins.submit_password(
        login_id, password_in.password.get_secret_value(), actor=principal.actor
    )
    return await _login_step(progress, session, secret_box, principal)


@router.delete("/accounts/login/{login_id}", status_code=204)
async def cancel_account_login(login_id: str, principal: CanManage, logins: Logins) -> Response:
    """Abandons a pending login."""
    await logins.cancel(login_id, actor=principal.actor)
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

"""HTTP API of the gateway: login, the current user and their password, users and API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from marketing_agent.core.auth import ROLE_PERMISSIONS, Permission, Principal, Role, authorize
from marketing_agent.core.deps import CurrentSettings, DbSession
from marketing_agent.core.errors import NotFound, Unauthorized
from marketing_agent.core.validation import DbId
from marketing_agent.gateway import service
from marketing_agent.gateway.effective_settings import effective_settings
from marketing_agent.gateway.models import User
from marketing_agent.gateway.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    EffectiveSetting,
    LoginRequest,
    MeRead,
    PasswordChange,
    PasswordResetRead,
    RoleRead,
    TokenResponse,
    UserCreate,
    UserCreated,
    UserRead,
    UserUpdate,
)
from marketing_agent.gateway.security import ApiKeyCache, UserStateCache, client_address
from marketing_agent.gateway.throttle import LoginThrottle

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _problems(**answers: str) -> dict[int | str, dict[str, Any]]:
    """Documents a route's problem+json answers: `_problems(e409="why")`."""
    return {
        int(code.removeprefix("e")): {
            "description": text,
            "content": {"application/problem+json": {}},
        }
        for code, text in answers.items()
    }


NOT_LOGGED_IN = "Not logged in, or the token stopped (user disabled, deleted, re-roled, reset)."
ONE_TIME = (
    "Forbidden: the role lacks the permission, or the caller's password is one-time "
    "(type .../password-change-required: change it first)."
)
ADMIN_ERRORS = _problems(e401=NOT_LOGGED_IN, e403=ONE_TIME, e404="No such user (or deleted).")

AnyUser = Annotated[Principal, Depends(authorize(Permission.READ))]
Admin = Annotated[Principal, Depends(authorize(Permission.USERS_MANAGE))]
KeyID = Annotated[DbId, Path(description="The API key's id")]
UserID = Annotated[DbId, Path(description="The user's id.")]


def _token_response(request: Request, settings: CurrentSettings, user: User) -> TokenResponse:
    token, expires_in = service.issue_access_token(
        user=user, secret=request.app.state.jwt_secret, minutes=settings.access_token_minutes
    )
    return TokenResponse(
        access_token=token, expires_in=expires_in, user=UserRead.model_validate(user)
    )


def _forget(request: Request, user_id: int) -> None:
    """Makes this process re-read the user's state at its next request."""
    cache: UserStateCache = request.app.state.user_states
    cache.forget(user_id)


@router.post(
    "/login",
    responses=_problems(
        e401="Wrong username or password (the same answer for both).",
        e429="Too many failed logins for the account or from the address; see Retry-After.",
        e503="The shared login throttle (Redis) is unreachable; logins are paused.",
    ),
)
async def login(
    body: LoginRequest, request: Request, session: DbSession, settings: CurrentSettings
) -> TokenResponse:
    """Logs in; too many failures for the account or from the address lock it out for a while
    (429 with Retry-After), even with the right password. A user whose password is one-time
    (`user.must_change_password`) must change it before any other call."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = client_address(request, request.app.state.trusted_proxies)
    await throttle.check(username=body.username, address=address)
    try:
        user = await service.authenticate(
            session=session, username=body.username, password=body.password
        )
    except Unauthorized:
        await throttle.record_failure(username=body.username, address=address)
        raise
    await throttle.record_success(username=body.username, address=address)
    return _token_response(request, settings, user)


@router.get("/me")
async def me(principal: AnyUser, session: DbSession) -> MeRead:
    """Returns the signed-in user with the permissions of their role."""
    user = await service.get_user_by_name(session=session, username=principal.username)
    if user is None:
        raise NotFound("Your user no longer exists.")
    permissions = sorted(ROLE_PERMISSIONS[principal.role])
    return MeRead(**UserRead.model_validate(user).model_dump(), permissions=permissions)


@router.post(
    "/password",
    responses=_problems(
        e401=NOT_LOGGED_IN,
        e403="The current password is wrong.",
        e422="The new password is too short or the same as the current one.",
    ),
)
async def change_password(
    body: PasswordChange,
    principal: AnyUser,
    request: Request,
    session: DbSession,
    settings: CurrentSettings,
) -> TokenResponse:
    """Changes the caller's own password (also a one-time one). Every other session of the
    user ends; the answer carries a fresh token for this one."""
    user = await service.change_own_password(
        session=session,
        user_id=principal.user_id,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    _forget(request, user.id)
    return _token_response(request, settings, user)


@router.get("/roles")
async def list_roles(principal: AnyUser) -> list[RoleRead]:
    """Every role with the permissions it grants (what the Users page offers to pick from)."""
    return [
        RoleRead(role=role, permissions=sorted(ROLE_PERMISSIONS[role], key=str)) for role in Role
    ]


@router.get("/users", responses=ADMIN_ERRORS)
async def list_users(principal: Admin, session: DbSession) -> list[UserRead]:
    """Every user that was not deleted, oldest first."""
    return [UserRead.model_validate(u) for u in await service.list_users(session=session)]


@router.post(
    "/users",
    status_code=201,
    responses={**ADMIN_ERRORS, **_problems(e409="The username is taken.")},
)
async def create_user(user_in: UserCreate, principal: Admin, session: DbSession) -> UserCreated:
    """Invites a user: the password given, or a generated one, is one-time and shown once."""
    user, password = await service.invite_user(
        session=session, user_in=user_in, actor=principal.actor
    )
    return UserCreated(**UserRead.model_validate(user).model_dump(), one_time_password=password)


@router.get("/users/{user_id}", responses=ADMIN_ERRORS)
async def get_user(user_id: UserID, principal: Admin, session: DbSession) -> UserRead:
    user = await service.get_user_or_raise(session=session, user_id=user_id)
    return UserRead.model_validate(user)


@router.patch(
    "/users/{user_id}",
    responses={
        **ADMIN_ERRORS,
        **_problems(e409="It would demote or disable yourself or the last active admin."),
    },
)
async def update_user(
    user_id: UserID, user_in: UserUpdate, principal: Admin, request: Request, session: DbSession
) -> UserRead:
    """Re-roles, disables or re-enables a user; the user's current tokens stop at once. The last
    active admin cannot be demoted or disabled, nor can an admin do it to themselves (409)."""
    user = await service.update_user(
        session=session, user_id=user_id, user_in=user_in, actor=principal
    )
    _forget(request, user.id)
    return UserRead.model_validate(user)


@router.delete(
    "/users/{user_id}",
    status_code=204,
    responses={
        **ADMIN_ERRORS,
        **_problems(e409="It would delete yourself or the last active admin."),
    },
)
async def delete_user(
    user_id: UserID, principal: Admin, request: Request, session: DbSession
) -> Response:
    """Deletes a user: tokens and API keys stop at once; the audit log keeps the name."""
    await service.delete_user(session=session, user_id=user_id, actor=principal)
    _forget(request, user_id)
    return Response(status_code=204)


@router.post(
    "/users/{user_id}/password-reset",
    responses={
        **ADMIN_ERRORS,
        **_problems(e409="Your own password: change it with POST /api/v1/auth/password."),
    },
)
async def reset_password(
    user_id: UserID, principal: Admin, request: Request, session: DbSession
) -> PasswordResetRead:
    """Gives the user a generated one-time password (shown once); their tokens stop at once."""
    user, password = await service.reset_password(session=session, user_id=user_id, actor=principal)
    _forget(request, user.id)
    return PasswordResetRead(user=UserRead.model_validate(user), one_time_password=password)


@router.get("/api-keys")
async def list_api_keys(principal: AnyUser, session: DbSession) -> list[ApiKeyRead]:
    rows = await service.list_api_keys(session=session, user_id=principal.user_id)
    return [ApiKeyRead.model_validate(r) for r in rows]


@router.post("/api-keys", status_code=201)
async def create_api_key(
    body: ApiKeyCreate, principal: AnyUser, session: DbSession
) -> ApiKeyCreated:
    row, key = await service.create_api_key(
        session=session, user_id=principal.user_id, name=body.name
    )
    return ApiKeyCreated(**ApiKeyRead.model_validate(row).model_dump(), key=key)


@router.delete("/api-keys/{key_id}")
async def revoke_api_key(
    key_id: KeyID, principal: AnyUser, session: DbSession, request: Request
) -> ApiKeyRead:
    row = await service.revoke_api_key(session=session, user_id=principal.user_id, key_id=key_id)
    keys: ApiKeyCache = request.app.state.api_keys
    keys.revoked(row.id)  # refused by this process at once
    return ApiKeyRead.model_validate(row)


@router.get("/settings", responses=ADMIN_ERRORS)
async def get_effective_settings(
    principal: Admin, settings: CurrentSettings
) -> list[EffectiveSetting]:
    """Every configuration option with the value this server runs with and where it came from
    (environment, .env file, startup, default); secrets show only whether they are set."""
    return effective_settings(settings)

"""HTTP API of the gateway: login, the current user, users and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from marketing_agent.core.auth import ROLE_PERMISSIONS, Permission, Principal, authorize
from marketing_agent.core.deps import CurrentSettings, DbSession
from marketing_agent.core.errors import NotFound
from marketing_agent.gateway import service
from marketing_agent.gateway.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    LoginRequest,
    MeRead,
    TokenResponse,
    UserCreate,
    UserRead,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

AnyUser = Annotated[Principal, Depends(authorize(Permission.READ))]
Admin = Annotated[Principal, Depends(authorize(Permission.USERS_MANAGE))]
KeyID = Annotated[int, Path(gt=0)]


@router.post("/login")
async def login(
    body: LoginRequest, request: Request, session: DbSession, settings: CurrentSettings
) -> TokenResponse:
    user = await service.authenticate(
        session=session, username=body.username, password=body.password
    )
    token, expires_in = service.issue_access_token(
        user=user, secret=request.app.state.jwt_secret, minutes=settings.access_token_minutes
    )
    return TokenResponse(
        access_token=token, expires_in=expires_in, user=UserRead.model_validate(user)
    )


@router.get("/me")
async def me(principal: AnyUser, session: DbSession) -> MeRead:
    """Returns the signed-in user with the permissions of their role."""
    user = await service.get_user_by_name(session=session, username=principal.username)
    if user is None:
        raise NotFound("Your user no longer exists.")
    permissions = sorted(ROLE_PERMISSIONS[principal.role])
    return MeRead(**UserRead.model_validate(user).model_dump(), permissions=permissions)


@router.get("/users")
async def list_users(principal: Admin, session: DbSession) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in await service.list_users(session=session)]


@router.post("/users", status_code=201)
async def create_user(user_in: UserCreate, principal: Admin, session: DbSession) -> UserRead:
    user = await service.create_user(session=session, user_in=user_in, actor=principal.actor)
    return UserRead.model_validate(user)


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
async def revoke_api_key(key_id: KeyID, principal: AnyUser, session: DbSession) -> ApiKeyRead:
    row = await service.revoke_api_key(session=session, user_id=principal.user_id, key_id=key_id)
    return ApiKeyRead.model_validate(row)

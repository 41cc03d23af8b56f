"""Resolves the caller of a request: a Bearer JWT, or an API key (Bearer ma_… or X-API-Key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from marketing_agent.core.auth import Principal
from marketing_agent.core.deps import DbSession
from marketing_agent.core.errors import Unauthorized
from marketing_agent.gateway import service

bearer = HTTPBearer(auto_error=False, description="JWT from /api/v1/auth/login, or an API key")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


async def resolve_principal(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    api_key: Annotated[str | None, Depends(api_key_header)],
) -> Principal:
    """Installed as the override of `core.auth.get_principal` by the app factory."""
    token = credentials.credentials if credentials else None
    if api_key or (token and token.startswith(service.API_KEY_PREFIX)):
        principal = await service.principal_from_api_key(
            session=session, key=api_key or token or ""
        )
    elif token:
        principal = service.principal_from_token(token=token, secret=request.app.state.jwt_secret)
    else:
        raise Unauthorized("Log in first: send 'Authorization: Bearer <token>' or 'X-API-Key'.")
    request.state.principal = principal
    return principal

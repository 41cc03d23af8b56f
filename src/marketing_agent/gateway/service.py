"""The gateway's public API: users, password login, JWT access tokens and API keys."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.auth import Principal, Role
from marketing_agent.core.crypto import hash_token
from marketing_agent.core.errors import Conflict, NotFound, Unauthorized
from marketing_agent.gateway.models import ApiKey, User
from marketing_agent.gateway.schemas import UserCreate

_hasher = PasswordHasher()
# Verifying against a dummy hash for unknown users keeps login time independent of existence.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
API_KEY_PREFIX = "ma_"
JWT_ALGORITHM = "HS256"


async def create_user(*, session: AsyncSession, user_in: UserCreate, actor: str) -> User:
    """Creates a user with an argon2 password hash; usernames are unique."""
    if await get_user_by_name(session=session, username=user_in.username):
        raise Conflict(f"User '{user_in.username}' exists.")
    user = User(
        username=user_in.username,
        password_hash=_hasher.hash(user_in.password),
        role=user_in.role.value,
        created_at=clock.now(),
    )
    session.add(user)
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="user.created",
        entity_type="user",
        entity_id=user.id,
        data={"username": user.username, "role": user.role},
    )
    return user


async def get_user_by_name(*, session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def list_users(*, session: AsyncSession) -> Sequence[User]:
    return (await session.scalars(select(User).order_by(User.id))).all()


async def count_users(*, session: AsyncSession) -> int:
    return await session.scalar(select(func.count(User.id))) or 0


async def set_password(*, session: AsyncSession, user: User, password: str) -> None:
    user.password_hash = _hasher.hash(password)
    await session.flush()


async def authenticate(*, session: AsyncSession, username: str, password: str) -> User:
    """Returns the user whose password matches; one vague error for every failure."""
    user = await get_user_by_name(session=session, username=username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user = None
    if user is None or not user.is_active:
        raise Unauthorized("Wrong username or password.")
    return user


def issue_access_token(*, user: User, secret: str, minutes: int) -> tuple[str, int]:
    """Returns a signed JWT for the user and its lifetime in seconds."""
    now = clock.now()
    claims = {
        "sub": str(user.id),
        "name": user.username,
        "role": user.role,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), minutes * 60


def principal_from_token(*, token: str, secret: str) -> Principal:
    """Returns the caller a JWT names, or raises when it is forged, expired or malformed."""
    try:
        # Expiry is checked against our clock, not the library's, so virtual time works too.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "sub"], "verify_exp": False, "verify_iat": False},
        )
        if int(claims["exp"]) < clock.now().timestamp():
            raise jwt.ExpiredSignatureError("expired")
        return Principal(
            user_id=int(claims["sub"]),
            username=str(claims["name"]),
            role=Role(claims["role"]),
            via="jwt",
        )
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthorized("The access token is invalid or expired; log in again.") from exc


async def create_api_key(*, session: AsyncSession, user_id: int, name: str) -> tuple[ApiKey, str]:
    """Creates an API key; returns the row and the key itself, which is never stored."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        user_id=user_id,
        name=name,
        prefix=key[:10],
        key_hash=hash_token(key),
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    await compliance.audit(
        session=session,
        actor=f"user_id:{user_id}",
        action="api_key.created",
        entity_type="api_key",
        entity_id=row.id,
        data={"name": name, "prefix": row.prefix},
    )
    return row, key


async def list_api_keys(*, session: AsyncSession, user_id: int) -> Sequence[ApiKey]:
    return (
        await session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id))
    ).all()


async def revoke_api_key(*, session: AsyncSession, user_id: int, key_id: int) -> ApiKey:
    row = await session.get(ApiKey, key_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"API key {key_id} does not exist.")
    row.revoked_at = row.revoked_at or clock.now()
    await session.flush()
    return row


async def principal_from_api_key(*, session: AsyncSession, key: str) -> Principal:
    """Returns the owner of a live API key, or raises."""
    row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(key)))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("The API key is unknown or revoked.")
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The API key's owner is disabled.")
    row.last_used_at = clock.now()
    return Principal(user_id=user.id, username=user.username, role=Role(user.role), via="api_key")


async def ensure_admin(
    *, session: AsyncSession, username: str = "admin", password: str | None = None
) -> str | None:
    """Creates the first admin when there is no user; returns the one-time password if made."""
    existing = await get_user_by_name(session=session, username=username)
    if existing is not None:
        if password:
            await set_password(session=session, user=existing, password=password)
            return password
        return None
    password = password or secrets.token_urlsafe(12)
    await create_user(
        session=session,
        user_in=UserCreate(username=username, password=password, role=Role.ADMIN),
        actor="system:setup",
    )
    return password

"""The gateway's public API: users, password login, JWT access tokens and API keys."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.auth import ROLE_PERMISSIONS, Permission, Principal, Role
from marketing_agent.core.crypto import hash_token
from marketing_agent.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    field_error,
)
from marketing_agent.gateway.models import ApiKey, User
from marketing_agent.gateway.schemas import UserCreate, UserUpdate
from marketing_agent.safety import service as safety

_hasher = PasswordHasher()
# Verifying against a dummy hash for unknown users keeps login time independent of existence.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
API_KEY_PREFIX = "ma_"
JWT_ALGORITHM = "HS256"


async def create_user(
    *,
    session: AsyncSession,
    user_in: UserCreate,
    actor: str,
    must_change_password: bool = False,
) -> User:
    """Creates a user with an argon2 password hash; usernames are unique. Without a password
    in `user_in` the user can log in only after a reset (see `invite_user`)."""
    if await get_user_by_name(session=session, username=user_in.username):
        raise Conflict(f"User '{user_in.username}' exists.")
    password = user_in.password or generate_password()
    user = User(
        username=user_in.username,
        password_hash=_hasher.hash(password),
        role=user_in.role.value,
        must_change_password=must_change_password or user_in.password is None,
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
    await _keep_four_eyes(session=session, user=user, actor=actor)
    return user


async def invite_user(
    *, session: AsyncSession, user_in: UserCreate, actor: str
) -> tuple[User, str]:
    """Creates a user with a one-time password (the given one, else generated) to be changed at
    the first login; returns the user and that password."""
    password = user_in.password or generate_password()
    user = await create_user(
        session=session,
        user_in=user_in.model_copy(update={"password": password}),
        actor=actor,
        must_change_password=True,
    )
    return user, password


def generate_password() -> str:
    """Returns a random one-time password (about 96 bits)."""
    return secrets.token_urlsafe(12)


async def get_user_by_name(*, session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def get_user_or_raise(*, session: AsyncSession, user_id: int) -> User:
    """Returns the user, or raises NotFound when there is none or it was deleted."""
    user = await session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound(f"User {user_id} does not exist.")
    return user


async def list_users(*, session: AsyncSession) -> Sequence[User]:
    """Returns every user that was not deleted, oldest first."""
    query = select(User).where(User.deleted_at.is_(None)).order_by(User.id)
    return (await session.scalars(query)).all()


APPROVER_ROLES = tuple(
    r.value for r, p in ROLE_PERMISSIONS.items() if Permission.REVIEWS_DECIDE in p
)


async def list_approvers(session: AsyncSession) -> list[str]:
    """Returns the usernames of the active users whose role may decide reviews."""
    query = select(User.username).where(
        User.role.in_(APPROVER_ROLES), User.is_active.is_(True), User.deleted_at.is_(None)
    )
    return list(await session.scalars(query.order_by(User.id)))


async def _keep_four_eyes(*, session: AsyncSession, user: User, actor: str) -> None:
    """A second person who may approve reviews ends "an admin alone": four eyes goes back on."""
    if user.role in APPROVER_ROLES and user.is_active and len(await list_approvers(session)) > 1:
        await safety.restore_four_eyes(
            session=session, actor=actor, reason=f"{user.username} may now approve reviews"
        )


async def set_password(
    *, session: AsyncSession, user: User, password: str, must_change: bool = False
) -> None:
    """Sets the password and ends every session the user had."""
    user.password_hash = _hasher.hash(password)
    user.must_change_password = must_change
    user.token_version += 1
    await session.flush()


async def update_user(
    *, session: AsyncSession, user_id: int, user_in: UserUpdate, actor: Principal
) -> User:
    """Changes a user's role or active state; ends the user's sessions when either changes."""
    user = await get_user_or_raise(session=session, user_id=user_id)
    changes: dict[str, Any] = {}
    if user_in.role is not None and user_in.role.value != user.role:
        changes["role"] = {"from": user.role, "to": user_in.role.value}
    if user_in.is_active is not None and user_in.is_active != user.is_active:
        changes["is_active"] = {"from": user.is_active, "to": user_in.is_active}
    if not changes:
        return user
    losing_admin = user.role == Role.ADMIN and ("role" in changes or user_in.is_active is False)
    if losing_admin:
        await _keep_an_admin(session=session, user=user, actor=actor, verb="demote or disable")
    if user_in.role is not None:
        user.role = user_in.role.value
    if user_in.is_active is not None:
        user.is_active = user_in.is_active
    user.token_version += 1
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor.actor,
        action="user.updated",
        entity_type="user",
        entity_id=user.id,
        data={"username": user.username, **changes},
    )
    await _keep_four_eyes(session=session, user=user, actor=actor.actor)
    return user


async def delete_user(*, session: AsyncSession, user_id: int, actor: Principal) -> None:
    """Deletes a user (kept as a tombstone for the audit log): its tokens and API keys stop."""
    user = await get_user_or_raise(session=session, user_id=user_id)
    if user.role == Role.ADMIN:
        await _keep_an_admin(session=session, user=user, actor=actor, verb="delete")
    now = clock.now()
    username = user.username
    user.deleted_at, user.is_active = now, False
    # The tombstone frees the name for a new user ('#' is not allowed in usernames).
    user.username = f"{username[:40]}#deleted-{user.id}"
    user.token_version += 1
    keys = await session.scalars(
        select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
    )
    for key in keys:
        key.revoked_at = now
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor.actor,
        action="user.deleted",
        entity_type="user",
        entity_id=user.id,
        data={"username": username},
    )


async def _keep_an_admin(*, session: AsyncSession, user: User, actor: Principal, verb: str) -> None:
    """Raises when the change would leave no active admin, or an admin would lock themselves
    out (another admin must do it)."""
    if user.id == actor.user_id:
        raise Conflict(f"You cannot {verb} yourself; ask another admin.")
    others = await session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN.value,
            User.is_active.is_(True),
            User.deleted_at.is_(None),
            User.id != user.id,
        )
    )
    if not others:
        raise Conflict(f"'{user.username}' is the last active admin; make another admin first.")


async def reset_password(
    *, session: AsyncSession, user_id: int, actor: Principal
) -> tuple[User, str]:
    """Gives the user a generated one-time password, to be changed at the next login; returns
    the user and the password (shown once)."""
    user = await get_user_or_raise(session=session, user_id=user_id)
    if user.id == actor.user_id:
        raise Conflict("Change your own password with POST /api/v1/auth/password.")
    password = generate_password()
    await set_password(session=session, user=user, password=password, must_change=True)
    await compliance.audit(
        session=session,
        actor=actor.actor,
        action="user.password_reset",
        entity_type="user",
        entity_id=user.id,
        data={"username": user.username},
    )
    return user, password


async def change_own_password(
    *, session: AsyncSession, user_id: int, current_password: str, new_password: str
) -> User:
    """Replaces the caller's password after checking the current one; ends the other sessions."""
    user = await get_user_or_raise(session=session, user_id=user_id)
    if not _verify(user.password_hash, current_password):
        raise Forbidden("The current password is wrong.")
    if current_password == new_password:
        raise ValidationFailed(
            [field_error(("body", "new_password"), "must differ from the current password")]
        )
    await set_password(session=session, user=user, password=new_password)
    await compliance.audit(
        session=session,
        actor=f"user:{user.username}",
        action="user.password_changed",
        entity_type="user",
        entity_id=user.id,
        data={"username": user.username},
    )
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def authenticate(*, session: AsyncSession, username: str, password: str) -> User:
    """Returns the user whose password matches; one vague error for every failure."""
    user = await get_user_by_name(session=session, username=username)
    matches = _verify(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not matches or not user.is_active or user.deleted_at is not None:
        raise Unauthorized("Wrong username or password.")
    user.last_login_at = clock.now()
    return user


def issue_access_token(*, user: User, secret: str, minutes: int) -> tuple[str, int]:
    """Returns a signed JWT for the user and its lifetime in seconds."""
    now = clock.now()
    claims = {
        "sub": str(user.id),
        "name": user.username,
        "role": user.role,
        "ver": user.token_version,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), minutes * 60


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says: whose it is and the token version it was issued at."""

    user_id: int
    token_version: int


def decode_access_token(*, token: str, secret: str) -> AccessClaims:
    """Returns the claims of a JWT, or raises when it is forged, expired or malformed."""
    try:
        # Expiry is checked against our clock, not the library's, so virtual time works too.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "sub", "ver"], "verify_exp": False, "verify_iat": False},
        )
        if int(claims["exp"]) < clock.now().timestamp():
            raise jwt.ExpiredSignatureError("expired")
        return AccessClaims(user_id=int(claims["sub"]), token_version=int(claims["ver"]))
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("The access token is invalid or expired; log in again.") from exc


@dataclass(frozen=True)
class UserState:
    """What decides, per request, whether a user's token still works and with which role."""

    user_id: int
    username: str
    role: Role
    active: bool
    token_version: int
    must_change_password: bool


async def load_user_state(*, session: AsyncSession, user_id: int) -> UserState | None:
    """Returns the user's current access state; None when there is no such user."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    return UserState(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        active=user.is_active and user.deleted_at is None,
        token_version=user.token_version,
        must_change_password=user.must_change_password,
    )


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
    if row.revoked_at is not None:
        return row  # revoked before: nothing changes, nothing more to audit
    row.revoked_at = clock.now()
    await session.flush()
    await compliance.audit(
        session=session,
        actor=f"user_id:{user_id}",
        action="api_key.revoked",
        entity_type="api_key",
        entity_id=row.id,
        data={"name": row.name, "prefix": row.prefix},
    )
    return row


@dataclass(frozen=True)
class ApiKeyOwner:
    """Whose a live API key is (the owner's state is checked separately, like a JWT's)."""

    key_id: int
    user_id: int


async def use_api_key(*, session: AsyncSession, key_hash: str) -> ApiKeyOwner | None:
    """Returns the owner of the live API key with this hash and records its use now; None
    when it is unknown or revoked."""
    row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = clock.now()
    return ApiKeyOwner(key_id=row.id, user_id=row.user_id)


async def ensure_admin(
    *,
    session: AsyncSession,
    username: str = "admin",
    password: str | None = None,
    must_change: bool = False,
) -> str | None:
    """Creates the first admin when there is no user; returns the one-time password if made.

    `must_change` makes a generated password one-time (changed at the first login)."""
    existing = await get_user_by_name(session=session, username=username)
    if existing is not None:
        if password:
            await set_password(session=session, user=existing, password=password)
            return password
        return None
    made = password or generate_password()
    await create_user(
        session=session,
        user_in=UserCreate(username=username, password=made, role=Role.ADMIN),
        actor="system:setup",
        must_change_password=must_change and password is None,
    )
    return made


async def create_admin(
    *, session: AsyncSession, username: str, password: str | None
) -> tuple[User, str]:
    """Creates an admin (the first one of a scale deployment); without a password a one-time
    one is generated, which must be changed at the first login. Returns the user and password."""
    made = password or generate_password()
    user = await create_user(
        session=session,
        user_in=UserCreate(username=username, password=made, role=Role.ADMIN),
        actor="system:cli",
        must_change_password=password is None,
    )
    return user, made

"""Resolves the caller of a request: a Bearer JWT, or an API key (Bearer ma_… or X-API-Key).

Every request re-checks the user behind a JWT or an API key (active, role, token version),
through a short per-process cache on `app.state`, so a disabled, deleted or re-roled user is
stopped at once by this process and within `user_state_cache_s` by the others. An API key is
looked up by its hash through a cache of the same lifetime (`ApiKeyCache`): a key's use is
written when it is looked up, not on every request (a read stays a read).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence

from fastapi import Request
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core.auth import Principal
from marketing_agent.core.crypto import hash_token
from marketing_agent.core.errors import Forbidden, Unauthorized
from marketing_agent.gateway import service
from marketing_agent.gateway.service import ApiKeyOwner, UserState

# What a user with a one-time password may still do: see who they are, and change it.
PASSWORD_CHANGE_PATHS = frozenset({"/api/v1/auth/me", "/api/v1/auth/password"})

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class PasswordChangeRequired(Forbidden):
    title = "Password change required"
    type_slug = "password-change-required"


class UserStateCache:
    """Users' access states read from the database, each trusted for `ttl_s` seconds.

    One per app (on `app.state.user_states`); a change made through this process is seen at
    once (`forget`), one made through another process within `ttl_s`."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._states: dict[int, tuple[float, UserState]] = {}

    async def get(
        self, *, session: AsyncSession, user_id: int, min_version: int = 0
    ) -> UserState | None:
        """Returns the user's state, re-read when stale or older than a token that names
        `min_version` (the token was issued after the cached read)."""
        now = time.monotonic()
        cached = self._states.get(user_id)
        if cached and cached[0] > now and cached[1].token_version >= min_version:
            return cached[1]
        state = await service.load_user_state(session=session, user_id=user_id)
        if state is None:
            self._states.pop(user_id, None)
        elif self.ttl_s > 0:
            self._states[user_id] = (now + self.ttl_s, state)
        return state

    def forget(self, user_id: int) -> None:
        self._states.pop(user_id, None)


class ApiKeyCache:
    """Live API keys by their hash, each trusted for `ttl_s` seconds.

    One per app (on `app.state.api_keys`). A key revoked through this process is refused at
    once (`revoked`, remembered for the process's life: a request that read the key just
    before the revocation committed cannot cache it again); one revoked through another
    process within `ttl_s`. Only keys that were found are kept, so unknown keys cannot grow it.
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._owners: dict[str, tuple[float, ApiKeyOwner]] = {}
        self._revoked: set[int] = set()

    async def owner(self, *, session: AsyncSession, key: str) -> ApiKeyOwner | None:
        """Returns whose live key `key` is, or None."""
        digest = hash_token(key)
        now = time.monotonic()
        cached = self._owners.get(digest)
        if cached and cached[0] > now:
            return cached[1] if cached[1].key_id not in self._revoked else None
        owner = await service.use_api_key(session=session, key_hash=digest)
        if owner is None or owner.key_id in self._revoked:
            self._owners.pop(digest, None)
            return None
        if self.ttl_s > 0:
            self._owners[digest] = (now + self.ttl_s, owner)
        return owner

    def revoked(self, key_id: int) -> None:
        """Refuses the key from now on in this process."""
        self._revoked.add(key_id)
        for digest, (_, owner) in list(self._owners.items()):
            if owner.key_id == key_id:
                del self._owners[digest]


async def resolve_principal(request: Request, session: AsyncSession) -> Principal:
    """Put on `app.state.resolve_principal` by the app factory; `core.auth.get_principal` asks
    it. Reads `Authorization: Bearer <JWT or API key>` or `X-API-Key`."""
    scheme, credentials = get_authorization_scheme_param(request.headers.get("authorization"))
    token = credentials if scheme.lower() == "bearer" and credentials else None
    api_key = request.headers.get("x-api-key") or None
    if api_key or (token and token.startswith(service.API_KEY_PREFIX)):
        principal = await _principal_from_api_key(request, session, api_key or token or "")
    elif token:
        principal = await _principal_from_jwt(request, session, token)
    else:
        raise Unauthorized("Log in first: send 'Authorization: Bearer <token>' or 'X-API-Key'.")
    request.state.principal = principal
    return principal


async def _principal_from_api_key(request: Request, session: AsyncSession, key: str) -> Principal:
    keys: ApiKeyCache = request.app.state.api_keys
    owner = await keys.owner(session=session, key=key)
    if owner is None:
        raise Unauthorized("The API key is unknown or revoked.")
    users: UserStateCache = request.app.state.user_states
    state = await users.get(session=session, user_id=owner.user_id)
    if state is None or not state.active:
        raise Unauthorized("The API key's owner is disabled.")
    return Principal(user_id=state.user_id, username=state.username, role=state.role, via="api_key")


async def _principal_from_jwt(request: Request, session: AsyncSession, token: str) -> Principal:
    claims = service.decode_access_token(token=token, secret=request.app.state.jwt_secret)
    cache: UserStateCache = request.app.state.user_states
    state = await cache.get(
        session=session, user_id=claims.user_id, min_version=claims.token_version
    )
    if state is None or not state.active:
        raise Unauthorized("Your user is disabled or deleted.")
    if state.token_version != claims.token_version:
        raise Unauthorized("Your access changed since this token was issued; log in again.")
    if state.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired(
            "Your password is one-time: change it (POST /api/v1/auth/password) first."
        )
    return Principal(user_id=state.user_id, username=state.username, role=state.role, via="jwt")


def parse_networks(addresses: str) -> list[IPNetwork]:
    """Returns the networks of a comma-separated list of addresses or CIDRs."""
    return [
        ipaddress.ip_network(part.strip(), strict=False)
        for part in addresses.split(",")
        if part.strip()
    ]


def client_address(request: Request, trusted_proxies: Sequence[IPNetwork]) -> str:
    """Returns the client's address: the peer's, unless the peer is a trusted proxy, then the
    nearest untrusted address of X-Forwarded-For (a client can prepend anything to it)."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    address = peer
    for hop in reversed([h for h in hops if h]):
        if not _is_ip(hop):
            break
        address = hop
        if not _is_trusted(hop, trusted_proxies):
            break
    return address


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)

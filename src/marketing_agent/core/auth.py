"""Who is calling and what they may do: roles, permissions and the route dependencies.

The gateway resolves the caller (JWT or API key): `get_principal` asks the resolver the app
factory put on `app.state.resolve_principal` (no dependency override); every module's
router depends on `authorize(permission)`, so no route of a module is open by accident.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import Depends, Request

from marketing_agent.core.deps import DbSession
from marketing_agent.core.errors import Forbidden, Unauthorized


class Role(StrEnum):
    ADMIN = "admin"
    MARKETER = "marketer"
    REVIEWER = "reviewer"
    ANALYST = "analyst"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"  # campaigns, stats, contacts (without exports)
    CAMPAIGNS_WRITE = "campaigns:write"
    CONTACTS_WRITE = "contacts:write"
    REVIEWS_DECIDE = "reviews:decide"
    ANALYTICS_READ = "analytics:read"
    ANALYTICS_WRITE = "analytics:write"
    AGENT_USE = "agent:use"
    COMPLIANCE_READ = "compliance:read"
    COMPLIANCE_WRITE = "compliance:write"
    # Contacts' usernames, names and the phone numbers and e-mails in their attributes in full;
    # roles without it see them masked (compliance/masking.py).
    PERSONAL_DATA = "personal_data:read"
    SENDERS_MANAGE = "senders:manage"
    # The review gate's rules: blacklist terms and thresholds. Marketers lack it, so the people
    # whose campaigns are reviewed cannot loosen the review.
    SAFETY_MANAGE = "safety:manage"
    USERS_MANAGE = "users:manage"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MARKETER: frozenset(
        {
            Permission.READ,
            Permission.CAMPAIGNS_WRITE,
            Permission.CONTACTS_WRITE,
            Permission.ANALYTICS_READ,
            Permission.AGENT_USE,
            Permission.COMPLIANCE_WRITE,
            Permission.PERSONAL_DATA,
        }
    ),
    Role.REVIEWER: frozenset(
        {
            Permission.READ,
            Permission.REVIEWS_DECIDE,
            Permission.ANALYTICS_READ,
            Permission.COMPLIANCE_READ,
        }
    ),
    Role.ANALYST: frozenset(
        {Permission.READ, Permission.ANALYTICS_READ, Permission.ANALYTICS_WRITE}
    ),
    Role.VIEWER: frozenset({Permission.READ}),
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user, or an API key acting with its owner's role."""

    user_id: int
    username: str
    role: Role
    via: str = "jwt"  # "jwt" | "api_key" | "system"

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def actor(self) -> str:
        """How this caller is named in the audit log."""
        return f"user:{self.username}"


SYSTEM = Principal(user_id=0, username="system", role=Role.ADMIN, via="system")


async def get_principal(request: Request, session: DbSession) -> Principal:
    """Returns the caller, as the app's resolver (the gateway's) finds them; without one every
    protected route refuses."""
    resolve = getattr(request.app.state, "resolve_principal", None)
    if resolve is None:
        raise Unauthorized("No authentication backend is installed")
    principal: Principal = await resolve(request, session)
    return principal


def authorize(permission: Permission) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Returns a dependency that admits callers whose role grants `permission`."""

    async def dependency(principal: Principal = Depends(get_principal)) -> Principal:
        if not principal.can(permission):
            raise Forbidden(f"Role '{principal.role}' lacks permission '{permission}'")
        return principal

    dependency.__name__ = f"authorize_{permission.replace(':', '_')}"
    dependency.permission = permission  # type: ignore[attr-defined]  # read by the role matrix
    return dependency


async def list_approvers(request: Request, session: DbSession) -> list[str]:
    """Returns the usernames of the active users who may decide reviews, as the app's user
    store (the gateway's, on `app.state.list_approvers`) has them; empty without one."""
    lister = getattr(request.app.state, "list_approvers", None)
    if lister is None:
        return []
    approvers: list[str] = await lister(session)
    return approvers

"""Whether the contacts, senders and campaigns a request names exist, asked across module lines.

Compliance and analytics sit below the orchestrator and telegram modules and may not import
them, so the process's runtime provides the check (`app.state.runtime.reference_check`, as it
provides the webhook's inbound handler).
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core.errors import Unavailable, ValidationFailed


class ReferenceCheck(Protocol):
    """Returns a field error for each named id that does not exist (none: all exist)."""

    async def __call__(
        self,
        *,
        session: AsyncSession,
        contact_id: int | None = None,
        sender_id: int | None = None,
        campaign_id: int | None = None,
    ) -> list[dict[str, Any]]: ...


def get_reference_check(request: Request) -> ReferenceCheck:
    """Returns the reference check: the orchestrator's, from the process's runtime."""
    check: ReferenceCheck | None = getattr(
        getattr(request.app.state, "runtime", None), "reference_check", None
    )
    if check is None:
        raise Unavailable("This process cannot check contacts, senders and campaigns")
    return check


References = Annotated[ReferenceCheck, Depends(get_reference_check)]


async def ensure_references(
    check: ReferenceCheck,
    *,
    session: AsyncSession,
    contact_id: int | None = None,
    sender_id: int | None = None,
    campaign_id: int | None = None,
) -> None:
    """Raises ValidationFailed naming every id that does not exist."""
    errors = await check(
        session=session, contact_id=contact_id, sender_id=sender_id, campaign_id=campaign_id
    )
    if errors:
        raise ValidationFailed(errors, detail="The request names things that do not exist.")

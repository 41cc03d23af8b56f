"""Data-subject requests: received → identity verified → completed (or rejected, with the
reason), each step audited, each with its legal deadline on the clock (GDPR one month, CCPA 45
days), extendable once within it for a stated reason (GDPR by two further months, CCPA by 45
days), and a reminder before it while the request is open."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import audit as audit_log
from marketing_agent.compliance.models import PrivacyRequest
from marketing_agent.compliance.schemas import (
    PrivacyRequestCreate,
    PrivacyRequestRead,
    Regime,
    RequestStatus,
)
from marketing_agent.core import clock
from marketing_agent.core.errors import Conflict, NotFound

OPEN = (RequestStatus.RECEIVED.value, RequestStatus.VERIFIED.value)
CCPA_DAYS = 45


def due_date(regime: Regime, received_at: datetime) -> datetime:
    """Returns the legal deadline: one calendar month (the same day of the next month, or its
    last day when shorter, as the EU reads art. 12(3)) or 45 days under the CCPA."""
    if regime is Regime.CCPA:
        return received_at + timedelta(days=CCPA_DAYS)
    year, month = (
        (received_at.year + 1, 1)
        if received_at.month == 12
        else (received_at.year, received_at.month + 1)
    )
    day = min(received_at.day, calendar.monthrange(year, month)[1])
    return received_at.replace(year=year, month=month, day=day)


def extended_date(regime: Regime, due_at: datetime) -> datetime:
    """Returns the deadline after its one extension: two further months (GDPR art. 12(3)) or
    another 45 days (CCPA, 90 in all)."""
    if regime is Regime.CCPA:
        return due_at + timedelta(days=CCPA_DAYS)
    month = due_at.month - 1 + 2
    year, month = due_at.year + month // 12, month % 12 + 1
    day = min(due_at.day, calendar.monthrange(year, month)[1])
    return due_at.replace(year=year, month=month, day=day)


def to_read(request: PrivacyRequest) -> PrivacyRequestRead:
    """Returns the request as read by the API, with whether it is past its deadline now."""
    read = PrivacyRequestRead.model_validate(request)
    now = clock.now()
    read.overdue = request.status in OPEN and now > request.due_at
    if request.status in OPEN:
        read.days_left = (request.due_at - now).days if now <= request.due_at else 0
    return read


async def create(
    *, session: AsyncSession, request_in: PrivacyRequestCreate, actor: str
) -> PrivacyRequest:
    """Records a request and starts its clock; audited."""
    now = clock.now()
    request = PrivacyRequest(
        kind=request_in.kind.value,
        regime=request_in.regime.value,
        status=RequestStatus.RECEIVED.value,
        contact_id=request_in.contact_id,
        channel=request_in.channel,
        details=request_in.details,
        received_at=now,
        due_at=due_date(request_in.regime, now),
        result={},
        created_by=actor,
    )
    session.add(request)
    await session.flush()
    await _audit(session, actor, "privacy_request.received", request)
    return request


async def get_or_raise(*, session: AsyncSession, request_id: int) -> PrivacyRequest:
    request = await session.get(PrivacyRequest, request_id)
    if request is None:
        raise NotFound(f"Data-subject request {request_id} does not exist.")
    return request


async def list_requests(
    *, session: AsyncSession, open_only: bool = False
) -> Sequence[PrivacyRequest]:
    """Returns requests, the soonest deadline first."""
    query = select(PrivacyRequest).order_by(PrivacyRequest.due_at, PrivacyRequest.id)
    if open_only:
        query = query.where(PrivacyRequest.status.in_(OPEN))
    return (await session.scalars(query)).all()


async def verify_identity(
    *, session: AsyncSession, request_id: int, method: str, actor: str
) -> PrivacyRequest:
    """Records how the requester proved who they are; nothing is done before this."""
    request = await get_or_raise(session=session, request_id=request_id)
    if request.status != RequestStatus.RECEIVED.value:
        raise Conflict(f"Request {request_id} is {request.status}, not waiting for verification.")
    request.status = RequestStatus.VERIFIED.value
    request.verified_at, request.verified_by, request.verification = clock.now(), actor, method
    await session.flush()
    await _audit(session, actor, "privacy_request.verified", request, method=method)
    return request


def check_completable(request: PrivacyRequest) -> None:
    """Raises Conflict unless the request is verified and still open."""
    if request.status != RequestStatus.VERIFIED.value:
        raise Conflict(
            f"Request {request.id} is {request.status}: only a verified request can be completed."
        )


async def mark_completed(
    *,
    session: AsyncSession,
    request: PrivacyRequest,
    actor: str,
    outcome: str,
    result: dict[str, Any],
    export: dict[str, Any] | None = None,
) -> PrivacyRequest:
    """Closes a verified request with what was done (counts, never personal data); audited."""
    check_completable(request)
    request.status = RequestStatus.COMPLETED.value
    request.completed_at, request.completed_by = clock.now(), actor
    request.outcome, request.result, request.export = outcome, result, export
    await session.flush()
    await _audit(session, actor, "privacy_request.completed", request, **result)
    return request


async def extend(
    *, session: AsyncSession, request_id: int, reason: str, actor: str
) -> PrivacyRequest:
    """Extends an open request's deadline once, for a reason the requester is told, before the
    first deadline has passed (the law asks to inform them within it); audited."""
    request = await get_or_raise(session=session, request_id=request_id)
    if request.status not in OPEN:
        raise Conflict(f"Request {request_id} is {request.status}: only an open one is extended.")
    if request.original_due_at is not None:
        raise Conflict(f"Request {request_id} was already extended once (the law allows one).")
    now = clock.now()
    if now > request.due_at:
        raise Conflict(
            f"Request {request_id} is past its deadline: an extension must be decided and told "
            "to the requester within it."
        )
    regime = Regime(request.regime)
    request.original_due_at, request.due_at = request.due_at, extended_date(regime, request.due_at)
    request.extended_at, request.extended_by, request.extension_reason = now, actor, reason
    request.reminded_at = None  # a new reminder before the new deadline
    await session.flush()
    await _audit(
        session,
        actor,
        "privacy_request.extended",
        request,
        original_due_at=request.original_due_at,
        reason=reason,
    )
    return request


async def reject(
    *, session: AsyncSession, request_id: int, reason: str, actor: str
) -> PrivacyRequest:
    """Closes an open request without acting on it (identity not proven, manifestly unfounded
    or excessive), with the reason the requester is told; audited."""
    request = await get_or_raise(session=session, request_id=request_id)
    if request.status not in OPEN:
        raise Conflict(f"Request {request_id} is {request.status}: only an open one is rejected.")
    request.status = RequestStatus.REJECTED.value
    request.completed_at, request.completed_by, request.outcome = clock.now(), actor, reason
    await session.flush()
    await _audit(session, actor, "privacy_request.rejected", request, reason=reason)
    return request


async def remind_due(*, session: AsyncSession, within: timedelta) -> list[int]:
    """Marks each open request whose deadline is `within` from now and that was not reminded
    since its deadline was set; audited (the Privacy page and the audit log show it).
    Returns the requests reminded."""
    now = clock.now()
    rows = await session.scalars(
        select(PrivacyRequest)
        .where(PrivacyRequest.status.in_(OPEN), PrivacyRequest.reminded_at.is_(None))
        .where(PrivacyRequest.due_at <= now + within)
        .order_by(PrivacyRequest.due_at, PrivacyRequest.id)
    )
    reminded = []
    for request in rows:
        request.reminded_at = now
        left = max((request.due_at - now).days, 0)
        await _audit(session, "system", "privacy_request.reminder", request, days_left=left)
        reminded.append(request.id)
    await session.flush()
    return reminded


async def _audit(
    session: AsyncSession, actor: str, action: str, request: PrivacyRequest, **data: Any
) -> None:
    await audit_log.append(
        session=session,
        actor=actor,
        action=action,
        entity_type="privacy_request",
        entity_id=request.id,
        data={"kind": request.kind, "regime": request.regime, "due_at": request.due_at, **data},
    )

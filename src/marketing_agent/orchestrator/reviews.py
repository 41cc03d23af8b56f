"""The review process around a review item: assignment to a reviewer with a deadline, a request
for changes that sends the campaign back to its author, and the deadline's passing (the campaign
stays held and its creator is told). Approve and reject are `flows.decide_review`; the four-eyes
rule and the deadline are the workspace's safety settings. Every step is audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.errors import Conflict, Forbidden, ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.orchestrator import service
from marketing_agent.orchestrator.models import Campaign, ReviewItem
from marketing_agent.orchestrator.schemas import ChangesRequest, ReviewAssignment, ReviewStatus
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.safety import service as safety

log = get_logger(__name__)


async def assign_review(
    *, session: AsyncSession, review_id: int, assignment: ReviewAssignment, actor: str
) -> ReviewItem:
    """Asks a reviewer to decide an open item by a deadline (the workspace's, by default).
    With four eyes on, an author of the campaign cannot be the reviewer."""
    item = await _open_item(session, review_id)
    settings = await safety.get_safety_settings(session=session)
    now = clock.now()
    due_at = assignment.due_at or now + timedelta(hours=settings.review_deadline_h)
    if due_at.tzinfo is None:
        raise ValidationFailed([field_error(("body", "due_at"), "the deadline needs a time zone")])
    if due_at <= now:
        raise ValidationFailed([field_error(("body", "due_at"), "the deadline must be ahead")])
    campaign = await service.get_campaign_or_raise(session=session, campaign_id=item.campaign_id)
    from marketing_agent.orchestrator.flows import _authors  # flows imports this file

    if settings.four_eyes and f"user:{assignment.assignee}" in await _authors(
        session=session, campaign=campaign
    ):
        raise Forbidden(
            f"{assignment.assignee} created or last edited this campaign; ask someone else.",
            reason="self-approval",
        )
    item.assignee, item.assigned_by, item.due_at, item.overdue_at = (
        assignment.assignee,
        actor,
        due_at,
        None,
    )
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="review.assigned",
        entity_type="campaign",
        entity_id=campaign.id,
        data={"review_id": item.id, "assignee": item.assignee, "due_at": due_at.isoformat()},
    )
    return item


async def request_changes(
    *, session: AsyncSession, review_id: int, changes: ChangesRequest, actor: str
) -> ReviewItem:
    """Closes an open item as "changes requested" and sends the campaign back to draft for its
    author, with the note; a later submit raises a new review."""
    item = await _open_item(session, review_id)
    campaign = await service.get_campaign_or_raise(session=session, campaign_id=item.campaign_id)
    item.status = ReviewStatus.CHANGES_REQUESTED.value
    item.decided_by, item.decided_at, item.note = actor, clock.now(), changes.note
    await compliance.audit(
        session=session,
        actor=actor,
        action="review.changes_requested",
        entity_type="campaign",
        entity_id=campaign.id,
        data={"review_id": item.id, "note": changes.note},
    )
    await service.transition(
        session=session,
        campaign=campaign,
        target=CampaignStatus.DRAFT,
        actor=actor,
        data={"review_id": item.id, "changes_requested": changes.note},
    )
    await session.flush()
    return item


async def mark_overdue(*, session: AsyncSession) -> list[int]:
    """Marks every open item past its deadline (its due time, else raised + the workspace's
    deadline) as overdue, once, telling the campaign's creator through the audit log and the
    review queue; the campaign stays held. Returns the items marked."""
    settings = await safety.get_safety_settings(session=session)
    now = clock.now()
    default_due = now - timedelta(hours=settings.review_deadline_h)
    rows = await session.execute(
        select(ReviewItem, Campaign.created_by)
        .join(Campaign, Campaign.id == ReviewItem.campaign_id)
        .where(ReviewItem.status == ReviewStatus.OPEN.value, ReviewItem.overdue_at.is_(None))
        .where(
            (ReviewItem.due_at <= now)
            | (ReviewItem.due_at.is_(None) & (ReviewItem.created_at <= default_due))
        )
    )
    marked: list[int] = []
    for item, creator in rows:
        if item.due_at is None:
            item.due_at = item.created_at + timedelta(hours=settings.review_deadline_h)
        item.overdue_at = now
        await compliance.audit(
            session=session,
            actor="system",
            action="review.overdue",
            entity_type="campaign",
            entity_id=item.campaign_id,
            data={
                "review_id": item.id,
                "due_at": item.due_at.isoformat(),
                "assignee": item.assignee or "",
                "tell": creator,
            },
        )
        log.warning("review.overdue", review_id=item.id, campaign_id=item.campaign_id)
        marked.append(item.id)
    await session.flush()
    return marked


async def four_eyes_required(*, session: AsyncSession) -> bool:
    """Returns whether nobody may approve content they created or last edited (the default)."""
    return (await safety.get_safety_settings(session=session)).four_eyes


async def _open_item(session: AsyncSession, review_id: int) -> ReviewItem:
    item = await service.get_review_or_raise(session=session, review_id=review_id)
    if item.status != ReviewStatus.OPEN:
        raise Conflict(f"Review item {review_id} was already decided ({item.status}).")
    return item

"""The home dashboard's numbers: campaigns in flight and just finished, each sender's day,
opt-outs and the open review items, in a handful of queries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.orchestrator import queue, service
from marketing_agent.orchestrator.models import Campaign, Contact, Delivery, ReviewItem
from marketing_agent.orchestrator.schemas import Overview, ReviewStatus, SenderDay
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.telegram import service as telegram

IN_FLIGHT = (CampaignStatus.RUNNING, CampaignStatus.PAUSED, CampaignStatus.SCHEDULED)
RECENT = 5


async def read_overview(*, session: AsyncSession) -> Overview:
    """Returns the dashboard: in-flight and recent campaigns, senders today, opt-outs, reviews."""
    now = clock.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    in_flight = (
        await session.scalars(
            select(Campaign)
            .where(
                Campaign.status.in_([s.value for s in IN_FLIGHT]), Campaign.archived_at.is_(None)
            )
            .order_by(Campaign.id.desc())
        )
    ).all()
    recent = (
        await session.scalars(
            select(Campaign)
            .where(Campaign.status == CampaignStatus.COMPLETED.value)
            .order_by(Campaign.completed_at.desc(), Campaign.id.desc())
            .limit(RECENT)
        )
    ).all()
    open_reviews = await session.scalar(
        select(func.count(ReviewItem.id)).where(ReviewItem.status == ReviewStatus.OPEN.value)
    )
    states = await compliance.consent_states(session=session, contact_ids=None)
    return Overview(
        in_flight=await service.read_campaigns(session=session, campaigns=in_flight),
        recent=await service.read_campaigns(session=session, campaigns=recent),
        senders=await _senders_today(session, today),
        open_reviews=open_reviews or 0,
        opt_outs_today=await compliance.count_withdrawals(session=session, since=today),
        opt_outs_7d=await compliance.count_withdrawals(
            session=session, since=now - timedelta(days=7)
        ),
        contacts=await session.scalar(select(func.count(Contact.id))) or 0,
        consented=sum(1 for state in states.values() if state == "granted"),
    )


async def _senders_today(session: AsyncSession, today: datetime) -> list[SenderDay]:
    rows = await session.execute(
        select(Delivery.sender_id, func.count())
        .where(Delivery.status == queue.SENT, Delivery.sent_at >= today)
        .group_by(Delivery.sender_id)
    )
    sent = {sender_id: n for sender_id, n in rows}
    days = []
    for sender in await telegram.list_senders(session=session):
        rate = sender.profile.global_per_s
        days.append(
            SenderDay(
                sender_id=sender.id,
                name=sender.name,
                status=sender.status,
                status_reason=sender.status_reason,
                sent_today=sent.get(sender.id, 0),
                rate_per_s=rate,
                daily_capacity=int(rate * 86_400),
            )
        )
    return days

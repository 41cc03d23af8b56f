"""The LLM ledger as a marketer reads it: every call with its tokens and cost, and the spend per
month and per campaign (AI cost without surprises: issue 12's "usage and cost per call,
campaign and month")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent.models import LlmUsage
from marketing_agent.agent.schemas import UsageByCampaign, UsageByMonth, UsageCall, UsageReport


async def list_calls(
    *, session: AsyncSession, campaign_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[UsageCall], int]:
    """Returns the newest calls first (of one campaign when given) and how many there are."""
    query = select(LlmUsage)
    count = select(func.count(LlmUsage.id))
    if campaign_id is not None:
        query = query.where(LlmUsage.campaign_id == campaign_id)
        count = count.where(LlmUsage.campaign_id == campaign_id)
    rows = await session.scalars(
        query.order_by(LlmUsage.created_at.desc(), LlmUsage.id.desc()).limit(limit).offset(offset)
    )
    return [_call(row) for row in rows], int(await session.scalar(count) or 0)


async def report(*, session: AsyncSession, now: datetime, months: int = 12) -> UsageReport:
    """Returns the spend of each of the last `months` calendar months (UTC, newest first, months
    without calls left out) and of each campaign in them, the most expensive first."""
    since = _months_back(now, months - 1)
    rows = await session.execute(
        select(
            LlmUsage.created_at,
            LlmUsage.campaign_id,
            LlmUsage.input_tokens,
            LlmUsage.output_tokens,
            LlmUsage.cost_usd_micros,
        ).where(LlmUsage.created_at >= since)
    )
    by_month: dict[str, UsageByMonth] = {}
    by_campaign: dict[int, UsageByCampaign] = {}
    for created_at, campaign_id, tokens_in, tokens_out, cost in rows:
        month = created_at.strftime("%Y-%m")
        line = by_month.setdefault(month, UsageByMonth(month=month))
        _add(line, tokens_in, tokens_out, cost)
        if campaign_id is not None:
            spent = by_campaign.setdefault(campaign_id, UsageByCampaign(campaign_id=campaign_id))
            _add(spent, tokens_in, tokens_out, cost)
    return UsageReport(
        since=since,
        months=sorted(by_month.values(), key=lambda m: m.month, reverse=True),
        campaigns=sorted(
            by_campaign.values(), key=lambda c: (-c.cost_usd_micros, -c.calls, c.campaign_id)
        ),
    )


def _add(line: UsageByMonth | UsageByCampaign, tokens_in: int, tokens_out: int, cost: int) -> None:
    line.calls += 1
    line.input_tokens += int(tokens_in or 0)
    line.output_tokens += int(tokens_out or 0)
    line.cost_usd_micros += int(cost or 0)


def _months_back(now: datetime, count: int) -> datetime:
    """Returns the first instant of the month `count` months before `now`'s."""
    index = now.year * 12 + now.month - 1 - count
    return now.replace(
        year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )


def _call(row: LlmUsage) -> UsageCall:
    return UsageCall(
        id=row.id,
        created_at=row.created_at,
        purpose=row.purpose,
        campaign_id=row.campaign_id,
        provider=row.provider,
        model=row.model,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd_micros=row.cost_usd_micros,
        prompt_version=row.prompt_version,
    )


__all__: Sequence[str] = ("list_calls", "report")

"""What the strategist may still spend: per call, per UTC day and per calendar month.

Spend is the recorded cost of every piece of work (`agent_llm_usage`). A call gets the smallest
of the three remainders as its cap; the tool loop stops before a round that could pass it, so the
budget is never overrun automatically. At 80% of the day or month the status says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent.errors import BudgetExhausted
from marketing_agent.agent.models import CampaignAiBudget, LlmUsage
from marketing_agent.agent.schemas import BudgetLine, BudgetStatus, CampaignBudget
from marketing_agent.core import clock
from marketing_agent.core.settings import Settings

WARN_AT = 0.8
MICROS = 1_000_000


@dataclass(frozen=True)
class SpendLimits:
    call_usd_micros: int
    day_usd_micros: int
    month_usd_micros: int
    campaign_usd_micros: int = 2 * MICROS

    @classmethod
    def from_settings(cls, settings: Settings) -> SpendLimits:
        return cls(
            call_usd_micros=round(settings.agent_budget_call_usd * MICROS),
            day_usd_micros=round(settings.agent_budget_day_usd * MICROS),
            month_usd_micros=round(settings.agent_budget_month_usd * MICROS),
            campaign_usd_micros=round(settings.agent_budget_campaign_usd * MICROS),
        )


async def spent_since(*, session: AsyncSession, since: datetime) -> int:
    """Returns the micro-USD recorded since `since`."""
    total = await session.scalar(
        select(func.coalesce(func.sum(LlmUsage.cost_usd_micros), 0)).where(
            LlmUsage.created_at >= since
        )
    )
    return int(total or 0)


async def budget_status(*, session: AsyncSession, limits: SpendLimits) -> BudgetStatus:
    """Returns today's and this month's spend against their limits."""
    now = clock.now()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    day = _line(await spent_since(session=session, since=day_start), limits.day_usd_micros)
    month = _line(await spent_since(session=session, since=month_start), limits.month_usd_micros)
    cap = min(limits.call_usd_micros, day.remaining_usd_micros, month.remaining_usd_micros)
    return BudgetStatus(
        day=day,
        month=month,
        call_limit_usd_micros=limits.call_usd_micros,
        next_call_cap_usd_micros=max(cap, 0),
        warning=day.warning or month.warning,
        exhausted=day.exhausted or month.exhausted,
    )


def _line(spent: int, limit: int) -> BudgetLine:
    share = spent / limit if limit > 0 else 1.0
    return BudgetLine(
        spent_usd_micros=spent,
        limit_usd_micros=limit,
        remaining_usd_micros=max(limit - spent, 0),
        used_share=round(share, 4),
        warning=share >= WARN_AT,
        exhausted=spent >= limit,
    )


def ensure_not_exhausted(status: BudgetStatus) -> int:
    """Returns the cap of the next call in micro-USD; raises when the day or month is used up."""
    for name, line, setting in (
        ("today's", status.day, "MA_AGENT_BUDGET_DAY_USD"),
        ("this month's", status.month, "MA_AGENT_BUDGET_MONTH_USD"),
    ):
        if line.exhausted:
            raise BudgetExhausted(
                f"The LLM budget is used up: {name} spend is {usd(line.spent_usd_micros)} of "
                f"{usd(line.limit_usd_micros)}. Nothing more is spent until it resets; raise "
                f"{setting}, write the variants yourself, or use MA_LLM_PROVIDER=offline."
            )
    return status.next_call_cap_usd_micros


def usd(micros: int) -> str:
    """Returns micro-USD as dollars for people ("$0.0421")."""
    return f"${micros / MICROS:.4f}"


async def campaign_budget(
    *, session: AsyncSession, limits: SpendLimits, campaign_id: int
) -> CampaignBudget:
    """Returns a campaign's recorded LLM spend against its own cap, or the setting's."""
    own = await session.get(CampaignAiBudget, campaign_id)
    spent = await session.scalar(
        select(func.coalesce(func.sum(LlmUsage.cost_usd_micros), 0)).where(
            LlmUsage.campaign_id == campaign_id
        )
    )
    limit = own.limit_usd_micros if own is not None else limits.campaign_usd_micros
    return CampaignBudget(
        campaign_id=campaign_id,
        line=_line(int(spent or 0), limit),
        own_limit=own is not None,
        updated_by=own.updated_by if own is not None else None,
    )


async def set_campaign_limit(
    *, session: AsyncSession, campaign_id: int, limit_usd_micros: int | None, actor: str
) -> None:
    """Sets (or, with None, removes) a campaign's own cap, in the caller's transaction."""
    own = await session.get(CampaignAiBudget, campaign_id)
    if limit_usd_micros is None:
        if own is not None:
            await session.delete(own)
    elif own is None:
        session.add(
            CampaignAiBudget(
                campaign_id=campaign_id,
                limit_usd_micros=limit_usd_micros,
                updated_by=actor,
                updated_at=clock.now(),
            )
        )
    else:
        own.limit_usd_micros = limit_usd_micros
        own.updated_by = actor
        own.updated_at = clock.now()
    await session.flush()


def ensure_campaign_not_exhausted(budget: CampaignBudget) -> int:
    """Returns what the campaign may still spend; raises when its budget is used up."""
    line = budget.line
    if line.exhausted:
        raise BudgetExhausted(
            f"Campaign {budget.campaign_id}'s LLM budget is used up: it spent "
            f"{usd(line.spent_usd_micros)} of {usd(line.limit_usd_micros)}. Nothing more is "
            "spent on it; raise its budget on the Strategist page (or "
            "MA_AGENT_BUDGET_CAMPAIGN_USD)."
        )
    return line.remaining_usd_micros

"""Return on investment of a campaign and its variants: conversion value against costs.

Costs are of three kinds:
- `manual`: what the user entered (design, a discount's cost, an agency), for the campaign or
  for one variant;
- `llm`: the strategist's tokens at the provider's list prices, as the agent recorded them;
- `stars`: paid-broadcast Telegram Stars, 0.1 Star per message above the free 30 a second,
  estimated from the campaign's `sent` events per UTC second (the free 30/s are per bot, so a
  bot sending two campaigns at once pays more than this estimate shows).

A cost that names no variant (campaign-wide manual costs, LLM) is split over the variants in
proportion to the people each was sent to. ROI = (revenue − cost) / cost; None without costs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics.models import Cost, Event
from marketing_agent.analytics.rates import Rate, rate
from marketing_agent.analytics.schemas import CampaignSource, EventType
from marketing_agent.compliance import service as compliance
from marketing_agent.core.errors import NotFound

FREE_PER_SECOND = 30
STARS_PER_PAID_MESSAGE = 0.1
# What a Star costs the advertiser: Telegram's in-app price of 50 Stars is USD 0.99.
DEFAULT_STAR_PRICE_USD_MICROS = 19_800
ALLOCATION = (
    "Costs that name no variant (campaign-wide entries, the strategist's tokens) are split over "
    "the variants in proportion to the people each was sent to."
)


class CostCreate(BaseModel):
    amount_usd: float = Field(gt=0, le=1e9, allow_inf_nan=False, description="In US dollars.")
    description: str = Field(min_length=1, max_length=200)
    variant_key: str | None = Field(None, min_length=1, max_length=16)


class CostLine(BaseModel):
    id: int | None = Field(None, description="Set on costs the user entered (deletable).")
    kind: Literal["manual", "llm", "stars"]
    variant_key: str | None
    amount_usd_micros: int
    description: str
    estimated: bool = Field(False, description="Computed from the sends, not a bill.")


class VariantRoi(BaseModel):
    variant_key: str | None
    sent: int = Field(description="Distinct people sent to.")
    converted: int
    revenue_usd_micros: int
    cost_usd_micros: int
    profit_usd_micros: int
    roi: float | None = Field(description="(revenue - cost) / cost; None without costs.")
    cost_per_conversion_usd_micros: int | None
    conversion_rate: Rate = Field(description="Converted people per person sent to.")


class CampaignRoi(BaseModel):
    campaign_id: int
    currency: Literal["USD"] = "USD"
    star_price_usd_micros: int
    paid_broadcast: bool
    paid_messages: int = Field(description="Messages sent above the free 30 a second.")
    costs: list[CostLine]
    variants: list[VariantRoi]
    totals: VariantRoi
    allocation: str = ALLOCATION


async def add_cost(
    *, session: AsyncSession, campaign_id: int, cost_in: CostCreate, actor: str
) -> Cost:
    cost = Cost(
        campaign_id=campaign_id,
        variant_key=cost_in.variant_key,
        amount_usd_micros=round(cost_in.amount_usd * 1_000_000),
        description=cost_in.description,
        created_by=actor,
    )
    session.add(cost)
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="cost.added",
        entity_type="campaign",
        entity_id=campaign_id,
        data={
            "cost_id": cost.id,
            "variant_key": cost.variant_key,
            "amount_usd_micros": cost.amount_usd_micros,
        },
    )
    return cost


async def delete_cost(
    *, session: AsyncSession, campaign_id: int, cost_id: int, actor: str = "system"
) -> None:
    cost = await session.get(Cost, cost_id)
    if cost is None or cost.campaign_id != campaign_id:
        raise NotFound(f"Cost {cost_id} of campaign {campaign_id} does not exist.")
    amount = cost.amount_usd_micros
    await session.delete(cost)
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="cost.deleted",
        entity_type="campaign",
        entity_id=campaign_id,
        data={"cost_id": cost_id, "amount_usd_micros": amount},
    )


def _person(event: Any) -> ColumnElement[int]:
    person: ColumnElement[int] = func.coalesce(event.contact_id, event.anonymous_id, -event.id)
    return person


def _second(dialect: str) -> ColumnElement[str]:
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H:%M:%S", Event.occurred_at)
    return func.to_char(func.timezone("UTC", Event.occurred_at), "YYYY-MM-DD HH24:MI:SS")


async def _paid_messages(session: AsyncSession, campaign_id: int) -> dict[str | None, float]:
    """Per variant, its share of the messages sent above FREE_PER_SECOND in each second."""
    dialect = session.get_bind().dialect.name
    second = _second(dialect).label("second")
    rows = await session.execute(
        select(second, Event.variant_key, func.count())
        .where(Event.campaign_id == campaign_id, Event.type == EventType.SENT.value)
        .group_by(second, Event.variant_key)
    )
    per_second: dict[str, list[tuple[str | None, int]]] = defaultdict(list)
    for at, variant_key, n in rows:
        per_second[at].append((variant_key, int(n)))
    paid: dict[str | None, float] = defaultdict(float)
    for parts in per_second.values():
        total = sum(n for _, n in parts)
        above = total - FREE_PER_SECOND
        if above > 0:
            for variant_key, n in parts:
                paid[variant_key] += above * n / total
    return paid


async def campaign_roi(
    *,
    session: AsyncSession,
    source: CampaignSource,
    llm_cost_usd_micros: int,
    star_price_usd_micros: int = DEFAULT_STAR_PRICE_USD_MICROS,
) -> CampaignRoi:
    campaign_id = source.campaign_id
    people = func.count(_person(Event).distinct())
    rows = await session.execute(
        select(Event.variant_key, Event.type, people, func.sum(Event.value_usd_micros))
        .where(
            Event.campaign_id == campaign_id,
            Event.type.in_([EventType.SENT.value, EventType.CONVERTED.value]),
        )
        .group_by(Event.variant_key, Event.type)
    )
    sent: dict[str | None, int] = defaultdict(int)
    converted: dict[str | None, int] = defaultdict(int)
    revenue: dict[str | None, int] = defaultdict(int)
    for variant_key, event_type, count, value in rows:
        if event_type == EventType.SENT.value:
            sent[variant_key] = int(count)
        else:
            converted[variant_key] = int(count)
            revenue[variant_key] = int(value or 0)
    totals_row = (
        await session.execute(
            select(
                func.count(_person(Event).distinct()).filter(Event.type == EventType.SENT.value),
                func.count(_person(Event).distinct()).filter(
                    Event.type == EventType.CONVERTED.value
                ),
            ).where(Event.campaign_id == campaign_id)
        )
    ).one()

    costs: list[CostLine] = [
        CostLine(
            id=c.id,
            kind="manual",
            variant_key=c.variant_key,
            amount_usd_micros=c.amount_usd_micros,
            description=c.description,
        )
        for c in await session.scalars(
            select(Cost).where(Cost.campaign_id == campaign_id).order_by(Cost.id)
        )
    ]
    if llm_cost_usd_micros:
        costs.append(
            CostLine(
                kind="llm",
                variant_key=None,
                amount_usd_micros=llm_cost_usd_micros,
                description="Strategist tokens at the provider's list prices",
            )
        )
    paid_messages = 0.0
    if source.paid_broadcast:
        for variant_key, paid in sorted(
            (await _paid_messages(session, campaign_id)).items(), key=lambda kv: kv[0] or ""
        ):
            paid_messages += paid
            stars = paid * STARS_PER_PAID_MESSAGE
            costs.append(
                CostLine(
                    kind="stars",
                    variant_key=variant_key,
                    amount_usd_micros=round(stars * star_price_usd_micros),
                    description=f"{stars:,.1f} Stars: {paid:,.0f} messages above the free 30/s",
                    estimated=True,
                )
            )

    named = set(sent) | set(converted) | {c.variant_key for c in costs}
    keys_any: list[str | None] = [*sorted(k for k in named if k is not None)]
    if None in sent or None in converted:
        keys_any.append(None)
    total_sent = sum(sent.values())
    cost_of: dict[str | None, float] = defaultdict(float)
    for cost in costs:
        if cost.variant_key is not None:
            cost_of[cost.variant_key] += cost.amount_usd_micros
        elif total_sent:
            for key in keys_any:
                cost_of[key] += cost.amount_usd_micros * sent.get(key, 0) / total_sent
    variants = [
        _variant(key, sent.get(key, 0), converted.get(key, 0), revenue.get(key, 0), cost_of[key])
        for key in keys_any
    ]
    totals = _variant(
        "all",
        int(totals_row[0]),
        int(totals_row[1]),
        sum(revenue.values()),
        sum(c.amount_usd_micros for c in costs),
    )
    return CampaignRoi(
        campaign_id=campaign_id,
        star_price_usd_micros=star_price_usd_micros,
        paid_broadcast=source.paid_broadcast,
        paid_messages=round(paid_messages),
        costs=costs,
        variants=variants,
        totals=totals,
    )


def _variant(key: str | None, sent: int, converted: int, revenue: int, cost: float) -> VariantRoi:
    cost_micros = round(cost)
    return VariantRoi(
        variant_key=key,
        sent=sent,
        converted=converted,
        revenue_usd_micros=revenue,
        cost_usd_micros=cost_micros,
        profit_usd_micros=revenue - cost_micros,
        roi=(revenue - cost_micros) / cost_micros if cost_micros else None,
        cost_per_conversion_usd_micros=round(cost_micros / converted)
        if converted and cost_micros
        else None,
        conversion_rate=rate(converted, sent),
    )


__all__: Sequence[str] = [
    "CampaignRoi",
    "CostCreate",
    "CostLine",
    "VariantRoi",
    "add_cost",
    "campaign_roi",
    "delete_cost",
]

"""HTTP API of the agent module: ask the strategist for a plan, see which one is set up, usage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent import service
from marketing_agent.agent.schemas import CampaignBrief, CampaignPlan, ProviderInfo, UsageSummary
from marketing_agent.agent.tools import AgentTools
from marketing_agent.core.auth import Permission, Principal, authorize
from marketing_agent.core.deps import CurrentSettings, DbSession
from marketing_agent.core.validation import DbId

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])

CanUseAgent = Annotated[Principal, Depends(authorize(Permission.AGENT_USE))]
CanReadUsage = Annotated[Principal, Depends(authorize(Permission.ANALYTICS_READ))]


@router.post("/plan")
async def plan_campaign(
    brief: CampaignBrief, session: DbSession, settings: CurrentSettings, principal: CanUseAgent
) -> CampaignPlan:
    return await service.plan_campaign(
        session=session, settings=settings, brief=brief, tools=_request_tools(session)
    )


@router.get("/provider")
async def describe_provider(settings: CurrentSettings, principal: CanUseAgent) -> ProviderInfo:
    return service.describe_provider(settings)


@router.get("/usage")
async def usage_summary(
    session: DbSession,
    principal: CanReadUsage,
    campaign_id: Annotated[DbId | None, Query()] = None,
) -> UsageSummary:
    return await service.usage_summary(session=session, campaign_id=campaign_id)


def _request_tools(session: AsyncSession) -> AgentTools:
    """Tools for a plan drafted outside a campaign: no audience, the real safety guard."""

    async def describe_audience() -> dict[str, Any]:
        return {"note": "no audience selected"}

    async def check_content(text: str) -> dict[str, Any]:
        # Imported here so the agent module loads (and is tested) without the safety module.
        from marketing_agent.safety import service as safety

        verdict = await safety.check_content(session=session, text=text)
        result: dict[str, Any] = verdict.model_dump(mode="json")
        return result

    return AgentTools(describe_audience=describe_audience, check_content=check_content)

"""What every strategist provider offers: a plan for a brief, made with the caller's tools."""

from __future__ import annotations

from typing import Protocol

from marketing_agent.agent.conversation import CallLimits
from marketing_agent.agent.prompts import SHIPPED, PromptSet
from marketing_agent.agent.schemas import CampaignBrief, CampaignPlan
from marketing_agent.agent.tools import AgentTools


class Provider(Protocol):
    name: str
    model: str

    async def plan_campaign(
        self,
        brief: CampaignBrief,
        tools: AgentTools,
        *,
        limits: CallLimits | None = None,
        prompts: PromptSet = SHIPPED,
    ) -> CampaignPlan:
        """Returns a strategy and `brief.variant_count` variants, using `tools` along the way."""
        ...

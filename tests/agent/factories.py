"""Test data for the agent module: briefs, settings, tools that record their calls, the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from marketing_agent.agent.schemas import CampaignBrief
from marketing_agent.agent.tools import AgentTools
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.gateway.app import create_app

AUDIENCE = {"size": 1200, "top_tags": {"boots": 400, "vip": 120}, "languages": {"en": 1100}}


VARIANTS = [
    {"text": "Hi {first_name}, boots are 20% off. Reply /stop to unsubscribe.", "rationale": "a"},
    {"text": "Cold feet? Our boots help. Reply /stop to unsubscribe.", "rationale": "b"},
]
SUBMISSION = {"strategy": "Two angles.", "variants": VARIANTS}


def claude_settings(url: str, **overrides: object) -> Settings:
    """Settings for Claude at a fake Messages API on `url`, with no fallback provider."""
    values: dict[str, object] = {
        "llm_provider": "anthropic",
        "anthropic_api_key": "sk-ant-test",
        "anthropic_base_url": url,
        "anthropic_model": "claude-sonnet-5-5",  # $2 / $10 per million tokens
        "llm_fallback": "none",
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg, arg-type]


def brief(**overrides: Any) -> CampaignBrief:
    values: dict[str, Any] = {
        "name": "Winter sale",
        "goal": "Announce our winter sale, 20% off boots",
        "variant_count": 2,
        "call_to_action_url": "https://shop.example/winter",
    }
    return CampaignBrief(**(values | overrides))


def settings(**overrides: Any) -> Settings:
    """Settings from these values only, never from the environment's .env file."""
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


def verdict(
    *, allowed: bool = True, risk: float = 0.0, reasons: Sequence[str] = ()
) -> dict[str, Any]:
    return {
        "allowed": allowed,
        "risk_score": risk,
        "reasons": [{"code": "test", "message": r, "severity": "warn"} for r in reasons],
    }


@dataclass
class ToolSpy:
    """Tools that answer like the orchestrator's and remember every call.

    `flag` words make check_content refuse any text containing them (case-insensitive).
    """

    audience: dict[str, Any] = field(default_factory=lambda: dict(AUDIENCE))
    flag: tuple[str, ...] = ()
    audience_calls: int = 0
    checked: list[str] = field(default_factory=list)

    def tools(self, **options: Any) -> AgentTools:
        return AgentTools(
            describe_audience=self.describe_audience, check_content=self.check_content, **options
        )

    async def describe_audience(self) -> dict[str, Any]:
        self.audience_calls += 1
        return self.audience

    async def check_content(self, text: str) -> dict[str, Any]:
        self.checked.append(text)
        hits = [w for w in self.flag if w.lower() in text.lower()]
        if hits:
            return verdict(allowed=False, risk=0.9, reasons=[f"contains '{w}'" for w in hits])
        return verdict()


@asynccontextmanager
async def app_client(app_settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The real app started with `app_settings` on `db`, and a client on it."""
    app = create_app(app_settings, database=db)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

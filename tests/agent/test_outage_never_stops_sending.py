"""An agent outage never stops approved sending: with the LLM unreachable (and no offline
fallback) planning fails with a clear 503, while an approved campaign is sent to everyone and
completes, its results summary written without the LLM."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from marketing_agent.agent import service as agent
from marketing_agent.core.db import Database
from marketing_agent.core.errors import Unavailable
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator import service as orchestrator
from tests.agent.factories import ToolSpy, brief
from tests.agent.fake_llm import closed_port_url
from tests.factories import counts, drain, make_contacts, make_sender, runtime_of, start_campaign


async def test_an_approved_campaign_is_sent_while_the_llm_is_down(
    db: Database, settings: Settings, virtual_clock: object
) -> None:
    down = settings.model_copy(
        update={
            "llm_provider": "anthropic",
            "anthropic_api_key": SecretStr("sk-ant-test"),
            "anthropic_base_url": closed_port_url(),
            "llm_fallback": "none",
        }
    )
    with pytest.raises(Unavailable):
        await agent.Strategist(down, db.sessionmaker).plan_campaign(
            brief=brief(), tools=ToolSpy().tools()
        )
    sender_id = await make_sender(db)
    await make_contacts(db, 5, sender_id=sender_id)

    campaign_id = await start_campaign(db, down, sender_id=sender_id)
    await drain(db)
    for _ in range(5):
        await scheduled.tick(runtime_of(db, down))

    sent = await counts(db, campaign_id)
    assert sent.sent == 5 and sent.queued == 0
    async with db.session() as session:
        campaign = await orchestrator.get_campaign_or_raise(
            session=session, campaign_id=campaign_id
        )
        summary = await agent.kept_summary(session=session, campaign_id=campaign_id)
    assert campaign.status == "completed"
    assert summary is not None and summary.ai_generated is False

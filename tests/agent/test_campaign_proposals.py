"""The strategist proposes for an existing campaign — new variants, a send time taken from when
people read and clicked, and its reach and duration after consent at the sender's limit — and
nothing changes until a person applies a proposal. Real OpenAI SDK against a scripted server."""

from __future__ import annotations

from datetime import datetime, timedelta

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.schemas import EventCreate, EventType
from marketing_agent.core import clock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.schemas import CampaignCreate, VariantIn
from tests.agent.factories import app_client
from tests.agent.fake_llm import chat_tool_calls, fake_llm
from tests.agent.test_chat import chat_text, openai_settings
from tests.factories import headers_for, make_contacts, make_sender

OLD_TEXT = "Winter boots are here. Reply STOP to unsubscribe."
NEW_TEXT = "Warm feet all winter: our new boots are in. Reply STOP to unsubscribe."


async def draft_with_history(db: Database, settings: Settings) -> int:
    """A draft to 5 consenting contacts, and past reads: 3 at 18:00 UTC, 1 at 09:00 UTC."""
    sender_id = await make_sender(db)
    await make_contacts(db, 5, sender_id=sender_id)
    yesterday = clock.now() - timedelta(days=1)
    async with db.session() as session:
        campaign = await flows.create_campaign(
            session=session,
            settings=settings,
            campaign_in=CampaignCreate(
                name="Boots",
                goal="Winter boots",
                sender_id=sender_id,
                variants=[VariantIn(text=OLD_TEXT)],
            ),
            actor="marketer",
        )
        at = yesterday.replace(minute=5, second=0, microsecond=0)
        reads = [at.replace(hour=18)] * 3 + [at.replace(hour=9)]
        await analytics.record_events(
            session=session,
            events=[EventCreate(type=EventType.READ, occurred_at=t) for t in reads],
        )
        return campaign.id


async def test_proposals_for_a_campaign_change_nothing_until_a_person_applies_them(
    settings: Settings, db: Database
) -> None:
    campaign_id = await draft_with_history(db, settings)
    script = [
        chat_tool_calls(
            ("c1", "estimate_reach", {"campaign_id": campaign_id}),
            ("c2", "propose_schedule", {"campaign_id": campaign_id}),
            (
                "c3",
                "propose_variants",
                {
                    "campaign_id": campaign_id,
                    "variants": [{"text": OLD_TEXT}, {"text": NEW_TEXT}],
                    "rationale": "Test a warmth angle against the launch.",
                },
            ),
            prompt_tokens=300,
            completion_tokens=30,
        ),
        chat_text(
            "It would reach 5 people [S1]. Most reads came at 18:00 UTC (3 of 4) [S2], so "
            "start then; and test a warmth angle as variant B [S3]."
        ),
    ]
    with fake_llm(script) as server:
        async with app_client(openai_settings(settings, server.url), db) as client:
            headers = await headers_for(client, db)
            response = await client.post(
                "/api/v1/agent/chat",
                json={"messages": [{"role": "user", "content": "Improve Boots"}]},
                headers=headers,
            )
            url = f"/api/v1/orchestrator/campaigns/{campaign_id}"
            before = (await client.get(url, headers=headers)).json()
            answer = response.json()
            [variants] = answer["variant_proposals"]
            [schedule] = answer["schedule_proposals"]
            applied = await client.patch(  # the person's click on "Apply"
                url,
                json={
                    "variants": [{"text": v["text"]} for v in variants["variants"]],
                    "start_at": schedule["start_at"],
                },
                headers=headers,
            )

    assert response.status_code == 200, response.text
    assert answer["unverified_figures"] == [], answer["answer"]
    reach = answer["sources"][0]["data"]
    assert (reach["audience"], reach["will_receive"], reach["without_consent"]) == (5, 5, 0)
    assert reach["expected_duration_s"] == round(5 / reach["rate_per_s"], 1)
    assert (schedule["engaged_in_hour"], schedule["engaged_total"]) == (3, 4)
    start = datetime.fromisoformat(schedule["start_at"])
    assert start.hour == 18 and start > clock.now() and schedule["editable"] is True
    assert [v["text"] for v in variants["variants"]] == [OLD_TEXT, NEW_TEXT]
    assert all(v["allowed"] for v in variants["variants"])
    assert [v["text"] for v in variants["current"]] == [OLD_TEXT]
    assert [v["text"] for v in before["variants"]] == [OLD_TEXT], "nothing changed on its own"
    assert before["start_at"] is None
    assert applied.status_code == 200, applied.text
    assert [v["text"] for v in applied.json()["variants"]] == [OLD_TEXT, NEW_TEXT]
    assert datetime.fromisoformat(applied.json()["start_at"]) == start


async def test_no_send_time_is_proposed_without_reads_or_clicks_to_go_by(
    settings: Settings, db: Database
) -> None:
    sender_id = await make_sender(db)
    async with db.session() as session:
        campaign = await flows.create_campaign(
            session=session,
            settings=settings,
            campaign_in=CampaignCreate(
                name="New", goal="Boots", sender_id=sender_id, variants=[VariantIn(text=OLD_TEXT)]
            ),
            actor="marketer",
        )
    script = [
        chat_tool_calls(
            ("c1", "propose_schedule", {"campaign_id": campaign.id}),
            prompt_tokens=300,
            completion_tokens=30,
        ),
        chat_text("There is no data to choose a send time from yet [S1]."),
    ]
    with fake_llm(script) as server:
        async with app_client(openai_settings(settings, server.url), db) as client:
            headers = await headers_for(client, db)
            answer = (
                await client.post(
                    "/api/v1/agent/chat",
                    json={"messages": [{"role": "user", "content": "When to send New?"}]},
                    headers=headers,
                )
            ).json()

    assert answer["schedule_proposals"] == []
    assert "no data" in answer["sources"][0]["data"]["note"]


async def test_the_reach_of_a_campaign_not_yet_created_is_estimated_for_its_audience(
    settings: Settings, db: Database
) -> None:
    sender_id = await make_sender(db)
    await make_contacts(db, 4, sender_id=sender_id)
    script = [
        chat_tool_calls(
            ("c1", "estimate_reach", {}),
            ("c2", "estimate_reach", {"segment_id": 999}),
            prompt_tokens=300,
            completion_tokens=30,
        ),
        chat_text("A campaign to everyone would reach 4 people [S1]."),
    ]
    with fake_llm(script) as server:
        async with app_client(openai_settings(settings, server.url), db) as client:
            headers = await headers_for(client, db)
            response = await client.post(
                "/api/v1/agent/chat",
                json={"messages": [{"role": "user", "content": "Who could a campaign reach?"}]},
                headers=headers,
            )
            campaigns = (await client.get("/api/v1/orchestrator/campaigns", headers=headers)).json()

    assert response.status_code == 200, response.text
    answer = response.json()
    assert [s["status"] for s in answer["steps"]] == ["ok", "error"]
    reach = answer["sources"][0]["data"]
    assert reach["new_campaign"] is True and reach["segment_id"] is None
    assert (reach["audience"], reach["will_receive"], reach["without_consent"]) == (4, 4, 0)
    assert reach["expected_duration_s"] == round(4 / reach["rate_per_s"], 1)
    assert answer["unverified_figures"] == [], answer["answer"]
    unknown = server.requests[1].body["messages"][-1]
    assert unknown["role"] == "tool" and "999" in unknown["content"]
    assert campaigns["total"] == 0, "estimating creates nothing"

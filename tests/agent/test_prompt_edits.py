"""The strategist's prompts edited by an admin: shown with the shipped text and version, saved
as numbered versions (who, when, why; audited), run by the next answer (which says which
version ran), and reset to the shipped file. Real OpenAI SDK against a scripted server."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.agent import service as agent
from marketing_agent.agent.prompts import SHIPPED
from marketing_agent.compliance import service as compliance
from marketing_agent.core.auth import Role
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.schemas import CampaignCreate
from tests.agent.factories import app_client
from tests.agent.fake_llm import chat_tool_calls, fake_llm
from tests.agent.test_chat import chat_text, openai_settings
from tests.agent.test_prompts_and_context import SUBMISSION
from tests.factories import database_of, headers_for, make_sender

URL = "/api/v1/agent/prompts"
QUESTION = {"messages": [{"role": "user", "content": "What can you do?"}]}


async def test_an_admin_edits_a_prompt_the_next_answer_runs_it_and_a_reset_goes_back(
    settings: Settings, db: Database
) -> None:
    shipped = SHIPPED.chat_system.text
    edited = shipped + "\nSign every answer with: your strategist."
    script = [chat_text("I plan campaigns."), chat_text("I plan campaigns.")]
    with fake_llm(script) as server:
        async with app_client(openai_settings(settings, server.url), db) as client:
            headers = await headers_for(client, db)
            listed = (await client.get(URL, headers=headers)).json()
            saved = await client.put(
                f"{URL}/chat_system", json={"text": edited, "note": "sign off"}, headers=headers
            )
            with_edit = await client.post("/api/v1/agent/chat", json=QUESTION, headers=headers)
            reset = await client.delete(f"{URL}/chat_system", headers=headers)
            after_reset = await client.post("/api/v1/agent/chat", json=QUESTION, headers=headers)
            audit = (await client.get("/api/v1/compliance/audit", headers=headers)).json()

    assert [p["name"] for p in listed] == ["plan_system", "plan_user", "chat_system"]
    chat = next(p for p in listed if p["name"] == "chat_system")
    assert chat["edited"] is False and chat["text"] == chat["shipped_text"] == shipped
    assert chat["label"] == f"chat_system@{SHIPPED.chat_system.version}"
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["edited"] is True and body["text"] == edited
    assert body["label"] == "chat_system@1.edit1"
    assert body["history"][0]["note"] == "sign off"
    assert body["history"][0]["created_by"].startswith("user:admin")
    assert with_edit.status_code == 200, with_edit.text
    assert with_edit.json()["prompt_version"].startswith("chat_system@1.edit1 #")
    sent_systems = [r.body["messages"][0]["content"] for r in server.requests]
    assert "Sign every answer with: your strategist." in sent_systems[0]
    assert "Sign every answer" not in sent_systems[1], "after the reset the shipped text runs"
    assert reset.status_code == 200 and reset.json()["edited"] is False
    assert [h["reset"] for h in reset.json()["history"]] == [True, False]
    assert after_reset.json()["prompt_version"].startswith("chat_system@1 #")
    actions = [e["action"] for e in audit["items"]]
    assert "agent.prompt_edited" in actions and "agent.prompt_reset" in actions


async def test_bad_prompt_edits_are_clear_errors_and_change_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db)
    marketer = await headers_for(client, db, Role.MARKETER)

    empty = await client.put(f"{URL}/plan_system", json={"text": "  \n "}, headers=admin)
    unknown_field = await client.put(
        f"{URL}/plan_system", json={"text": "x", "version": 3}, headers=admin
    )
    placeholder = await client.put(
        f"{URL}/plan_system", json={"text": "Write $count variants."}, headers=admin
    )
    dollar = await client.put(f"{URL}/plan_system", json={"text": "Costs 5$ only."}, headers=admin)
    missing = await client.put(f"{URL}/nope", json={"text": "x"}, headers=admin)
    missing_get = await client.get(f"{URL}/nope", headers=admin)
    missing_delete = await client.delete(f"{URL}/nope", headers=admin)
    by_marketer = await client.put(f"{URL}/plan_system", json={"text": "x"}, headers=marketer)
    marketer_reads = await client.get(f"{URL}/plan_system", headers=marketer)

    assert empty.status_code == 422 and unknown_field.status_code == 422
    assert placeholder.status_code == 422 and "$count" in placeholder.json()["detail"]
    assert "$variant_count" in placeholder.json()["detail"]
    assert dollar.status_code == 422 and "$$" in dollar.json()["detail"]
    assert missing.status_code == missing_get.status_code == missing_delete.status_code == 404
    assert by_marketer.status_code == 403
    assert marketer_reads.status_code == 200
    assert marketer_reads.json()["edited"] is False and marketer_reads.json()["history"] == []


async def test_a_plan_runs_the_edited_system_prompt_and_the_campaign_records_its_version(
    settings: Settings, db: Database
) -> None:
    sender_id = await make_sender(db)
    edited = SHIPPED.plan_system.text.replace(
        "Rules you must follow:", "Rules you must follow:\n- Mention free returns."
    )
    async with db.session() as session:
        await agent.strategist_for(settings, session).save_prompt(
            name="plan_system", text=edited, note="returns", actor="user:admin"
        )
    with fake_llm(
        [chat_tool_calls(("c1", "submit_plan", SUBMISSION), prompt_tokens=9, completion_tokens=9)]
    ) as server:
        llm = settings.model_copy(
            update={"llm_provider": "openai", "openai_base_url": f"{server.url}/v1"}
        )
        async with db.session() as session:
            await flows.create_campaign(
                session=session,
                settings=llm,
                campaign_in=CampaignCreate(name="Boots", goal="Winter boots", sender_id=sender_id),
                actor="marketer",
            )
    async with db.session() as session:
        entries, _ = await compliance.list_audit(session=session, entity_type="campaign")

    system = server.requests[0].body["messages"][0]["content"]
    assert "- Mention free returns." in system
    created = next(e for e in entries if e.action == "campaign.created")
    assert created.data["prompt_version"].startswith("plan_system@1.edit1+plan_user@1 #")


async def test_a_prompt_is_previewed_filled_in_for_a_sample_brief_or_ones_own(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app))
    draft = SHIPPED.plan_user.text + "\nProduct once more: $product."

    sample = await client.post(f"{URL}/plan_user/preview", json={}, headers=headers)
    unsaved = await client.post(
        f"{URL}/plan_user/preview",
        json={"text": draft, "brief": {"name": "Spring", "product": "Rain jackets"}},
        headers=headers,
    )
    system = await client.post(
        f"{URL}/plan_system/preview",
        json={"brief": {"name": "x", "product": "Boots", "languages": ["de", "fr"]}},
        headers=headers,
    )
    bad = await client.post(
        f"{URL}/plan_user/preview", json={"text": "Hello $customer_email"}, headers=headers
    )
    unknown = await client.post(f"{URL}/nope/preview", json={}, headers=headers)
    listed = (await client.get(f"{URL}/plan_user", headers=headers)).json()

    assert sample.status_code == 200, sample.text
    body = sample.json()
    assert "The new winter boots collection" in body["rendered"] and "$" not in body["rendered"]
    assert body["values"]["product"] == "The new winter boots collection"
    assert body["label"] == f"plan_user@{SHIPPED.plan_user.version}"
    preview = unsaved.json()
    assert preview["label"] == "plan_user (unsaved)"
    assert preview["rendered"].endswith("Product once more: Rain jackets.")
    assert "'fr'" in system.json()["rendered"] and "de" == system.json()["values"]["language"]
    assert bad.status_code == 422 and "$customer_email" in bad.json()["detail"]
    assert unknown.status_code == 404
    assert listed["history"] == [], "a preview saves nothing"

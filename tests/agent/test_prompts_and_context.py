"""Prompts are versioned files whose version each plan and campaign records; the context window
keeps a long conversation inside its token budget without losing the task or the newest turn."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from marketing_agent.agent import prompts
from marketing_agent.agent.context import ContextWindow, estimate_tokens, scrub
from marketing_agent.agent.models import LlmUsage
from marketing_agent.compliance import service as compliance
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.schemas import CampaignCreate
from tests.agent.fake_llm import chat_tool_calls, fake_llm
from tests.factories import make_sender

SUBMISSION = {
    "strategy": "s",
    "variants": [
        {"text": "Hi {first_name}, boots! Reply /stop to unsubscribe.", "rationale": "a"},
        {"text": "Boots for winter. Reply /stop to unsubscribe.", "rationale": "b"},
    ],
}


def test_every_prompt_file_declares_its_version() -> None:
    for path in sorted(prompts.PROMPT_DIR.glob("*.txt")):
        loaded = prompts.load_prompt(path.stem)
        assert loaded.version >= 1 and loaded.label == f"{path.stem}@{loaded.version}"


def test_a_prompt_without_a_version_line_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bare.txt").write_text("You are a strategist.\n")
    monkeypatch.setattr(prompts, "PROMPT_DIR", tmp_path)

    with pytest.raises(ValueError, match="must start with '# version: N'"):
        prompts.load_prompt("bare")


def test_the_version_changes_with_the_wording() -> None:
    one = prompts.PLAN_SYSTEM
    reworded = prompts.PromptFile(one.name, one.version, one.template, sha256="0" * 64)

    assert prompts.prompt_version(one) != prompts.prompt_version(reworded)
    assert prompts.prompt_version(one).startswith("plan_system@1 #")


async def test_a_campaign_records_the_prompt_version_and_the_tools_it_was_written_with(
    settings: Settings, db: Database
) -> None:
    sender_id = await make_sender(db)
    script = [
        chat_tool_calls(("c1", "describe_audience", {}), prompt_tokens=9, completion_tokens=9),
        chat_tool_calls(("c2", "submit_plan", SUBMISSION), prompt_tokens=9, completion_tokens=9),
    ]
    with fake_llm(script) as server:
        llm = settings.model_copy(
            update={"llm_provider": "openai", "openai_base_url": f"{server.url}/v1"}
        )
        async with db.session() as session:
            campaign = await flows.create_campaign(
                session=session,
                settings=llm,
                campaign_in=CampaignCreate(name="Boots", goal="Winter boots", sender_id=sender_id),
                actor="marketer",
            )
    async with db.session() as session:
        [usage] = (await session.scalars(select(LlmUsage))).all()
        entries, _ = await compliance.list_audit(session=session, entity_type="campaign")

    created = next(e for e in entries if e.action == "campaign.created")
    assert created.data["prompt_version"] == prompts.PLAN_PROMPT_VERSION
    assert created.data["ai_generated"] is True
    assert created.data["tool_calls"] == ["describe_audience", "submit_plan"]
    assert (usage.prompt_version, usage.campaign_id) == (prompts.PLAN_PROMPT_VERSION, campaign.id)


def test_a_long_conversation_is_cut_to_its_budget_keeping_the_task_and_the_newest_turn() -> None:
    task = {"role": "user", "content": "Plan the boots campaign. " * 20}
    results = [
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": f"t{i}", "content": "x" * 8000}],
        }
        for i in range(6)
    ]
    newest = {"role": "user", "content": "y" * 3000}
    window = ContextWindow(max_tokens=6000)

    fitted = window.fit([task, *results, newest])

    assert estimate_tokens(fitted) <= 6000 < estimate_tokens([task, *results, newest])
    assert fitted[0] == task and fitted[-1] == newest
    assert window.cut >= 4
    assert fitted[1]["content"][0]["content"].startswith("[earlier, shortened to fit:")
    assert fitted[1]["content"][0]["tool_use_id"] == "t0"  # the pairing with the call stays


def test_scrub_keeps_placeholders_and_ordinary_at_signs() -> None:
    text = "Hi {first_name}! Ask @boots_shop_help or mail help@shop.example, meet us at 5"

    assert scrub(text) == "Hi {first_name}! Ask [USERNAME] or mail [EMAIL], meet us at 5"

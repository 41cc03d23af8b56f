"""MA_AGENT_MODELS: each piece of strategist work on a model of its own (a large model plans, a
small one answers chat questions), as the model server receives it; the default Claude model is
one the installed SDK knows."""

from __future__ import annotations

from typing import Literal, get_args, get_origin

import pytest
from anthropic.types import ModelParam

from marketing_agent.agent import service as agent
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from tests.agent.factories import ToolSpy, app_client, brief
from tests.agent.fake_llm import chat_tool_calls, fake_llm
from tests.agent.test_chat import ask, chat_text, openai_settings
from tests.factories import headers_for

SUBMISSION = {
    "strategy": "s",
    "variants": [{"text": "One", "rationale": "a"}, {"text": "Two", "rationale": "b"}],
}


async def test_plans_and_chat_answers_go_to_the_model_set_for_each(
    settings: Settings, db: Database
) -> None:
    script = [
        chat_tool_calls(("c1", "submit_plan", SUBMISSION), prompt_tokens=10, completion_tokens=5),
        chat_text("There are no campaigns yet."),
    ]
    with fake_llm(script) as server:
        workspace = openai_settings(settings, server.url).model_copy(
            update={"openai_model": "big-planner", "agent_models": {"chat": "small-chatter"}}
        )
        await agent.Strategist(workspace, db.sessionmaker).plan_campaign(
            brief=brief(), tools=ToolSpy().tools()
        )
        async with app_client(workspace, db) as client:
            await ask(client, await headers_for(client, db), "Which campaigns do I have?")

    assert [r.body["model"] for r in server.requests] == ["big-planner", "small-chatter"]


def test_a_task_that_does_not_exist_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MA_AGENT_MODELS", '{"chat": "claude-haiku-4-5", "sending": "x"}')

    with pytest.raises(ValueError, match="sending"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_default_claude_model_is_one_the_installed_sdk_lists() -> None:
    listed = {
        name
        for member in get_args(ModelParam)
        if get_origin(member) is Literal
        for name in get_args(member)
    }

    assert Settings.model_fields["anthropic_model"].default in listed

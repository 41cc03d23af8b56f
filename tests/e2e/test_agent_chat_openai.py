"""The chat panel with an OpenAI-compatible server behind it (Ollama, vLLM, llama.cpp's server):
a second demo server whose strategist is the official `openai` SDK with `base_url` at a scripted
Chat Completions server on 127.0.0.1, streaming. The marketer asks how to improve a draft, sees
the tool calls and the first sentence while the stream is open, and applies the proposed
variants and start time, which change the campaign only on those clicks."""

from __future__ import annotations

import json
import random
import re
import string
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.agent.fake_llm import FakeLLMServer, Recorded, Reply, chat_tool_calls, fake_llm
from tests.e2e.conftest import Server, assert_accessible, demo_server, log_in

pytestmark = pytest.mark.e2e

MODEL = "llama3.1:8b"  # what Ollama calls it: no key, no price
OLD_TEXT = "Hi {first_name}, our winter boots are in the shop. Reply STOP to unsubscribe."
NEW_TEXT = "Warm feet all winter, {first_name}: the new boots are in. Reply STOP to unsubscribe."


@dataclass
class ScriptedModel:
    """The model's side: estimate the draft's reach, propose variants and a start time, then
    answer citing the reach and the reads; the answer's end waits for `hold` (streaming shown)."""

    campaign_id: int = 0
    hold: threading.Event = field(default_factory=threading.Event)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __call__(self, request: Recorded) -> Reply:
        self.results = tool_results(request)
        if not self.results:
            return chat_tool_calls(
                ("c1", "estimate_reach", {"campaign_id": self.campaign_id}),
                (
                    "c2",
                    "propose_variants",
                    {
                        "campaign_id": self.campaign_id,
                        "variants": [{"text": OLD_TEXT}, {"text": NEW_TEXT}],
                        "rationale": "Test a warmth angle against the launch text.",
                    },
                ),
                ("c3", "propose_schedule", {"campaign_id": self.campaign_id}),
                prompt_tokens=900,
                completion_tokens=60,
                model=MODEL,
            )
        reach = self.results["c1"]["will_receive"]
        schedule = self.results["c3"]["proposal"]
        answer = (
            f"It would reach {reach} people [S1]. Test a warmth angle as variant B [S2]. "
            f"{schedule['engaged_in_hour']} of {schedule['engaged_total']} reads and clicks "
            "came in one hour, so start then [S3]."
        )
        return Reply(200, completion(answer), hold=self.hold, hold_timeout_s=120)


def completion(text: str) -> dict[str, Any]:
    """A Chat Completions answer in text (streamed by the fake server when asked to)."""
    return {
        "id": "chatcmpl-e2e",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
        "usage": {"prompt_tokens": 1400, "completion_tokens": 70},
    }


def tool_results(request: Recorded) -> dict[str, dict[str, Any]]:
    """The tool results sent back to the model (each `{"source": "S1", "data": ...}`), by tool
    call id."""
    return {
        message["tool_call_id"]: json.loads(message["content"])["data"]
        for message in request.body.get("messages", [])
        if message.get("role") == "tool"
    }


@dataclass(frozen=True)
class OpenAIApp:
    server: Server
    fake: FakeLLMServer
    model: ScriptedModel
    api: httpx.Client
    campaign_name: str


@pytest.fixture(scope="module")
def openai_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenAIApp]:
    """A demo server of its own whose strategist is the scripted Chat Completions server, with
    a hand-written draft and reads that all came at 18:00 UTC yesterday."""
    model = ScriptedModel()
    with fake_llm(model) as fake:
        settings = {
            "MA_LLM_PROVIDER": "openai",
            "MA_OPENAI_BASE_URL": f"{fake.url}/v1",
            "MA_OPENAI_MODEL": MODEL,
            "MA_LLM_FALLBACK": "none",
        }
        with (
            demo_server(tmp_path_factory.mktemp("ma-openai"), settings) as server,
            httpx.Client(base_url=server.url, timeout=30) as api,
        ):
            token = api.post(
                "/api/v1/auth/login", json={"username": "admin", "password": server.admin_password}
            ).json()["access_token"]
            api.headers["Authorization"] = f"Bearer {token}"
            name = "Boots " + "".join(random.choices(string.ascii_lowercase, k=8))
            created = api.post(
                "/api/v1/orchestrator/campaigns",
                json={"name": name, "goal": "Winter boots", "variants": [{"text": OLD_TEXT}]},
            )
            assert created.status_code == 201, created.text
            model.campaign_id = created.json()["id"]
            yesterday = datetime.now(UTC) - timedelta(days=1)
            read_at = yesterday.replace(hour=18, minute=5, second=0, microsecond=0)
            for _ in range(3):
                event = {"type": "read", "occurred_at": read_at.isoformat()}
                assert api.post("/api/v1/analytics/events", json=event).status_code == 201
            yield OpenAIApp(server, fake, model, api, name)


@pytest.fixture
def openai_page(browser: Browser, openai_app: OpenAIApp) -> Iterator[Page]:
    """A logged-in page on the OpenAI-compatible server (bypass_csp: axe-core is injected)."""
    context = browser.new_context(
        base_url=openai_app.server.url,
        viewport={"width": 1440, "height": 900},
        locale="en-US",
        bypass_csp=True,
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    log_in(page, openai_app.server.admin_password)
    yield page
    context.close()


def test_a_marketer_applies_the_variants_and_start_an_openai_compatible_model_proposed(
    openai_page: Page, openai_app: OpenAIApp
) -> None:
    page, model, name = openai_page, openai_app.model, openai_app.campaign_name
    page.get_by_role("menuitem", name="Strategist").click()
    expect(page.get_by_role("heading", name="Strategist")).to_be_visible()

    page.get_by_label("Your question").fill(f"How can {name} do better, and when should it start?")
    page.get_by_role("button", name="Ask").click()

    # While the model is still writing (its stream held open): its tool calls and the first
    # checked sentence are on screen.
    writing = page.get_by_label("Answer being written")
    # The first request of a freshly started server on a busy machine: give it time.
    expect(writing.get_by_text("estimate_reach · ok")).to_be_visible(timeout=90_000)
    expect(writing.get_by_text("propose_variants · ok")).to_be_visible()
    expect(writing.get_by_text("propose_schedule · ok")).to_be_visible()
    expect(writing).to_contain_text(re.compile(r"It would reach \d+ people"))
    model.hold.set()

    reach = model.results["c1"]["will_receive"]
    schedule = model.results["c3"]["proposal"]
    answer = page.get_by_label("Answer", exact=True)
    expect(answer).to_contain_text(f"It would reach {reach} people")
    expect(answer.get_by_text("S1 · estimate_reach")).to_be_visible()
    expect(answer.get_by_text(f"AI-generated · {MODEL}")).to_be_visible()
    expect(answer.get_by_text("Figures no tool returned were removed")).to_have_count(0)

    url = f"/api/v1/orchestrator/campaigns/{model.campaign_id}"
    before = openai_app.api.get(url).json()
    assert [v["text"] for v in before["variants"]] == [OLD_TEXT], "nothing changed on its own"
    assert before["start_at"] is None

    variants = answer.get_by_label(f"Proposed variants for {name}")
    expect(variants).to_contain_text("Test a warmth angle against the launch text.")
    expect(variants).to_contain_text("Warm feet all winter")
    expect(variants.get_by_text("safety ok", exact=False)).to_have_count(2)
    start = answer.get_by_label(f"Proposed start for {name}")
    expect(start).to_contain_text(
        f"{schedule['engaged_in_hour']} of {schedule['engaged_total']} reads and clicks"
    )
    assert_accessible(page)

    variants.get_by_role("button", name="Apply variants").click()
    expect(variants.get_by_role("link", name="Variants applied: open the campaign")).to_be_visible()
    start.get_by_role("button", name="Apply start time").click()
    start.get_by_role("link", name="Start time applied: open the campaign").click()

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_text("Warm feet all winter", exact=False).first).to_be_visible()
    after = openai_app.api.get(url).json()
    assert [v["text"] for v in after["variants"]] == [OLD_TEXT, NEW_TEXT]
    assert datetime.fromisoformat(after["start_at"]) == datetime.fromisoformat(schedule["start_at"])
    # What the server received: two streamed Chat Completions rounds with usage asked for.
    fake = openai_app.fake
    assert [r.path for r in fake.requests] == ["/v1/chat/completions"] * 2
    assert all(r.body.get("stream") is True for r in fake.requests)
    assert all(r.body["stream_options"] == {"include_usage": True} for r in fake.requests)
    assert all(r.body["model"] == MODEL for r in fake.requests)
    assert fake.hold_timeouts == 0, "the first sentence was on screen before the stream ended"

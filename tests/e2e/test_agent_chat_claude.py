"""The chat panel with Claude behind it: a second demo server whose strategist is the Claude
provider (the official SDK) pointed at a scripted Messages API on 127.0.0.1. The marketer asks for
a campaign, watches the answer stream in with its tool calls, and opens the draft it proposed."""

from __future__ import annotations

import random
import re
import string
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.agent.fake_llm import (
    FakeLLMServer,
    Recorded,
    Reply,
    claude_message,
    fake_llm,
    text_block,
    tool_use,
)
from tests.e2e.conftest import Server, assert_accessible, demo_server, log_in

pytestmark = pytest.mark.e2e

MODEL = "claude-sonnet-5-5"


@dataclass
class ScriptedClaude:
    """Claude's side of the conversation: look at the audience, propose a draft, then answer
    citing the audience's size; the last answer's end waits for `hold` (streaming shown)."""

    draft_name: str
    hold: threading.Event = field(default_factory=threading.Event)
    audience_size: int | None = None

    def __call__(self, request: Recorded) -> Reply:
        results = tool_results(request)
        if not results:
            return claude_message(
                text_block("Let me look at who could come back."),
                tool_use("t1", "describe_audience", {}),
                input_tokens=900,
                output_tokens=40,
                model=MODEL,
            )
        if len(results) == 1:
            size = re.search(r'"size": (\d+)', results[0])
            assert size, results[0]
            self.audience_size = int(size.group(1))
            variant = (
                "Hi {first_name}, we miss you! Spring favourites are back in the shop: "
                "https://shop.example/spring. Reply STOP to unsubscribe."
            )
            return claude_message(
                text_block("Here is a draft."),
                tool_use(
                    "t2",
                    "draft_campaign",
                    {
                        "name": self.draft_name,
                        "goal": "Win back customers who bought in spring",
                        "cta_url": "https://shop.example/spring",
                        "variants": [{"text": variant}],
                    },
                ),
                input_tokens=1200,
                output_tokens=120,
                model=MODEL,
            )
        answer = (
            f"There are {self.audience_size} contacts you can win back [S1]. "
            "The draft is below [S2]: create it with one click, then it goes to review."
        )
        reply = claude_message(
            text_block(answer),
            input_tokens=1500,
            output_tokens=60,
            model=MODEL,
            stop_reason="end_turn",
        )
        return Reply(reply.status, reply.body, hold=self.hold, hold_timeout_s=120)


def tool_results(request: Recorded) -> list[str]:
    return [
        block["content"]
        for message in request.body.get("messages", [])
        if isinstance(message.get("content"), list)
        for block in message["content"]
        if isinstance(block, dict) and block.get("type") == "tool_result"
    ]


@dataclass(frozen=True)
class ClaudeApp:
    server: Server
    fake: FakeLLMServer
    claude: ScriptedClaude


@pytest.fixture(scope="module")
def claude_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClaudeApp]:
    """A demo server of its own whose strategist is Claude at the scripted Messages API."""
    name = "Spring comeback " + "".join(random.choices(string.ascii_lowercase, k=8))
    claude = ScriptedClaude(draft_name=name)
    with fake_llm(claude) as fake:
        settings = {
            "MA_LLM_PROVIDER": "anthropic",
            "MA_ANTHROPIC_API_KEY": "sk-ant-e2e",
            "MA_ANTHROPIC_BASE_URL": fake.url,
            "MA_ANTHROPIC_MODEL": MODEL,
            "MA_LLM_FALLBACK": "none",
        }
        with demo_server(tmp_path_factory.mktemp("ma-claude"), settings) as server:
            yield ClaudeApp(server, fake, claude)


@pytest.fixture
def claude_page(browser: Browser, claude_app: ClaudeApp) -> Iterator[Page]:
    """A logged-in page on the Claude server (bypass_csp: axe-core is injected, as elsewhere)."""
    context = browser.new_context(
        base_url=claude_app.server.url,
        viewport={"width": 1440, "height": 900},
        locale="en-US",
        bypass_csp=True,
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    log_in(page, claude_app.server.admin_password)
    yield page
    context.close()


def test_a_marketer_plans_with_claude_in_the_chat_and_opens_the_draft(
    claude_page: Page, claude_app: ClaudeApp
) -> None:
    page, claude = claude_page, claude_app.claude
    page.get_by_role("menuitem", name="Strategist").click()
    expect(page.get_by_role("heading", name="Strategist")).to_be_visible()

    page.get_by_label("Your question").fill(
        "Plan a re-engagement campaign for customers who bought in spring"
    )
    page.get_by_role("button", name="Ask").click()

    # While Claude is still writing (its stream held open): the tool calls made so far and the
    # first checked sentence are on screen.
    writing = page.get_by_label("Answer being written")
    # The first request of a freshly started server on a busy machine: give it time.
    expect(writing.get_by_text("describe_audience · ok")).to_be_visible(timeout=90_000)
    expect(writing.get_by_text("draft_campaign · ok")).to_be_visible()
    expect(writing).to_contain_text(re.compile(r"There are \d+ contacts you can win back"))
    claude.hold.set()

    answer = page.get_by_label("Answer", exact=True)
    expect(answer).to_contain_text(f"There are {claude.audience_size} contacts you can win back")
    expect(answer.get_by_text("S1 · describe_audience")).to_be_visible()
    expect(answer.get_by_text(f"AI-generated · {MODEL}")).to_be_visible()
    answer.get_by_role("button", name=re.compile(r"^Tool calls \(2\)")).click()
    expect(answer.get_by_role("listitem").filter(has_text="draft_campaign")).to_contain_text("ok")
    assert_accessible(page)

    proposal = answer.get_by_label(f"Proposed draft {claude.draft_name}")
    expect(proposal).to_contain_text("we miss you! Spring favourites are back")
    proposal.get_by_role("button", name="Create draft").click()
    proposal.get_by_role("link", name=f"Draft “{claude.draft_name}” created: open it").click()

    expect(page.get_by_role("heading", name=claude.draft_name)).to_be_visible()
    expect(page.get_by_text("AI-generated", exact=True)).to_be_visible()
    # What Claude received: three streamed rounds, the figure it cited from the tool's result.
    fake = claude_app.fake
    assert [r.path for r in fake.requests] == ["/v1/messages"] * 3
    assert all(r.body.get("stream") is True for r in fake.requests)
    assert fake.hold_timeouts == 0, "the first sentence was on screen before the stream ended"
    assert fake.counted, "Anthropic's token count was asked before the rounds"

from __future__ import annotations

import pytest

from marketing_agent.agent.providers.offline import OfflineProvider, headline_of
from tests.agent.factories import ToolSpy, brief


@pytest.mark.parametrize("count", [1, 3, 5])
async def test_offline_plan_has_distinct_variants_that_carry_the_goal_and_link(count: int) -> None:
    spy = ToolSpy()

    plan = await OfflineProvider().plan_campaign(brief(variant_count=count), spy.tools())

    texts = [v.text for v in plan.variants]
    assert [v.key for v in plan.variants] == list("ABCDE"[:count])
    assert len(set(texts)) == count
    for text in texts:
        assert "winter sale, 20% off boots" in text
        assert "https://shop.example/winter" in text
        assert text.endswith("Reply /stop to unsubscribe.")
        assert len(text) <= 4096
    assert all(v.rationale for v in plan.variants)


async def test_offline_plan_says_plainly_it_was_made_without_an_llm() -> None:
    plan = await OfflineProvider().plan_campaign(brief(), ToolSpy().tools())

    assert plan.offline is True
    assert plan.provider == "offline"
    assert "without an LLM" in plan.strategy
    assert any("without an LLM" in note for note in plan.notes)
    assert plan.usage.input_tokens == plan.usage.output_tokens == plan.usage.cost_usd_micros == 0


async def test_offline_plan_uses_both_tools() -> None:
    spy = ToolSpy()

    plan = await OfflineProvider().plan_campaign(brief(variant_count=3), spy.tools())

    assert spy.audience_calls == 1
    assert spy.checked == [v.text for v in plan.variants]
    assert [c.name for c in plan.tool_calls] == ["describe_audience"] + ["check_content"] * 3
    assert "1200 contact(s)" in plan.strategy
    assert "boots" in plan.strategy  # the top tag


async def test_a_variant_the_safety_guard_flags_is_rewritten() -> None:
    spy = ToolSpy(flag=("Got a minute",))  # only variant B's opening question

    plan = await OfflineProvider().plan_campaign(brief(variant_count=3), spy.tools())

    a, b, c = plan.variants
    assert "Got a minute" not in b.text
    assert "Got a minute" in spy.checked[1]  # the first draft was checked and refused
    assert spy.checked[-1] == c.text and b.text in spy.checked
    assert len({a.text, b.text, c.text}) == 3
    rewritten = [n for n in plan.notes if "rewritten" in n]
    assert rewritten == [
        "Variant B was rewritten: the safety guard flagged the first draft "
        "(contains 'Got a minute')."
    ]


async def test_a_flagged_goal_is_left_out_of_the_rewrite() -> None:
    spy = ToolSpy(flag=("guaranteed",))
    goal = "Promote our GUARANTEED lowest prices on boots!!!"

    plan = await OfflineProvider().plan_campaign(brief(goal=goal, variant_count=2), spy.tools())

    for variant in plan.variants:
        assert "guaranteed" not in variant.text.lower()
        assert "https://shop.example/winter" in variant.text
    assert len({v.text for v in plan.variants}) == 2
    assert sum("rewritten" in n for n in plan.notes) == 2
    assert not any("still flagged" in n for n in plan.notes)


async def test_a_variant_still_flagged_after_rewriting_is_handed_to_a_reviewer() -> None:
    spy = ToolSpy(flag=("unsubscribe",))  # every draft has the opt-out line

    plan = await OfflineProvider().plan_campaign(brief(variant_count=1), spy.tools())

    assert len(spy.checked) == 3  # the draft, the sober rewrite, the neutral rewrite
    assert any("still flagged" in n and "reviewer" in n for n in plan.notes)
    assert plan.variants[0].text == spy.checked[-1]


async def test_an_unknown_tone_and_another_language_are_noted() -> None:
    plan = await OfflineProvider().plan_campaign(
        brief(tone="sarcastic", language="de"), ToolSpy().tools()
    )

    assert any("tone 'sarcastic'" in n for n in plan.notes)
    assert any("English only" in n and "'de'" in n for n in plan.notes)


async def test_a_formal_tone_changes_the_greeting_and_no_link_asks_for_a_reply() -> None:
    plan = await OfflineProvider().plan_campaign(
        brief(tone="formal", call_to_action_url=None, variant_count=1), ToolSpy().tools()
    )

    assert plan.variants[0].text.startswith("Dear {first_name},")
    assert "Reply to this message" in plan.variants[0].text


async def test_a_failing_audience_tool_does_not_stop_the_plan() -> None:
    spy = ToolSpy()

    async def broken() -> dict[str, object]:
        raise RuntimeError("database is down")

    tools = spy.tools()
    tools.describe_audience = broken

    plan = await OfflineProvider().plan_campaign(brief(), tools)

    assert len(plan.variants) == 2
    assert "audience summary was unavailable" in plan.strategy
    assert plan.tool_calls[0].output_summary.startswith("error:")


@pytest.mark.parametrize(
    ("goal", "headline"),
    [
        ("Announce our winter sale, 20% off boots", "our winter sale, 20% off boots"),
        ("Tell our customers about the new store in Lyon.", "the new store in Lyon"),
        ("Let people know that we open on Sundays now!", "we open on Sundays now"),
        ("Winter sale: 20% off boots", "Winter sale: 20% off boots"),
    ],
)
def test_the_goal_becomes_news_for_the_recipient(goal: str, headline: str) -> None:
    assert headline_of(goal) == headline

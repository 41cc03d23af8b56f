from __future__ import annotations

import re

import pytest

from marketing_agent.agent.providers.copy_templates import COPY, TONE_NAMES
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


async def test_an_unknown_tone_and_a_language_without_templates_are_noted() -> None:
    plan = await OfflineProvider().plan_campaign(
        brief(tone="sarcastic", languages=["ja", "de"]), ToolSpy().tools()
    )

    assert any("tone 'sarcastic'" in n for n in plan.notes)
    assert any("no text was written for 'ja'" in n for n in plan.notes)
    assert all(v.language == "de" for v in plan.variants)
    assert all(v.text.endswith("Zum Abbestellen antworten Sie mit /stop.") for v in plan.variants)


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


# What a marketer types into the free-text goal: some of it is news, much of it is a brief.
BRIEFS_WITH_INSTRUCTIONS = [
    "Tell our subscribers who like boots about the new winter boots collection and get them "
    "to click through to the shop",
    "We want our customers to know the spring sale starts Monday, make sure they open the link",
    "Remind users that their cart is waiting, try to get them to buy",
    "Let everyone know about the new store in Lyon; target people who bought last year",
    "Push the VIP segment to upgrade, they should feel special",
    "Get them to download the app, our audience loves discounts",
    "Encourage customers who visited last week to come back for 10% off",
]
INSTRUCTION_WORDS = (
    "get them",
    "tell our",
    "subscribers",
    "customers",
    "make sure",
    "we want",
    "who like",
    "click through",
    "target",
    "segment",
    "they should",
    "our audience",
    "try to",
)


@pytest.mark.parametrize("goal", BRIEFS_WITH_INSTRUCTIONS)
async def test_instructions_in_the_brief_never_reach_the_customer(goal: str) -> None:
    plan = await OfflineProvider().plan_campaign(
        brief(goal=goal, variant_count=5), ToolSpy().tools()
    )

    for variant in plan.variants:
        for text in [variant.text, *variant.translations.values()]:
            lowered = text.lower()
            assert not [w for w in INSTRUCTION_WORDS if w in lowered], text
            assert text.endswith("Reply /stop to unsubscribe.")
    assert any("reads as instructions" in n for n in plan.notes)
    assert goal not in plan.strategy


@pytest.mark.parametrize(
    "fields",
    [
        {"product": "Winter boots", "offer": "20% off"},
        {"product": "The Lyon store", "offer": "Open on Sundays now"},
        {"offer": "Free delivery on every order"},
        {"product": "Our new app"},
    ],
)
async def test_a_structured_brief_is_written_as_a_headline_with_its_call_to_action(
    fields: dict[str, str],
) -> None:
    plan = await OfflineProvider().plan_campaign(
        brief(goal="", call_to_action="Shop the boots", variant_count=3, **fields),
        ToolSpy().tools(),
    )

    for variant in plan.variants:
        for value in fields.values():
            assert value in variant.text or value[:1].upper() + value[1:] in variant.text
        assert "Shop the boots: https://shop.example/winter" in variant.text
    assert len({v.text for v in plan.variants}) == 3


async def test_each_audience_language_gets_its_own_text_of_every_variant() -> None:
    spy = ToolSpy(audience={"size": 900, "languages": {"fr": 500, "de": 300, "en": 100}})

    plan = await OfflineProvider().plan_campaign(
        brief(goal="", product="Winter boots", offer="20% off", variant_count=2), spy.tools()
    )

    for variant in plan.variants:
        assert variant.language == "en"
        assert set(variant.translations) == {"fr", "de"}
        assert variant.translations["fr"].endswith("Pour vous désabonner, répondez /stop.")
        assert variant.translations["de"].endswith("Zum Abbestellen antworten Sie mit /stop.")
        assert "Winter boots: 20% off." in variant.text
        # No French or German words for the product were given: the texts say the offer only.
        assert "20 % de réduction." in variant.translations["fr"]
        assert "20 % Rabatt." in variant.translations["de"]
        assert "Winter boots" not in variant.translations["fr"] + variant.translations["de"]
    assert spy.checked.count(plan.variants[0].translations["fr"]) == 1  # every text is checked
    assert "Français" in plan.strategy and "Deutsch" in plan.strategy


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "until 7 December"),
        ("ru", "до 7 декабря"),
        ("de", "bis 7. Dezember"),
        ("fr", "jusqu'au 7 décembre"),
        ("es", "hasta el 7 de diciembre"),
        ("pt", "até 7 de dezembro"),
    ],
)
async def test_the_deadline_is_written_in_each_language(language: str, words: str) -> None:
    plan = await OfflineProvider().plan_campaign(
        brief(goal="", product="Boots", offer="-20%", deadline="2026-12-07", languages=[language]),
        ToolSpy().tools(),
    )

    assert all(words in v.text for v in plan.variants)


def test_a_brief_must_say_what_it_is_about() -> None:
    with pytest.raises(ValueError, match="give the product or the offer"):
        brief(goal="")


_SAME_LINE_AFTER_SALUTATION = re.compile(r"\{first_name\}\s*[,:] +\S")
# Informal forms a text that says "Sie" / "usted"-free "tú" must never mix in.
_MIXED_REGISTER = {
    "de": re.compile(r"\b(du|dich|dir|dein\w*|hast|rate)\b", re.IGNORECASE),
    "es": re.compile(r"\b(usted|le|permite)\b", re.IGNORECASE),
}


@pytest.mark.parametrize("tone", TONE_NAMES)
@pytest.mark.parametrize("language", sorted(COPY))
async def test_every_offline_text_reads_as_one_marketers_letter(language: str, tone: str) -> None:
    plan = await OfflineProvider(risk_threshold=0.5).plan_campaign(
        brief(
            goal="",
            product="Winter boots",
            offer="20% off",
            tone=tone,
            language=language,
            languages=[language],
            variant_count=5,
        ),
        ToolSpy().tools(),
    )

    texts = [v.text for v in plan.variants]
    assert len(set(texts)) == 5
    for text in texts:
        assert "$" not in text and set(re.findall(r"\{\w+\}", text)) <= {"{first_name}"}
        assert not _SAME_LINE_AFTER_SALUTATION.search(text), f"salutation runs on: {text!r}"
        assert "  " not in text and " ." not in text.replace(" ...", "")
        register = _MIXED_REGISTER.get(language)
        assert register is None or not register.search(text), f"mixed register: {text!r}"
        assert text.endswith(COPY[language].opt_out)
        assert re.search("Winter boots ?: 20% off", text)  # French sets the colon off

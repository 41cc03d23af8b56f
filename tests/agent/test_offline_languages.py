"""The offline strategist writes each language as a marketer would send it: an English brief for
a Russian, German, French, Spanish or Portuguese audience never leaves English words (beyond
the product's name) in their texts, and what it could not translate it says."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.agent.providers.copy_templates import COPY
from marketing_agent.agent.providers.offers import read_offer, say_offer
from marketing_agent.agent.providers.offline import OfflineProvider
from marketing_agent.agent.providers.product_names import name_in
from marketing_agent.agent.schemas import CampaignPlan
from tests.agent.factories import ToolSpy, brief
from tests.factories import database_of, headers_for, make_sender

FOREIGN = ["ru", "de", "fr", "es", "pt"]
URL = "https://shop.example/winter"
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Common offers: each language says them in its own words.
COMMON_OFFERS = [
    "20% off",
    "-15%",
    "up to 50% off",
    "€10 off",
    "free shipping",
    "20% off + free shipping",
    "buy one, get one free",
    "2 for 1",
    "a free gift",
]


async def plan_of(**fields: Any) -> CampaignPlan:
    return await OfflineProvider().plan_campaign(
        brief(goal="", call_to_action_url=URL, **fields), ToolSpy().tools()
    )


def words_of(text: str, *, leaving_out: tuple[str, ...] = ()) -> set[str]:
    """Returns the words a customer reads, without the placeholder, the link, the /stop
    command and the given names."""
    for name in (*leaving_out, URL, "{first_name}", "/stop"):
        text = text.replace(name, " ")
    return {w.lower() for w in _WORD.findall(text)}


def vocabulary(language: str) -> set[str]:
    """Returns every word the templates of `language` can write."""
    copy = COPY[language]
    parts = [
        *copy.greetings.values(),
        *copy.questions.values(),
        copy.personal,
        copy.helpful,
        *(t.template for t in copy.cta_with_link.values()),
        copy.cta_reply,
        copy.until.template,
        *copy.months,
        copy.opt_out,
        *copy.neutral,
        copy.offers.percent_off.template,
        copy.offers.up_to_percent_off.template,
        copy.offers.amount_off.template,
        copy.offers.free_shipping,
        copy.offers.two_for_one,
        copy.offers.free_gift,
        copy.offers.special_offer,
        copy.offers.joined_by,
    ]
    return words_of(" ".join(parts))


def english_only(language: str) -> set[str]:
    """Returns the English words (templates and the brief's own) that `language` never uses."""
    brief_words = words_of("Shop the boots off until for subscribers " + " ".join(COMMON_OFFERS))
    return (vocabulary("en") | brief_words) - vocabulary(language)


@pytest.mark.parametrize("offer", COMMON_OFFERS)
@pytest.mark.parametrize("tone", ["friendly", "formal"])
async def test_an_english_brief_is_written_in_each_audiences_own_words(
    offer: str, tone: str
) -> None:
    plan = await plan_of(
        product="Winter boots",
        offer=offer,
        deadline="2026-12-07",
        call_to_action="Shop the boots",
        tone=tone,
        language="en",
        languages=["en", *FOREIGN],
        variant_count=5,
    )

    for variant in plan.variants:
        assert "Shop the boots: " + URL in variant.text  # the brief's own lead, in English
        assert set(variant.translations) == set(FOREIGN)
        for language, text in variant.translations.items():
            # The product is ordinary English wording with no words given for this language:
            # left out, never quoted into the text.
            assert "Winter boots" not in text and "boots" not in text.lower(), text
            mixed = words_of(text) & english_only(language)
            assert not mixed, f"English words {mixed} in the {language} text: {text!r}"
            said = say_offer(read_offer(offer) or [], COPY[language].offers)
            assert said.casefold() in text.casefold()  # it may open the sentence now
            assert text.endswith(COPY[language].opt_out)


async def test_a_russian_text_is_cyrillic_apart_from_the_products_name() -> None:
    plan = await plan_of(
        product="Winter boots by Aurora",
        offer="20% off",
        deadline="2026-12-07",
        call_to_action="Shop the boots",
        languages=["ru"],
        variant_count=5,
    )

    for variant in plan.variants:
        assert variant.language == "ru" and not variant.translations
        latin = [w for w in words_of(variant.text, leaving_out=("«Aurora»",)) if w.isascii()]
        assert latin == [], variant.text
    # Only the name is quoted: its English description is left out.
    assert "«Aurora»: скидка 20% до 7 декабря." in plan.variants[0].text
    [note] = [n for n in plan.notes if "Winter boots by Aurora" in n]
    assert "Русский" in note and "name only 'Aurora'" in note and "translations" in note


async def test_a_product_that_is_a_name_is_quoted_and_noted_with_how_to_give_its_words() -> None:
    plan = await plan_of(
        product="Nike Air Max", offer="20% off", languages=["en", "de", "es"], variant_count=1
    )

    assert "„Nike Air Max“: 20 % Rabatt." in plan.variants[0].translations["de"]
    assert "«Nike Air Max»: 20 % de descuento." in plan.variants[0].translations["es"]
    [note] = [n for n in plan.notes if "Nike Air Max" in n]
    assert "Deutsch, Español" in note and "brand name" in note and "--product-in" in note


BRIEFS_WITHOUT_TRANSLATIONS = [
    # (product, offer, the words no foreign text may carry)
    ("Winter boots", "20% off", ["Winter", "boots"]),
    ("Wool scarves and warm gloves", "free shipping", ["Wool", "scarves", "gloves"]),
    ("Our new spring collection", None, ["spring", "collection"]),
    ("Handmade leather wallets", "€10 off", ["Handmade", "leather", "wallets"]),
    ("Organic coffee beans", "buy one, get one free", ["Organic", "coffee", "beans"]),
]


@pytest.mark.parametrize(("product", "offer", "english"), BRIEFS_WITHOUT_TRANSLATIONS)
async def test_an_untranslated_description_never_reaches_the_foreign_texts(
    product: str, offer: str | None, english: list[str]
) -> None:
    plan = await plan_of(
        product=product,
        offer=offer,
        deadline="2026-12-07",
        languages=["en", *FOREIGN],
        variant_count=3,
    )

    for variant in plan.variants:
        assert product in variant.text, "the brief's own language says it as typed"
        for language, text in variant.translations.items():
            for word in english:
                assert word.lower() not in words_of(text), f"{word!r} in the {language}: {text}"
            if offer is not None:
                said = say_offer(read_offer(offer) or [], COPY[language].offers)
                assert said.casefold() in text.casefold()
            else:
                assert text.endswith(COPY[language].opt_out)  # a neutral line, still a message
    [note] = [n for n in plan.notes if f"'{product}'" in n]
    for language in FOREIGN:
        assert COPY[language].name in note, note
    assert "translations" in note and '"product"' in note and "leave it out" in note


async def test_a_given_translation_is_used_and_only_the_other_languages_are_noted() -> None:
    plan = await plan_of(
        product="Winter boots",
        offer="20% off",
        languages=["en", "fr", "de"],
        translations={"fr": {"product": "Bottes d'hiver"}},
        variant_count=1,
    )

    assert "Bottes d'hiver : 20 % de réduction." in plan.variants[0].translations["fr"]
    assert "boots" not in plan.variants[0].translations["de"].lower()
    assert plan.variants[0].translations["de"].count("20 % Rabatt") == 1
    [note] = [n for n in plan.notes if "'Winter boots'" in n]
    assert "Deutsch" in note and "Français" not in note
    assert '"de": {"product"' in note, "the example names the language that lacks it"


async def test_the_marketers_own_words_per_language_are_used_as_given() -> None:
    plan = await plan_of(
        product="Winter boots",
        offer="20% off for subscribers",
        call_to_action="Shop the boots",
        language="en",
        languages=["en", "ru"],
        translations={
            "ru": {
                "product": "Зимние ботинки",
                "offer": "скидка 20% для подписчиков",
                "call_to_action": "Выбрать ботинки",
            }
        },
        variant_count=3,
    )

    for variant in plan.variants:
        russian = variant.translations["ru"]
        assert "Зимние ботинки: скидка 20% для подписчиков." in russian
        assert f"Выбрать ботинки: {URL}" in russian
        assert [w for w in words_of(russian) if w.isascii()] == []
        assert "Winter boots: 20% off for subscribers." in variant.text
    assert not any("cannot translate" in note for note in plan.notes)


async def test_an_offer_in_free_wording_is_never_quoted_in_another_language() -> None:
    plan = await plan_of(
        product="Winter boots",
        offer="20% off for subscribers",
        languages=["en", "de", "pt"],
        translations={"de": {"product": "Winterstiefel"}},
        variant_count=2,
    )

    for variant in plan.variants:
        assert "20% off for subscribers" in variant.text
        german, portuguese = variant.translations["de"], variant.translations["pt"]
        assert "Winterstiefel: ein Sonderangebot." in german
        assert "Uma oferta especial." in portuguese and "Winter boots" not in portuguese
        for language, text in (("de", german), ("pt", portuguese)):
            leftover = words_of(text) & english_only(language)
            assert not leftover, text
    [note] = [n for n in plan.notes if "free wording" in n]
    assert "'20% off for subscribers'" in note and "Deutsch, Português" in note
    assert "'ein Sonderangebot'" in note


async def test_a_brief_written_in_russian_for_an_english_audience_says_the_offer_in_english() -> (
    None
):
    plan = await plan_of(
        product="Зимние ботинки",
        offer="скидка 20%",
        deadline="2026-12-07",
        call_to_action="Выбрать ботинки",
        language="ru",
        languages=["en", "ru"],
        variant_count=2,
    )

    for variant in plan.variants:
        assert variant.language == "en"
        # No English words for the product: the English text says the offer, no Russian prose.
        assert "20% off until 7 December." in variant.text
        assert "Зимние" not in variant.text
        assert "Выбрать" not in variant.text  # the Russian lead stays in the Russian text
        assert "Зимние ботинки: скидка 20% до 7 декабря." in variant.translations["ru"]
        assert f"Выбрать ботинки: {URL}" in variant.translations["ru"]


async def test_a_free_text_goal_is_quoted_only_in_its_own_language() -> None:
    plan = await OfflineProvider().plan_campaign(
        brief(goal="Our winter sale is here", language="en", languages=["ru", "en"]),
        ToolSpy().tools(),
    )

    for variant in plan.variants:
        assert variant.language == "ru"
        assert "winter sale" not in variant.text.lower()
        assert [w for w in words_of(variant.text) if w.isascii()] == []
        assert "Our winter sale is here." in variant.translations["en"]
    assert any("Русский" in note and "neutral line" in note for note in plan.notes)


@pytest.mark.parametrize(
    ("offer", "said"),
    [
        ("20% off", {"en": "20% off", "ru": "скидка 20%", "de": "20 % Rabatt"}),
        ("Save 12.5%", {"en": "12.5% off", "fr": "12,5 % de réduction"}),
        ("$10 off", {"en": "$10 off", "es": "10 $ de descuento"}),
        ("10 EUR off", {"en": "10 EUR off", "pt": "10 EUR de desconto"}),
        ("Free delivery", {"en": "free shipping", "pt": "frete grátis"}),
        ("20% off & free shipping", {"de": "20 % Rabatt und kostenloser Versand"}),
        ("скидка 20%", {"en": "20% off"}),
        ("2-for-1", {"fr": "deux pour le prix d'un"}),
    ],
)
def test_a_common_offer_is_said_in_each_languages_words(offer: str, said: dict[str, str]) -> None:
    terms = read_offer(offer)

    assert terms is not None
    for language, words in said.items():
        assert say_offer(terms, COPY[language].offers) == words


@pytest.mark.parametrize(
    "offer", ["20% off for subscribers", "Early access for members", "30% off, today only"]
)
def test_free_wording_is_not_taken_for_a_common_offer(offer: str) -> None:
    assert read_offer(offer) is None


async def test_a_campaign_from_the_api_uses_the_words_per_language_and_keeps_the_notes(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)

    created = await client.post(
        "/api/v1/orchestrator/campaigns",
        json={
            "name": "Boots",
            "brief": {
                "product": "Winter boots",
                "offer": "20% off",
                "language": "en",
                "languages": ["en", "ru", "de"],
                "translations": {"ru": {"product": "Зимние ботинки"}},
            },
            "cta_url": URL,
            "variant_count": 2,
        },
        headers=headers,
    )

    assert created.status_code == 201, created.text
    campaign = created.json()
    for variant in campaign["variants"]:
        assert "Зимние ботинки: скидка 20%." in variant["translations"]["ru"]
        assert "Rabatt" in variant["translations"]["de"]
        assert "Winter boots" not in variant["translations"]["de"]
    notes = campaign["agent_notes"]
    assert any("without an LLM" in note for note in notes)
    assert any("'Winter boots'" in note and "Deutsch" in note for note in notes)
    fetched = await client.get(f"/api/v1/orchestrator/campaigns/{campaign['id']}", headers=headers)
    assert fetched.json()["agent_notes"] == notes


async def test_words_for_a_language_that_is_no_tag_are_a_422_at_their_field(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db)

    response = await client.post(
        "/api/v1/orchestrator/campaigns",
        json={
            "name": "Boots",
            "brief": {"product": "Boots", "translations": {"x": {"product": "Stiefel"}}},
        },
        headers=headers,
    )

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"][:3] == ["body", "brief", "translations"]
    assert "not a BCP 47 language tag" in error["msg"]


@pytest.mark.parametrize(
    ("product", "name"),
    [
        ("Winter boots", None),
        ("Our new spring collection", None),
        ("Aurora winter boots", None),  # a leading capital is the sentence's: quote the brand
        ("Winter boots by Aurora", "Aurora"),
        ("“Aurora” winter boots", "Aurora"),
        ("iPhone 16 cases", "iPhone 16"),
        ("Nike Air Max", "Nike Air Max"),
        ("Boots", "Boots"),
    ],
)
def test_the_proper_name_in_a_product_is_what_other_languages_quote(
    product: str, name: str | None
) -> None:
    assert name_in(product) == name

"""A blocked phrase is found however the text disguises it, and ordinary texts stay clean."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketing_agent.safety.content import check_text, compile_blacklist, default_blacklist_with
from marketing_agent.safety.normalise import (
    READINGS_MARKER,
    QuickReadings,
    SentenceReadings,
    normalise,
    quick_readings,
)
from marketing_agent.safety.phrases import Phrase, PhraseMatcher

MATCHER = PhraseMatcher(
    [
        Phrase("free money", "block"),
        Phrase("get rich quick", "block"),
        Phrase("без риска", "block"),
        Phrase("100% free", "block"),
        Phrase("easy cash", "block"),
    ]
)


def found(text: str) -> list[tuple[str, str]]:
    return [(m.phrase.text, m.matched) for m in MATCHER.find(text)]


@pytest.mark.parametrize(
    ("evasion", "text", "matched"),
    [
        ("case", "Claim your FREE MONEY now", "FREE MONEY"),
        ("nfkc_fullwidth", "Claim your ｆｒｅｅ ｍｏｎｅｙ now", "ｆｒｅｅ ｍｏｎｅｙ"),
        ("nfkc_math_letters", "Claim your 𝐟𝐫𝐞𝐞 𝐦𝐨𝐧𝐞𝐲 now", "𝐟𝐫𝐞𝐞 𝐦𝐨𝐧𝐞𝐲"),
        ("confusables_cyrillic", "Claim your frее mоnеy now", "frее mоnеy"),  # е, о Cyrillic
        ("confusables_greek", "Claim your frεε mοnεy now", "frεε mοnεy"),
        ("confusables_latin_in_russian", "Работаем бeз pиска!", "бeз pиска"),  # e, p Latin
        ("diacritics", "Claim your fréé mönéy now", "fréé mönéy"),
        ("zero_width", "Claim your fr\u200bee mo\u200dney now", "fr\u200bee mo\u200dney"),
        ("soft_hyphen_and_bom", "Claim your fr\u00adee\ufeff money", "fr\u00adee\ufeff money"),
        ("separator_hyphen", "Claim your free-money now", "free-money"),
        ("separator_underscore", "Claim your free_money now", "free_money"),
        ("separator_dots_between_letters", "Claim your f.r.e.e m.o.n.e.y now", "f.r.e.e m.o.n.e.y"),
        ("separator_spaces_between_letters", "Claim your f r e e money now", "f r e e money"),
        ("separator_mixed", "Claim your f-r-e-e_m o n e y!", "f-r-e-e_m o n e y"),
        ("words_run_together", "Claim your freemoney now", "freemoney"),
        ("words_partly_run_together", "Learn to GetRich quick", "GetRich quick"),
        ("leetspeak", "Claim your fr33 m0n3y now", "fr33 m0n3y"),
        ("leetspeak_symbols", "Make ea$y ca$h t@day", "ea$y ca$h"),
        ("leetspeak_in_numbers", "It is 1OO% FR33 today", "1OO% FR33"),
        ("repeated_letters", "Claim your freeeeee moneyyyy now", "freeeeee moneyyyy"),
        ("everything_at_once", "Claim your Ｆ.r.3.ё m\u200b0neyyy", "Ｆ.r.3.ё m\u200b0neyyy"),
    ],
)
def test_each_evasion_class_is_caught_and_located_in_the_original(
    evasion: str, text: str, matched: str
) -> None:
    matches = MATCHER.find(text)

    assert [m.matched for m in matches] == [matched], evasion
    start, end = matches[0].span
    assert text[start:end] == matched


@pytest.mark.parametrize(
    "text",
    [
        "A first-class assessment of the classics",  # "ass" inside words
        "Essex and Sussex shellfish, a cucumber title",
        "Hello, assistant: the Scunthorpe document",
        "As you like it: as seen on TV",  # "as" is not "ass"
        "Oscar's camera",  # "s cam" is not "scam"
    ],
)
def test_a_phrase_never_matches_inside_longer_words_or_across_unsplit_words(text: str) -> None:
    words = ("ass", "sex", "hell", "cum", "tit", "scam")
    traps = PhraseMatcher([Phrase(w, "block") for w in words])

    assert traps.find(text) == []


WORD = PhraseMatcher([Phrase("free", "block"), Phrase("viagra", "block")])


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("Claim it fr-ee today", "fr-ee"),
        ("Claim it f-ree today", "f-ree"),
        ("Claim it fre_e today", "fre_e"),
        ("Claim it fr.ee today", "fr.ee"),
        ("Claim it fr*ee today", "fr*ee"),
        ("Claim it fr--ee today", "fr--ee"),
        ("Claim it f.r.e.e today", "f.r.e.e"),
        ("Claim it fr\u2013ee today", "fr\u2013ee"),  # an en dash
        ("Claim it fr\U0001f525ee today", "fr\U0001f525ee"),  # an emoji between the letters
        ("Cheap via-gra, fr-ee shipping", "via-gra"),
        ("Claim it FR-3E today", "FR-3E"),
    ],
)
def test_a_word_split_by_punctuation_inside_it_is_caught(text: str, matched: str) -> None:
    matches = WORD.find(text)

    assert matches and matches[0].matched == matched
    start, end = matches[0].span
    assert text[start:end] == matched


@pytest.mark.parametrize(
    "text",
    [
        "Come for ee-commerce tips",  # "for ee": a real word boundary (white space)
        "It is fr ee",  # two words with a space between are two words
        "Freedom and carefree days at shop.example.com/freedom",
        "Our via gra(n)de menu, fre e-books",
    ],
)
def test_white_space_stays_a_word_boundary_when_punctuation_is_glued(text: str) -> None:
    assert WORD.find(text) == []


def test_a_number_is_not_taken_for_a_word_in_leetspeak() -> None:
    matcher = PhraseMatcher([Phrase("so", "block"), Phrase("be", "block")])

    assert matcher.find("Only 50 left, 8 boxes") == []
    assert [m.matched for m in matcher.find("s0 it will 8e")] == ["s0", "8e"]


def test_letters_spelt_out_in_ordinary_text_are_not_joined_below_three() -> None:
    assert found("a b free money") == [("free money", "free money")]
    assert normalise("I a m").text == " iam "
    assert normalise("I am").text == " i am "


# Ordinary marketing texts in the six languages the workspace uses: nothing may fire on them.
CLEAN_MARKETING = [
    "Hi Anna, our spring collection has arrived. Come and see the new linen shirts this week.",
    "Thank you for your order #10442. It ships on Monday; track it at https://shop.example.com",
    "Our classic assortment is back: glasses, cushions and a first-class espresso machine.",
    "Members get 15% off hand-made soaps until Sunday. See you at the Essex store!",
    "Привет, Анна! Новая коллекция льняных рубашек уже в магазине. Заходите на этой неделе.",
    "Спасибо за заказ. Мы доставим его в четверг с 10:00 до 14:00.",
    "Hola Ana, ya llegó nuestra colección de primavera. Ven a ver las camisas de lino.",
    "Gracias por tu compra. Tu pedido llegará el martes; puedes seguirlo en nuestra web.",
    "Hallo Anna, unsere Frühjahrskollektion ist da. Schau dir die neuen Leinenhemden an.",
    "Vielen Dank für Ihre Bestellung. Größe 42 ist wieder verfügbar, Grüße aus München.",
    "Bonjour Anne, notre collection de printemps est arrivée. Découvrez nos chemises en lin.",
    "Merci pour votre commande : elle sera livrée jeudi. À bientôt dans notre boutique !",
    "Olá Ana, a nossa coleção de primavera chegou. Venha ver as camisas de linho.",
    "Obrigado pela sua compra. O pedido chega na quarta-feira, das 9h às 18h.",
    "Webinar on 12.03 at 18:00 (CET): how to care for linen. Register in the app.",
]


@pytest.mark.parametrize("text", CLEAN_MARKETING)
def test_ordinary_marketing_texts_stay_clean(text: str) -> None:
    verdict = check_text(text)

    assert verdict.reasons == [], [r.message for r in verdict.reasons]


def test_the_default_lists_catch_disguised_phrases_at_their_severity() -> None:
    blacklist = default_blacklist_with([("mega deal", "block")])

    verdict = check_text("Our M-E-G-A D3AL is here", blacklist=blacklist)

    assert not verdict.allowed
    reason = verdict.reasons[0]
    assert reason.code == "blacklist_term" and reason.match == "M-E-G-A D3AL"


def test_a_term_given_twice_keeps_its_last_severity_whatever_its_spelling() -> None:
    blacklist = compile_blacklist((("Flash Sale", "info"), ("flash-sale", "block")))

    assert [r.severity for r in blacklist.find("FLASH SALE today")] == ["block"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_every_normalised_position_points_into_the_original_text(text: str) -> None:
    norm = normalise(text)

    assert norm.text.startswith(" ") and norm.text.endswith(" ")
    assert "  " not in norm.text
    for position in range(1, len(norm.text) - 1):
        start, end = norm.span(position, position)
        assert 0 <= start <= end <= len(text)


PIECES = ["f", "r", "e", "ee", " ", ".", "-", "*", "\u200b", "\u0301", "Ё", "3", "é", "ｆ", "𝐟"]
PIECES += ["\U0001f525", "\ufe0f", "ﬁ", "\ue000", "\ud800", "money", "A"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=16))
def test_the_quick_readings_are_exactly_the_two_normalised_readings(pieces: list[str]) -> None:
    text = "".join(pieces)

    quick = quick_readings(text)

    if quick is not None:
        spaced, glued = quick.text.split(READINGS_MARKER)
        assert spaced == normalise(text).text
        assert glued == normalise(text, glued=True).text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=16))
def test_the_quick_path_finds_what_the_full_normalisation_finds(pieces: list[str]) -> None:
    text = "".join(pieces)
    matcher = PhraseMatcher([Phrase("free"), Phrase("free money"), Phrase("fee"), Phrase("ре")])

    assert matcher.find(text) == matcher._find_exact([text])[0]


SENTENCE_PIECES = [*PIECES, ". ", ". ", "\n", "..", "!", "\ue002"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(SENTENCE_PIECES), max_size=12).map("".join), min_size=1, max_size=6
    ),
    st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=8),
)
def test_texts_read_from_kept_sentences_read_as_texts_read_whole(
    pool: list[str], picks: list[int]
) -> None:
    # Texts made of the same sentences again and again: they are read from kept sentences.
    readings = SentenceReadings(limit=8)
    for count, pick in enumerate(picks, start=1):
        text = ". ".join(pool[(pick + k) % len(pool)] for k in range(count))

        kept = readings.of(text)

        quick = quick_readings(text)
        assert (kept.text if isinstance(kept, QuickReadings) else kept) == (quick and quick.text)


def test_a_matcher_that_keeps_sentences_finds_what_one_that_keeps_none_finds() -> None:
    phrases = [Phrase("free money", "block"), Phrase("get rich quick"), Phrase("fee")]
    keeping, reading_whole = PhraseMatcher(phrases), PhraseMatcher(phrases, sentences_kept=0)
    template = "Hi {}, our spring sale is on. Get rich quick!\nNo fr-ee money. Fr33 m0ney. Bye"
    texts = [template.format(name) for name in ["Anna", "Boris", "Anna", "Маша", "Anna"] * 3]

    assert [keeping.find(t) for t in texts] == [reading_whole.find(t) for t in texts]
    assert [m.phrase.text for m in keeping.find(texts[-1])] == ["get rich quick", "free money"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["x", " ", ".", "\u200b", "-", "Ё", "3"]), max_size=12),
    st.lists(st.sampled_from(["x", " ", ".", "\u200b", "-", "Ё", "3"]), max_size=12),
)
def test_a_phrase_is_found_wherever_it_stands_between_word_breaks(
    before: list[str], after: list[str]
) -> None:
    text = "".join(before) + " free money " + "".join(after)

    matches = MATCHER.find(text)

    assert [m.phrase.text for m in matches] == ["free money"]
    start, end = matches[0].span
    assert text[start:end] == "free money"


def test_a_chunk_of_texts_scanned_at_once_gives_what_each_text_gives_alone() -> None:
    texts = [
        "Claim your fr33 money",
        "f r e e",  # spelt letters at a text's end do not join the next text's
        "m o n e y and GetRich quick",
        "",
        "Бeз pиска!",
        "Nothing here",
    ]

    assert MATCHER.find_many(texts) == [MATCHER.find(t) for t in texts]
    assert [len(found) for found in MATCHER.find_many(texts)] == [1, 0, 1, 0, 1, 0]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from([*CLEAN_MARKETING, "free money", "f.r.e.e", "m-o-n-e-y"]), max_size=6)
)
def test_scanning_a_chunk_never_changes_any_text_s_findings(texts: list[str]) -> None:
    assert MATCHER.find_many(texts) == [MATCHER.find(t) for t in texts]


def test_a_policy_checks_a_chunk_of_renders_as_it_checks_each_alone() -> None:
    from marketing_agent.safety.service import ContentPolicy

    texts = ["Claim your fr33 m0ney!!!", "Hi Anna, new linen shirts", "Card 4111 1111 1111 1111"]
    texts.append(texts[0])
    chunk = ContentPolicy(default_blacklist_with()).check_many(texts)
    alone = [ContentPolicy(default_blacklist_with()).check(t) for t in texts]

    assert chunk == alone
    assert [v.decision for v in chunk] == ["allow", "allow", "block", "allow"]
    assert [r.code for r in chunk[0].reasons] == ["blacklist_term", "exclamations"]

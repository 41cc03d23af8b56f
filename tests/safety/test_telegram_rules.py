"""Telegram's rules, spam signals and links: each rule fires on its example, with its span, and one
verdict (allow, review or block) explains itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketing_agent.safety import telegram_rules
from marketing_agent.safety.content import check_text
from marketing_agent.safety.links import check_links
from marketing_agent.safety.telegram_rules import (
    CAPTION_MAX,
    OPT_OUT_LINE,
    check_buttons,
    check_length,
    ensure_opt_out,
    has_opt_out,
    render,
)
from marketing_agent.telegram.transport import Button


def codes(text: str, **kwargs: object) -> list[str]:
    return [r.code for r in check_text(text, **kwargs).reasons]  # type: ignore[arg-type]


def test_length_is_counted_in_utf16_units_after_html_is_rendered() -> None:
    markup = "<b>" + "x" * 4000 + "</b>" + '<a href="https://shop.example.com">' + "y" * 96 + "</a>"

    assert len(markup) > 4096
    assert check_length(markup, parse_mode="HTML") == []
    assert [r.code for r in check_length(markup + "z", parse_mode="HTML")] == ["too_long"]
    assert [r.code for r in check_length("😀" * 513, max_len=CAPTION_MAX)] == ["too_long"]
    assert check_length("😀" * 512, max_len=CAPTION_MAX) == []


def test_length_after_markdown_v2_counts_what_is_shown() -> None:
    text = "*" + "x" * 4090 + "* \\!\\!"

    assert render(text, "MarkdownV2").text == "x" * 4090 + " !!"
    assert check_length(text, parse_mode="MarkdownV2") == []


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("<b>bold", "HTML"),
        ("<b>bold</i>", "HTML"),
        ("<div>block</div>", "HTML"),
        ("Fish & chips", "HTML"),
        ("1 < 2", "HTML"),
        ("Sale ends today.", "MarkdownV2"),  # '.' must be escaped
        ("*bold", "MarkdownV2"),
    ],
)
def test_malformed_markup_for_the_parse_mode_blocks(text: str, mode: str) -> None:
    verdict = check_text(text, parse_mode=mode)

    assert "bad_formatting" in [r.code for r in verdict.reasons]
    assert verdict.decision == "block"


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ('<b>Bold</b> and <a href="https://x.example">a link</a> &amp; more', "HTML"),
        ("Sale ends today\\. *Bold* and [link](https://x.example)", "MarkdownV2"),
        ("Fish & chips < 5 euros.", None),
    ],
)
def test_well_formed_markup_passes(text: str, mode: str | None) -> None:
    assert "bad_formatting" not in codes(text, parse_mode=mode)


def test_buttons_telegram_refuses_are_blocked() -> None:
    ok = [[Button("Shop", url="https://shop.example.com"), Button("Stop", callback_data="stop")]]
    too_wide = [[Button(str(i), callback_data=str(i)) for i in range(9)]]
    bad_scheme = [[Button("Call", url="javascript:alert(1)")]]
    long_data = [[Button("Big", callback_data="x" * 65)]]
    both = [[Button("Both", url="https://x.example", callback_data="x")]]

    assert check_buttons(ok) == []
    for buttons in (too_wide, bad_scheme, long_data, both):
        reasons = check_buttons(buttons)
        assert [r.code for r in reasons] == ["bad_button"], buttons
        assert reasons[0].severity == "block"
    assert check_buttons([[Button("Ё", callback_data="ё" * 32)]]) == []  # 64 bytes exactly


@pytest.mark.parametrize(
    "text",
    [
        "New arrivals. Reply /stop to unsubscribe.",
        "Neue Kollektion. Zum Abmelden antworte STOP.",
        "Новинки. Чтобы отписаться, напишите STOP.",
        "Novedades. Para darse de baja responde STOP.",
    ],
)
def test_a_way_out_is_recognised_in_the_workspace_languages(text: str) -> None:
    assert has_opt_out(text)


def test_a_message_without_a_way_out_gets_the_line_added_or_is_blocked_as_configured() -> None:
    text = "Our spring collection has arrived."

    added, notes = ensure_opt_out(text, mode="add")
    blocked_text, blocked = ensure_opt_out(text, mode="block")
    _, off = ensure_opt_out(text, mode="off")
    _, with_button = ensure_opt_out(
        text, [[Button("Unsubscribe", callback_data="stop")]], mode="block"
    )

    assert added.endswith(OPT_OUT_LINE) and [r.code for r in notes] == ["opt_out_added"]
    assert notes[0].span and added[notes[0].span[0] : notes[0].span[1]] == OPT_OUT_LINE
    assert blocked_text == text and [r.severity for r in blocked] == ["block"]
    assert off == [] and with_button == []
    assert not has_opt_out("Non-stop deals all week")  # "non-stop" is no way out


# Pieces of every way out the rule knows, and near misses, to build texts from.
_PIECES = [
    "/stop", "stop", "Reply", "send", "напишите", "ответьте", "envía", "répondez", "responda",
    "unsubscribe", "opt-out", "opt out", "optout", "отписаться", "отписка", "darse de baja",
    "baja", "abmelden", "abbestellen", "désabonner", "désinscrire", "cancelar a subscrição",
    "cancelar inscrição", "descadastrar", "non-stop", "stopwatch", "option", "«", "'", "\"",
    " ", "  ", "\n", ".", "Sale!", "😀",
]  # fmt: skip


@given(
    st.lists(
        st.tuples(st.sampled_from(_PIECES), st.sampled_from(["lower", "upper", "title", "keep"])),
        max_size=8,
    )
)
def test_the_quick_way_out_check_agrees_with_the_rule_on_any_text(
    pieces: list[tuple[str, str]],
) -> None:
    text = "".join(p if case == "keep" else getattr(p, case)() for p, case in pieces)
    full = telegram_rules._OPT_OUT.search(text) is not None
    assert has_opt_out(text) == full


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("BUY NOW!!!", "shouting"),
        ("BUY NOW!!!", "exclamations"),
        ("HUGE SALE TODAY ON EVERYTHING", "shouting"),
        ("Fresh deals 🔥🔥🔥🔥 today", "emoji_flood"),
        ("🎉 a 🎁 b 🎈 c 🎊 d 🥳 e 🍾 f 🎂 g", "emoji_flood"),
        ("Hurry, only today!", "urgency"),
        ("Только сегодня скидка", "urgency"),
        ("Nur heute im Angebot", "urgency"),
        ("Dernière chance pour vos achats", "urgency"),
        ("Solo hoy en tienda", "urgency"),
        ("Só hoje na loja", "urgency"),
        ("Double your money in a week", "blacklist_term"),
        ("Dinero fácil desde casa", "too_good_to_be_true"),
        ("Schnelles Geld für alle", "too_good_to_be_true"),
        ("Vous avez gagné un iPhone", "too_good_to_be_true"),
        ("Você ganhou um prêmio", "too_good_to_be_true"),
        ("Вы выиграли приз", "too_good_to_be_true"),
    ],
)
def test_spam_signals_fire_with_a_span(text: str, code: str) -> None:
    reasons = [r for r in check_text(text).reasons if r.code == code]

    assert reasons, code
    assert reasons[0].span is not None


@pytest.mark.parametrize("text", ["SALE", "OK, see you at the EU summit", "NEW: linen shirts"])
def test_short_capitals_that_are_not_shouting_pass(text: str) -> None:
    assert "shouting" not in codes(text)


def test_links_that_hide_or_misname_their_target_are_flagged() -> None:
    html = 'Log in at <a href="https://evil.example.net/login">paypal.com</a>'
    md = "Open [shop.example.com](https://shop.example.com/spring)"

    assert [r.code for r in check_links(html, parse_mode="HTML")] == ["link_text_mismatch"]
    assert check_links(md, parse_mode="MarkdownV2") == []
    assert [r.code for r in check_links("See bit.ly/abc")] == ["link_shortener"]
    assert [r.code for r in check_links("See https://tinyurl.com/x")] == ["link_shortener"]


def test_domains_outside_the_allow_list_block_when_one_is_set() -> None:
    text = "Shop at https://shop.example.com and https://other.example.org"

    reasons = check_links(text, allowed_domains=["example.com"])

    assert [(r.code, r.match) for r in reasons] == [
        ("link_not_allowed", "https://other.example.org")
    ]
    assert check_links(text) == []


def test_too_many_links_is_flagged() -> None:
    text = " ".join(f"https://{c}.example.com" for c in "abcd")

    assert [r.code for r in check_links(text)] == ["many_links"]


def test_the_verdict_is_allow_review_or_block_with_a_score_and_each_reason() -> None:
    allow = check_text("Our spring collection has arrived.")
    review = check_text("HUGE SALE TODAY ON EVERYTHING!!! See bit.ly/x")
    block = check_text("Pay with 4111 1111 1111 1111")

    assert (allow.decision, allow.risk_score) == ("allow", 0.0)
    assert review.decision == "review" and 0.5 <= review.risk_score < 1
    assert {r.code for r in review.reasons} == {"shouting", "exclamations", "link_shortener"}
    assert block.decision == "block" and block.risk_score == 1.0
    assert check_text("HUGE SALE TODAY", review_threshold=0.2).decision == "review"


def test_the_policy_adds_the_way_out_checks_buttons_and_follows_the_settings() -> None:
    from marketing_agent.core.settings import Settings
    from marketing_agent.safety.content import default_blacklist_with
    from marketing_agent.safety.service import ContentPolicy, ContentRules

    settings = Settings(safety_opt_out="add", safety_link_allowlist="example.com, shop.test")
    policy = ContentPolicy(default_blacklist_with(), rules=ContentRules.from_settings(settings))
    blocking = ContentPolicy(default_blacklist_with(), rules=ContentRules(opt_out="block"))

    sent, verdict = policy.prepare("Spring is here: https://shop.example.com")
    _, elsewhere = policy.prepare("Spring is here: https://other.example.org /stop")
    _, bad_button = policy.prepare("Hi /stop", buttons=[[Button("x", callback_data="x" * 70)]])
    _, refused = blocking.prepare("Spring is here.")
    _, caption = policy.prepare("x" * 1100 + " /stop", caption=True)
    _, from_a_person = blocking.prepare("Spring is here.", marketing_from_bot=False)

    assert sent.endswith(OPT_OUT_LINE)
    assert verdict.decision == "allow" and [r.code for r in verdict.reasons] == ["opt_out_added"]
    assert elsewhere.decision == "block"
    assert [r.code for r in elsewhere.reasons] == ["link_not_allowed"]
    assert bad_button.decision == "block"
    assert refused.decision == "block" and refused.reasons[0].code == "no_opt_out"
    assert [r.code for r in caption.reasons] == ["too_long"]
    assert from_a_person.decision == "allow"
    assert policy.check("Same text") is policy.check("Same text")  # identical renders: once

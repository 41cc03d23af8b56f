"""The content check flags what makes a message risky, blocks what must not be sent, and is fast."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.safety import service as safety
from marketing_agent.safety.content import check_text, luhn_valid
from marketing_agent.safety.schemas import BlacklistTermCreate

CLEAN = (
    "Hi Anna, our spring collection has arrived. Come and see the new linen shirts in the shop "
    "this week: https://shop.example.com/spring"
)


def codes(text: str, max_len: int = 4096) -> list[str]:
    return [r.code for r in check_text(text, max_len=max_len).reasons]


def test_a_clean_message_passes_with_no_risk() -> None:
    verdict = check_text(CLEAN)

    assert verdict.allowed
    assert verdict.risk_score == 0.0
    assert verdict.reasons == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Guaranteed results for every customer.", "blacklist_term"),
        ("This offer is 100% free for members.", "blacklist_term"),
        ("Act   NOW before the weekend.", "blacklist_term"),
        ("Join our crypto giveaway tonight.", "blacklist_term"),
        ("Questions? Write to anna.smith@example.com today.", "pii_email"),
        ("Call us on +49 30 1234 5678 for details.", "pii_phone"),
        ("Pay with 4111 1111 1111 1111 at the till.", "pii_card"),
        ("THE BIGGEST SALE OF THE YEAR STARTS TODAY", "shouting"),
        ("Great news!!! The sale is on.", "exclamations"),
        ("Sale! New stock! Low prices! Come in!", "exclamations"),
        ("Details: bit.ly/spring-sale", "link_shortener"),
        ("Details: https://tinyurl.com/spring", "link_shortener"),
        (
            "a https://a.example b https://b.example c https://c.example d https://d.example",
            "many_links",
        ),
        ("", "empty_text"),
    ],
)
def test_each_rule_fires_on_its_example_and_not_on_clean_text(text: str, code: str) -> None:
    assert code in codes(text)
    assert code not in codes(CLEAN)


@pytest.mark.parametrize(
    "phone",
    [
        "+1 (212) 555-0123",
        "+44 20 7946 0958",
        "+7 912 345-67-89",
        "+33 1 23 45 67 89",
        "0049 30 1234567",
        "(212) 555-0123",
        "212-555-0199",
        "030 1234567",
        "0151 23456789",
        "8 (912) 345-67-89",
        "+4915112345678",
    ],
)
def test_phone_numbers_in_international_and_national_formats_are_found(phone: str) -> None:
    verdict = check_text(f"Reach me at {phone} any time.")

    phones = [r for r in verdict.reasons if r.code == "pii_phone"]
    assert len(phones) == 1
    assert phone not in (phones[0].match or "")  # masked: the number itself is not repeated


@pytest.mark.parametrize(
    "text",
    [
        "The sale ends on 2026-03-15 at 18:00.",
        "Prices from 1 299 000 ₽ this week.",
        "Your order 123456789 has shipped.",
        "Open 2019-2026, now with 25% off.",
        "Sizes 36 38 40 42 in stock.",
    ],
)
def test_dates_prices_and_order_numbers_are_not_phone_numbers(text: str) -> None:
    assert "pii_phone" not in codes(text)


def test_card_numbers_block_only_with_a_valid_luhn_checksum() -> None:
    valid = check_text("Card: 4111-1111-1111-1111")
    invalid = check_text("Card: 4111-1111-1111-1112")

    assert not valid.allowed
    assert valid.risk_score == 1.0
    card = next(r for r in valid.reasons if r.code == "pii_card")
    assert card.severity == "block" and card.match == "•••• 1111"
    assert invalid.allowed
    assert "pii_card" not in [r.code for r in invalid.reasons]
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


def test_blacklist_matches_whole_words_in_any_case_and_script() -> None:
    assert "blacklist_term" in codes("GUARANTEED delivery")
    assert "blacklist_term" in codes("Risk free trial")  # the default term is "risk-free"
    assert "blacklist_term" in codes("ГАРАНТИРОВАННЫЙ ДОХОД каждый месяц")
    assert "blacklist_term" not in codes("An unguaranteedly odd word")
    assert "blacklist_term" not in codes("Our action nowadays")


def test_the_blacklisted_phrase_is_located_in_the_text() -> None:
    text = "Spring deals, risk-free returns."
    reason = next(r for r in check_text(text).reasons if r.code == "blacklist_term")

    assert reason.span is not None
    assert text[reason.span[0] : reason.span[1]] == "risk-free"


def test_over_length_text_blocks_and_telegram_counts_emoji_twice() -> None:
    assert check_text("x" * 4096).allowed
    assert not check_text("x" * 4097).allowed
    assert "too_long" in codes("😀" * 2049)  # 4098 UTF-16 code units
    assert "too_long" in codes("x" * 1025, max_len=1024)  # a caption's limit


def test_more_warnings_mean_more_risk_and_any_block_means_not_allowed() -> None:
    one = check_text("Guaranteed fit.")
    two = check_text("Guaranteed fit, act now.")
    blocked = check_text("Guaranteed fit. Card 4111 1111 1111 1111")

    assert 0 < one.risk_score < two.risk_score < 1
    assert one.allowed and two.allowed
    assert not blocked.allowed and blocked.risk_score == 1.0
    assert blocked.reasons[0].severity == "block"  # the blocking reason comes first


async def test_the_users_own_blacklist_terms_apply(session: AsyncSession) -> None:
    await safety.add_blacklist_term(
        session=session, term_in=BlacklistTermCreate(term="Black Friday", severity="block")
    )
    await safety.add_blacklist_term(
        session=session, term_in=BlacklistTermCreate(term="cheap", severity="info")
    )
    text = "Cheap deals this black   friday!"

    with_user_terms = await safety.check_content(session=session, text=text)
    defaults_only = await safety.check_content(session=None, text=text)

    assert not with_user_terms.allowed
    assert {(r.match, r.severity) for r in with_user_terms.reasons} == {
        ("black   friday", "block"),
        ("Cheap", "info"),
    }
    assert defaults_only.allowed and defaults_only.reasons == []


async def test_a_user_term_can_make_a_default_phrase_block(session: AsyncSession) -> None:
    await safety.add_blacklist_term(
        session=session, term_in=BlacklistTermCreate(term="guaranteed", severity="block")
    )

    verdict = await safety.check_content(session=session, text="Guaranteed fit.")

    assert not verdict.allowed

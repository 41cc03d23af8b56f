"""The PII scanner finds each entity only when its checksum or validation holds, and redacts it."""

from __future__ import annotations

import pytest

from marketing_agent.safety import service as safety
from marketing_agent.safety.content import check_text
from marketing_agent.safety.pii import (
    base58check_valid,
    bech32_valid,
    card_brand,
    eip55_valid,
    find_pii,
    iban_valid,
    luhn_valid,
)


def entities(text: str) -> list[tuple[str, str]]:
    return [(f.entity, text[f.span[0] : f.span[1]]) for f in find_pii(text)]


def with_luhn_digit(prefix: str) -> str:
    """Returns prefix + the check digit that makes it pass Luhn."""
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


def with_luhn_failing(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if not luhn_valid(prefix + d))


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4111111111111111", "visa"),
        ("5555555555554444", "mastercard"),
        ("2221000000000009", "mastercard"),
        ("378282246310005", "amex"),
        ("6011111111111117", "discover"),
        ("3530111333300000", "jcb"),
        ("30569309025904", "diners"),
        (with_luhn_digit("220000000000000"), "mir"),
        (with_luhn_digit("620000000000000"), "unionpay"),
    ],
)
def test_cards_of_each_issuer_are_found_with_a_valid_checksum(number: str, brand: str) -> None:
    grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))

    assert card_brand(number) == brand
    assert entities(f"Pay with {number} today") == [("card", number)]
    assert entities(f"Pay with {grouped} today") == [("card", grouped)]
    assert entities(f"Pay with {number[:-1]}{(int(number[-1]) + 1) % 10} today") == []


def test_a_german_mobile_number_that_passes_luhn_is_a_phone_not_a_card() -> None:
    national = with_luhn_digit("491511234567")[2:]  # 151 1234567x, and 49151... passes Luhn
    assert luhn_valid("49" + national)
    text = f"Call us: +49 {national[:3]} {national[3:]}"

    verdict = check_text(text)

    assert [r.code for r in verdict.reasons] == ["pii_phone"]
    assert verdict.allowed
    assert [e for e, _ in entities(f"Tel. 49{national}")] == ["phone"]  # never a card


def test_digit_runs_in_the_wrong_groups_or_outside_issuer_ranges_are_not_cards() -> None:
    assert entities(with_luhn_digit("999999999999999")) == []  # no issuer starts with 99
    assert entities("Ref 4111 11 1111 111 111") == []  # cards are grouped in fours
    assert entities(with_luhn_failing("411111111111111")) == []


@pytest.mark.parametrize(
    "text",
    [
        "Serial 0123456789 inside the lid",
        "S/N 04012345678, keep it safe",
        "Order 0151234567 has shipped",
        "Code 0301234567 at the till",  # a bare run of digits without "call" is not a phone
    ],
)
def test_serial_and_order_numbers_starting_with_zero_are_not_phones(text: str) -> None:
    assert [e for e, _ in entities(text)] == []


@pytest.mark.parametrize(
    "phone",
    ["+351 912 345 678", "912 345 678", "+7 912 345-67-89", "0151 23456789", "212-555-0199"],
)
def test_phones_of_several_regions_are_found(phone: str) -> None:
    assert entities(f"Reach me at {phone} any time") == [("phone", phone)]


def test_an_unbroken_national_number_is_a_phone_when_the_text_says_so() -> None:
    assert entities("Call 01511234567 now") == [("phone", "01511234567")]


@pytest.mark.parametrize(
    "address", ["o'brien@example.ie", "anna+news@shop.example.de", "j.doe_1@mail.co.uk"]
)
def test_rfc_valid_email_addresses_are_found(address: str) -> None:
    assert entities(f"Write to {address}.") == [("email", address)]


@pytest.mark.parametrize("text", ["See icon@2x.png", "logo@3x.webp and a@b", "v1@@x.com"])
def test_file_names_with_at_signs_are_not_email(text: str) -> None:
    assert [e for e, _ in entities(text)] == []


@pytest.mark.parametrize(
    "iban", ["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606"]
)
def test_ibans_are_found_compact_and_grouped_with_a_valid_checksum(iban: str) -> None:
    grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))

    assert iban_valid(iban)
    assert entities(f"Pay to {iban} please") == [("iban", iban)]
    assert entities(f"Pay to {grouped} NOW") == [("iban", grouped)]


def test_ibans_with_a_bad_checksum_or_length_are_not_found() -> None:
    assert not iban_valid("DE89370400440532013001")
    assert not iban_valid("DE8937040044053201300")  # Germany has 22 characters
    assert entities("Pay to DE89370400440532013001") == []


def test_an_iban_like_run_into_other_letters_is_no_iban_and_no_error() -> None:
    # The country's 22 characters reach past the pattern into "é" or fullwidth digits: the
    # scanner used to fail on them (int("é", 36)) instead of reading them as no IBAN.
    assert entities("Ref DE8937040044053é234567 x") == []
    assert entities("Ref DE8937040044053１２３４５６７ x") == []
    assert not iban_valid("DE8937040044053é234567")


@pytest.mark.parametrize(
    "address",
    [
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",  # P2PKH
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",  # P2SH
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  # bech32, witness v0
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",  # bech32m, v1
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  # EIP-55 checksummed
        "0xde709f2102306220921060314715629080e2fb77",  # all lower case: no checksum to check
    ],
)
def test_crypto_addresses_are_found_with_a_valid_checksum(address: str) -> None:
    assert entities(f"Send to {address} now") == [("crypto", address)]


def test_crypto_addresses_with_a_broken_checksum_are_not_found() -> None:
    assert not base58check_valid("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb")
    assert not bech32_valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5")
    assert not bech32_valid("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj1")
    assert not eip55_valid("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
    assert entities("Send to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD now") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Server 192.168.10.20 is up", [("ip", "192.168.10.20")]),
        ("DNS 8.8.8.8.", [("ip", "8.8.8.8")]),
        ("Host 2001:db8::1 answers", [("ip", "2001:db8::1")]),
        ("fe80::1ff:fe23:4567:890a is local", [("ip", "fe80::1ff:fe23:4567:890a")]),
        ("Version 1.2.3.400 ships", []),
        ("Open 999.1.1.1 wide", []),
        ("Doors at 10:30:00 sharp", []),
    ],
)
def test_ip_addresses_are_found_only_when_valid(text: str, expected: list[tuple[str, str]]) -> None:
    assert entities(text) == expected


TELEGRAM_TOKEN = "123456789:AAH" + "dqTcvCH1vGWJxfSeofSAs0K5PALDsaw5"
SECRETS = [
    TELEGRAM_TOKEN,
    "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0kLmNoPq",
    "sk-ant-api03-" + "x" * 30,
    "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "AKIA" + "IOSFODNN7EXAMPLE",
    "xoxb-" + "123456789012-abcdefABCDEF",
    "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "AIza" + "SyA1234567890abcdefghijklmnopqrstuv",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_secrets_of_common_services_are_found_and_block_the_message(secret: str) -> None:
    text = f"Our key is {secret} for now"

    verdict = check_text(text)

    assert entities(text) == [("secret", secret)]
    assert not verdict.allowed
    assert secret not in (verdict.reasons[0].match or "")


def test_redaction_replaces_each_entity_with_its_type() -> None:
    text = (
        "Write to anna@example.com or call +44 20 7946 0958; "
        "IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111, token " + TELEGRAM_TOKEN
    )

    assert safety.redact(text) == (
        "Write to [EMAIL] or call [PHONE]; IBAN [IBAN], card [CARD], token [SECRET]"
    )
    assert safety.redact(text, entities=["email"]).startswith("Write to [EMAIL] or call +44")
    assert safety.redact("Nothing personal here.") == "Nothing personal here."


def test_national_identifiers_are_found_only_with_their_check_digits() -> None:
    from marketing_agent.safety.pii import cpf_valid, dni_valid

    assert cpf_valid("111.444.777-35") and not cpf_valid("111.444.777-36")
    assert dni_valid("12345678Z") and dni_valid("X1234567L") and not dni_valid("12345678A")
    assert entities("CPF 111.444.777-35, DNI 12345678-Z") == [
        ("national_id", "111.444.777-35"),
        ("national_id", "12345678-Z"),
    ]
    assert entities("CPF 111.444.777-36, DNI 12345678A") == []
    assert not check_text("Meu CPF: 111.444.777-35").allowed

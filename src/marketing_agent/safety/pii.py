"""The PII scanner: personal data and secrets in a text, each validated, not just pattern-matched.

Cheap patterns find candidates; each is confirmed by what makes it real: Luhn and issuer ranges
for cards, mod 97 and the country's length for IBANs, base58check / bech32 / EIP-55 checksums
for crypto addresses, `phonenumbers` for phone numbers, RFC 5322 dot-atoms for e-mail. Used on
outgoing content, by compliance on stored data, and by the agent before text leaves for an LLM.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from Crypto.Hash import keccak

Entity = Literal["email", "phone", "card", "iban", "crypto", "ip", "secret", "national_id"]
ENTITIES: tuple[Entity, ...] = (
    "email",
    "phone",
    "card",
    "iban",
    "crypto",
    "ip",
    "secret",
    "national_id",
)

# Regions tried, in order, for numbers written without a country code.
DEFAULT_PHONE_REGIONS: tuple[str, ...] = (
    "DE",
    "GB",
    "FR",
    "ES",
    "PT",
    "IT",
    "NL",
    "RU",
    "US",
    "BR",
)


@dataclass(frozen=True)
class PiiFinding:
    """One piece of personal data or one secret: what, where, and a masked form safe to show."""

    entity: Entity
    kind: str  # the finer type: "visa", "bitcoin", "telegram_bot_token", "ipv6", ...
    span: tuple[int, int]
    masked: str


def find_pii(
    text: str,
    *,
    entities: Iterable[Entity] = ENTITIES,
    phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS,
) -> list[PiiFinding]:
    """Returns every validated entity in `text`, in text order, none overlapping another."""
    wanted = entities if entities is ENTITIES else frozenset(entities)
    found: list[PiiFinding] = []
    # Cards, phones and national identifiers have seven digits or more in a row (give or take
    # separators): one scan for such a run saves theirs in the many texts without one.
    # The first run is where their patterns start looking (less two characters: "+(" or "X").
    run = _DIGIT_RUN.search(text)
    run_start = -1 if run is None else max(0, run.start() - 2)
    for entity, finder, needs_digit_run in _FINDERS:
        if entity not in wanted:
            continue
        if needs_digit_run:
            if run_start < 0:
                continue
            findings = finder(text, run_start)
        else:
            findings = finder(text, 0)
        for finding in findings:
            if not _overlaps(finding.span, found):
                found.append(finding)
    if "phone" in wanted and run_start >= 0:
        # Candidates inside what was found (a card's or an IBAN's digits) are not parsed at all.
        found.extend(_find_phones(text, phone_regions, taken=found, start=run_start))
    found.sort(key=_span_of)
    return found


def redact(
    text: str, *, entities: Iterable[Entity] = ENTITIES, findings: list[PiiFinding] | None = None
) -> str:
    """Returns `text` with each entity replaced by its type in brackets, e.g. "[EMAIL]"."""
    found = find_pii(text, entities=entities) if findings is None else findings
    parts: list[str] = []
    position = 0
    for finding in found:
        start, end = finding.span
        parts.append(text[position:start])
        parts.append(f"[{finding.entity.upper()}]")
        position = end
    parts.append(text[position:])
    return "".join(parts)


# --- e-mail ---------------------------------------------------------------------------------

# RFC 5322 dot-atom local part (apostrophes, plus signs and the rest), a domain of labels, and a
# top-level domain of letters. File names such as "icon@2x.png" have an extension, not a TLD.
_EMAIL = re.compile(
    r"(?<![\w!#$%&'*+/=?^`{|}~.-])"
    r"([^\W_][\w!#$%&'*+/=?^`{|}~-]*(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*)"
    r"@((?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+([^\W\d_]{2,63}))(?![\w-])"
)
_FILE_EXTENSIONS = frozenset(
    "png jpg jpeg gif svg webp bmp ico tif tiff heic avif pdf css js json txt csv xml mp3 "
    "mp4 wav ttf woff woff2 eot".split()
)


_LOCAL_PART_SYMBOLS = frozenset("_!#$%&'*+/=?^`{|}~-.")


def _in_local_part(char: str) -> bool:
    return char.isalnum() or char in _LOCAL_PART_SYMBOLS


def _find_emails(text: str, start: int = 0) -> list[PiiFinding]:
    found: list[PiiFinding] = []
    done = 0  # where the last match ended: the search goes on from there, as finditer's would
    at = text.find("@")
    while at >= 0:
        # A match holds one "@" and starts in the run of local-part characters before it, so
        # the pattern is tried from there, not at every letter of the text.
        start = at
        while start > done and _in_local_part(text[start - 1]):
            start -= 1
        match = _EMAIL.search(text, start)
        if match is None:
            break
        local, domain, tld = match.group(1), match.group(2), match.group(3)
        if tld.lower() not in _FILE_EXTENSIONS and len(local) <= 64:
            found.append(PiiFinding("email", "email", match.span(), f"{local[:1]}***@{domain}"))
        done = match.end()
        at = text.find("@", done)
    return found


# --- payment cards ------------------------------------------------------------------------

_CARD = re.compile(r"\d(?<![\d+\-]\d)(?:[ -]?\d){11,18}(?![\d-])")
_CARD_GROUPS = re.compile(r"[ -]")


def card_brand(digits: str) -> str | None:
    """Returns the issuer of a card number by its IIN range and length, or None."""
    n = len(digits)
    two, three, four, six = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4" and n in (16, 19):
        return "visa"
    if (51 <= two <= 55 or 2221 <= four <= 2720) and n == 16:
        return "mastercard"
    if 2200 <= four <= 2204 and n == 16:
        return "mir"
    if two in (34, 37) and n == 15:
        return "amex"
    if (four == 6011 or 644 <= three <= 649 or two == 65 or 622126 <= six <= 622925) and (
        16 <= n <= 19
    ):
        return "discover"
    if 3528 <= four <= 3589 and 16 <= n <= 19:
        return "jcb"
    if (300 <= three <= 305 or four == 3095 or two in (36, 38, 39)) and 14 <= n <= 19:
        return "diners"
    if two == 62 and 16 <= n <= 19:
        return "unionpay"
    if four in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763) and 12 <= n <= 19:
        return "maestro"
    return None


def luhn_valid(digits: str) -> bool:
    """Returns whether a digit string passes the Luhn checksum of payment card numbers."""
    if not digits.isascii():
        digits = "".join(str(int(char)) for char in digits)  # other scripts' digits
    doubled = digits[-2::-2].translate(_LUHN_DOUBLED)  # every second digit from the right
    total = sum(map(int, digits[-1::-2])) + sum(map(int, doubled))
    return total % 10 == 0


# A digit doubled as Luhn counts it (the doubled digit's digit sum).
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def _card_grouping_ok(candidate: str) -> bool:
    """Cards are written unbroken, in fours, or 4-6-5 / 4-6-4 (Amex, Diners)."""
    groups = [len(g) for g in _CARD_GROUPS.split(candidate)]
    if len(groups) == 1:
        return True
    if groups in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4


def _find_cards(text: str, start: int = 0) -> list[PiiFinding]:
    found = []
    for match in _CARD.finditer(text, start):
        candidate = match.group(0)
        digits = candidate.replace(" ", "").replace("-", "")
        brand = card_brand(digits)
        if brand is None or not luhn_valid(digits) or not _card_grouping_ok(candidate):
            continue
        if _PHONE_CONTEXT.search(text, max(0, match.start() - 25), match.start()):
            continue  # "Tel. 4915..." is a number to call, whatever Luhn says
        found.append(PiiFinding("card", brand, match.span(), f"•••• {digits[-4:]}"))
    return found


# --- IBAN ---------------------------------------------------------------------------------

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN = re.compile(r"([A-Z](?<![A-Za-z0-9][A-Z])[A-Z])(\d{2})((?: ?[A-Z0-9]){11,30})")


# Letters as mod 97 reads them: A = 10 ... Z = 35.
_IBAN_DIGITS = str.maketrans(
    {chr(code + offset): str(code - 55) for code in range(65, 91) for offset in (0, 32)}
)


def iban_valid(iban: str) -> bool:
    """Returns whether a compact IBAN has its country's length and passes mod 97."""
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not (iban.isascii() and iban.isalnum()):
        return False
    rearranged = iban[4:] + iban[:4]
    return int(rearranged.translate(_IBAN_DIGITS)) % 97 == 1


def _find_ibans(text: str, start: int = 0) -> list[PiiFinding]:
    found = []
    for match in _IBAN.finditer(text):
        length = IBAN_LENGTHS.get(match.group(1))
        if length is None:
            continue
        # The pattern may run on into a following word in capitals: cut at the country's length.
        end = _after_characters(text, match.start(), length)
        if end is None or (end < len(text) and text[end].isalnum()):
            continue
        compact = text[match.start() : end].replace(" ", "")
        if iban_valid(compact):
            found.append(PiiFinding("iban", "iban", (match.start(), end), _mask_iban(compact)))
    return found


def _after_characters(text: str, start: int, count: int) -> int | None:
    """Returns the index after the first `count` characters other than spaces from `start`, or
    None when the text ends first."""
    position = start
    while count:
        space = text.find(" ", position, position + count)
        if space < 0:
            position += count
            return position if position <= len(text) else None
        count -= space - position
        position = space + 1
    return position


def _mask_iban(iban: str) -> str:
    return f"{iban[:2]}•• •••• {iban[-4:]}"


# --- crypto addresses ---------------------------------------------------------------------

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Lookbehinds stand after the first character, so the engine tests them only where a
# candidate can start.
_BASE58_ADDRESS = re.compile(r"[13](?<![\w][13])[1-9A-HJ-NP-Za-km-z]{25,34}(?![\w])")
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_ADDRESS = re.compile(
    r"(?:b(?<![\w]b)c1[02-9ac-hj-np-z]{11,71}|B(?<![\w]B)C1[02-9AC-HJ-NP-Z]{11,71})(?![\w])"
)
_ETH_ADDRESS = re.compile(r"0(?<![\w]0)x[0-9a-fA-F]{40}(?![\w])")


def base58check_valid(address: str) -> bool:
    """Returns whether a legacy Bitcoin address (P2PKH "1…", P2SH "3…") has a valid checksum."""
    number = 0
    for char in address:
        index = _BASE58.find(char)
        if index < 0:
            return False
        number = number * 58 + index
    leading = len(address) - len(address.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    raw = b"\x00" * leading + body
    if len(raw) != 25 or raw[0] not in (0x00, 0x05):
        return False
    digest = hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()
    return digest[:4] == raw[-4:]


_BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
# The generators' XOR for each value of the checksum's top five bits.
_BECH32_STEP = tuple(
    functools.reduce(
        operator.xor, (g for i, g in enumerate(_BECH32_GENERATOR) if (top >> i) & 1), 0
    )
    for top in range(32)
)


def _bech32_polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        checksum = ((checksum & 0x1FFFFFF) << 5 ^ value) ^ _BECH32_STEP[checksum >> 25]
    return checksum


def bech32_valid(address: str) -> bool:
    """Returns whether a SegWit address (BIP 173 bech32 for v0, BIP 350 bech32m for v1+) is
    valid."""
    address = address.lower()
    hrp, _, data_part = address.rpartition("1")
    if hrp != "bc" or len(data_part) < 7:
        return False
    data = [_BECH32_CHARSET.find(ch) for ch in data_part]
    if min(data) < 0:
        return False
    expanded = [ord(ch) >> 5 for ch in hrp] + [0] + [ord(ch) & 31 for ch in hrp]
    constant = 1 if data[0] == 0 else 0x2BC830A3
    return _bech32_polymod(expanded + data) == constant


def eip55_valid(address: str) -> bool:
    """Returns whether an Ethereum address is valid: all one case (no checksum), or mixed case
    matching its EIP-55 checksum."""
    hex_part = address[2:]
    if hex_part == hex_part.lower() or hex_part == hex_part.upper():
        return True
    digest = keccak.new(digest_bits=256, data=hex_part.lower().encode()).hexdigest()
    for char, nibble in zip(hex_part, digest[:40], strict=True):
        if char.isalpha() and char.isupper() != (int(nibble, 16) >= 8):
            return False
    return True


def _find_crypto(text: str, start: int = 0) -> list[PiiFinding]:
    found = []
    for match in _BASE58_ADDRESS.finditer(text):
        if base58check_valid(match.group(0)):
            found.append(PiiFinding("crypto", "bitcoin", match.span(), _mask_middle(match)))
    for match in _BECH32_ADDRESS.finditer(text) if "bc1" in text or "BC1" in text else ():
        if bech32_valid(match.group(0)):
            found.append(PiiFinding("crypto", "bitcoin", match.span(), _mask_middle(match)))
    for match in _ETH_ADDRESS.finditer(text) if "0x" in text else ():
        if eip55_valid(match.group(0)):
            found.append(PiiFinding("crypto", "ethereum", match.span(), _mask_middle(match)))
    return found


def _mask_middle(match: re.Match[str]) -> str:
    value = match.group(0)
    return f"{value[:4]}…{value[-4:]}"


# --- IP addresses -------------------------------------------------------------------------

_IPV4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


def _find_ips(text: str, start: int = 0) -> list[PiiFinding]:
    found = []
    for match in _IPV4.finditer(text) if "." in text else ():
        octets = match.group(0).split(".")
        if any(len(o) > 1 and o.startswith("0") for o in octets):
            continue  # "01.02.03.04" is not how addresses are written
        if not match.group(0).isascii() or any(int(o) > 255 for o in octets):
            continue  # the pattern's digits are 1-3 each: only their range is left to check
        masked = ".".join(octets[:2]) + ".•.•"
        found.append(PiiFinding("ip", "ipv4", match.span(), masked))
    for match in _IPV6.finditer(text) if "::" in text or text.count(":") >= 7 else ():
        candidate = match.group(0)
        if "::" not in candidate and candidate.count(":") != 7:
            continue
        if sum(ch.isalnum() for ch in candidate) < 2:
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        found.append(PiiFinding("ip", "ipv6", match.span(), candidate.split(":")[0] + ":…"))
    return found


# --- secrets ------------------------------------------------------------------------------

# Each with the literals one of which every match contains, tested first (substring tests are
# far cheaper than a scan): most texts hold none. Each pattern is led by a character or a
# literal, its lookbehind after it, so a scan skips to where a match can start.
_SECRETS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "telegram_bot_token",
        (":",),
        re.compile(r"\d(?<![\w]\d)\d{7,9}:[A-Za-z0-9_-]{35}(?![\w-])"),
    ),
    ("anthropic_api_key", ("sk-ant-",), re.compile(r"s(?<![\w-]s)k-ant-[A-Za-z0-9_-]{20,}")),
    (
        "openai_api_key",
        ("sk-",),
        re.compile(r"s(?<![\w-]s)k-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    ),
    (
        "github_token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"g(?<![\w]g)(?:h[pousr]_[A-Za-z0-9]{36}|ithub_pat_\w{60,})"),
    ),
    ("aws_access_key", ("AKIA", "ASIA"), re.compile(r"A(?<![\w]A)(?:KIA|SIA)[0-9A-Z]{16}(?![\w])")),
    ("slack_token", ("xox",), re.compile(r"x(?<![\w]x)ox[abposr]-[A-Za-z0-9-]{10,}")),
    (
        "stripe_key",
        ("_live_", "_test_"),
        re.compile(r"[sr](?<![\w][sr])k_(?:live|test)_[0-9A-Za-z]{16,}"),
    ),
    ("google_api_key", ("AIza",), re.compile(r"A(?<![\w]A)Iza[0-9A-Za-z_-]{35}(?![\w-])")),
    ("private_key", ("PRIVATE KEY",), re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")),
)


def _find_secrets(text: str, start: int = 0) -> list[PiiFinding]:
    found: list[PiiFinding] = []
    for kind, literals, pattern in _SECRETS:
        for literal in literals:
            if literal in text:
                break
        else:
            continue
        if kind == "telegram_bot_token" and not _token_colon(text):
            continue
        for match in pattern.finditer(text):
            if not _overlaps(match.span(), found):
                value = match.group(0)
                masked = value[: value.find(":") + 1 or 4] + "…"
                found.append(PiiFinding("secret", kind, match.span(), masked))
    return found


def _token_colon(text: str) -> bool:
    """Tells whether some ":" has the eight digits a bot token puts before it."""
    colon = text.find(":", 8)
    while colon >= 0:
        if text[colon - 8 : colon].isdigit():
            return True
        colon = text.find(":", colon + 1)
    return False


# --- national identifiers ---------------------------------------------------------------

# Written in their usual form only, so that an arbitrary run of digits is not taken for one.
_CPF = re.compile(r"\d(?<![\d.-]\d)\d\d\.\d{3}\.\d{3}-\d{2}(?![\d.-])")  # Brazil
# Spain: DNI (eight digits) and NIE (X, Y or Z and seven), then the check letter.
_DNI = re.compile(r"[\dXYZ](?<![\w][\dXYZ])\d{7}-?[A-Z](?![\w])")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def cpf_valid(cpf: str) -> bool:
    """Returns whether a Brazilian CPF's two check digits (mod 11) hold."""
    digits = [int(c) for c in cpf if c.isdigit()]
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    for size in (9, 10):
        total = sum(d * w for d, w in zip(digits[:size], range(size + 1, 1, -1), strict=True))
        if (total * 10 % 11) % 10 != digits[size]:
            return False
    return True


def dni_valid(dni: str) -> bool:
    """Returns whether a Spanish DNI or NIE has its check letter (mod 23)."""
    compact = dni.replace("-", "")
    number = compact[:-1].replace("X", "0").replace("Y", "1").replace("Z", "2")
    return number.isdigit() and _DNI_LETTERS[int(number) % 23] == compact[-1]


def _find_national_ids(text: str, start: int = 0) -> list[PiiFinding]:
    found = []
    for match in _CPF.finditer(text, start) if "." in text and "-" in text else ():
        if cpf_valid(match.group(0)):
            found.append(PiiFinding("national_id", "br_cpf", match.span(), "•••.•••.•••-••"))
    for match in _DNI.finditer(text, start):
        if dni_valid(match.group(0)):
            masked = "••••" + match.group(0)[-4:]
            found.append(PiiFinding("national_id", "es_dni", match.span(), masked))
    return found


# --- phone numbers ------------------------------------------------------------------------

# "+49 30 ...", "0049 ...", "(030) ...", "030 ...": the first character is tested before the
# lookbehind (so the engine skips to where a number can start), then what it begins.
_PHONE = re.compile(
    r"[+(\d](?<![\w+][+(\d])"
    r"(?:(?<=\+)(?:\(\d{1,4}\)|\d)|(?<=0)0(?:\(\d{1,4}\)|\d)|(?<=\()\d{1,4}\)|(?<=\d))"
    r"(?:[ .\-/\u00a0]?(?:\(\d{1,5}\)|\d)){6,16}(?!\w)"
)
# Matched at the start of a candidate: "01.02.2026 10" is a date, "912 345-67-89" a phone.
_DATE_LIKE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_GROUPED_NUMBER = re.compile(r"\d{1,3}(?:[ .,\u00a0]\d{3})+")  # 1 299 000: a price, not a phone
_NANP = re.compile(r"(?:1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
_NINE_DIGITS = re.compile(r"[6-9]\d{2}[ .-]?\d{3}[ .-]?\d{3}")  # Spain and Portugal
_PHONE_CONTEXT = re.compile(
    r"(?i)(?:tel\b|tel\.|phone|call|mobile|cell|whats\s?app|viber|sms|fax|☎|📞|тел|звон|моб|"
    r"teléfono|llam|móvil|telefon|anruf|handy|appel|portable|téléphone|ligue|telemóvel|celular)"
)
_NOT_PHONE_CONTEXT = re.compile(
    r"(?i)(?:serial|s/n|\bsn\b|order|invoice|article|\bart\.|\bref|\bid\b|sku|imei|tracking|"
    r"заказ|серийн|артикул|artikel|bestell|rechnung|seriennummer|pedido|factura|serie|"
    r"commande|facture|série|encomenda|fatura|nº|no\.)"
)
_NON_DIGIT = re.compile(r"\D")


def _find_phones(
    text: str, regions: Sequence[str], taken: Sequence[PiiFinding] = (), start: int = 0
) -> list[PiiFinding]:
    found = []
    verdicts: dict[tuple[str, str], bool] = {}  # a number repeated in one text is parsed once
    for match in _PHONE.finditer(text, start):
        if taken and _overlaps(match.span(), taken):
            continue
        candidate = match.group(0)
        before = text[max(0, match.start() - 25) : match.start()]
        key = (candidate, before)
        if key not in verdicts:
            verdicts[key] = _is_phone(before, candidate, regions)
        if not verdicts[key]:
            continue
        digits = _NON_DIGIT.sub("", candidate)
        found.append(PiiFinding("phone", "phone", match.span(), "•••" + digits[-2:]))
    return found


def _is_phone(before: str, candidate: str, regions: Sequence[str]) -> bool:
    """Tells a phone number from a date, a price, a serial or an order number of like shape."""
    if candidate.startswith(("+", "00")):
        international = "+" + candidate[2:] if candidate.startswith("00") else candidate
        return _valid_in(international, (None,))
    if _NINE_DIGITS.fullmatch(candidate) and _valid_in(candidate, ("ES", "PT")):
        return True  # 912 345 678 is a mobile in Spain or Portugal, though grouped like a price
    if _DATE_LIKE.match(candidate) or _GROUPED_NUMBER.fullmatch(candidate):
        return False
    if _NOT_PHONE_CONTEXT.search(before):
        return False  # "Serial 0123456789", "order 0151 2345"
    unbroken = candidate.isdigit()
    if unbroken and not _PHONE_CONTEXT.search(before):
        return False  # a bare run of digits is a code or a serial unless the text says "call"
    if candidate.startswith(("0", "8 (", "8-", "8 9")):
        return _valid_in(candidate, regions)
    if _NANP.fullmatch(candidate):
        return _valid_in(candidate, ("US",))
    return unbroken and _valid_in(candidate, regions)


def _valid_in(candidate: str, regions: Iterable[str | None]) -> bool:
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def _overlaps(span: tuple[int, int], found: Iterable[PiiFinding]) -> bool:
    start, end = span
    for finding in found:
        if start < finding.span[1] and finding.span[0] < end:
            return True
    return False


# Most specific first: a bot token holds digits a phone pattern would take, an IBAN digits a
# card pattern would. Phones come last (`find_pii`).
# With each, whether all it finds holds `_DIGIT_RUN` (it is then given where the first run starts;
# the others start at 0).
_FINDERS: tuple[tuple[Entity, Callable[[str, int], list[PiiFinding]], bool], ...] = (
    ("secret", _find_secrets, False),
    ("crypto", _find_crypto, False),
    ("iban", _find_ibans, False),
    ("card", _find_cards, True),
    ("email", _find_emails, False),
    ("ip", _find_ips, False),
    ("national_id", _find_national_ids, True),
)
# Seven digits, at most three separators between two (a phone's "(0) " or ") ("): every card,
# phone, CPF and DNI/NIE has such a run.
_DIGIT_RUN = re.compile(r"\d(?:[ .\-/\u00a0()]{0,3}\d){6}")


def _span_of(finding: PiiFinding) -> tuple[int, int]:
    return finding.span

"""The PII scanner: personal data and secrets in a text, each validated, not just pattern-matched.

Cheap patterns find candidates; each is confirmed by what makes it real: Luhn and issuer ranges
for cards, mod 97 and the country's length for IBANs, base58check / bech32 / EIP-55 checksums
for crypto addresses, `phonenumbers` for phone numbers, RFC 5322 dot-atoms for e-mail. Used on
outgoing content, by compliance on stored data, and by the agent before text leaves for an LLM.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Sequence
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
    wanted = set(entities)
    found: list[PiiFinding] = []
    # Most specific first: a bot token holds digits a phone pattern would take, an IBAN digits a
    # card pattern would.
    finders = (
        ("secret", _find_secrets),
        ("crypto", _find_crypto),
        ("iban", _find_ibans),
        ("card", _find_cards),
        ("email", _find_emails),
        ("ip", _find_ips),
        ("national_id", _find_national_ids),
    )
    for entity, finder in finders:
        if entity in wanted:
            found.extend(f for f in finder(text) if not _overlaps(f.span, found))
    if "phone" in wanted:
        found.extend(f for f in _find_phones(text, phone_regions) if not _overlaps(f.span, found))
    return sorted(found, key=lambda f: f.span)


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


def _find_emails(text: str) -> list[PiiFinding]:
    if "@" not in text:
        return []
    found = []
    for match in _EMAIL.finditer(text):
        local, domain, tld = match.group(1), match.group(2), match.group(3)
        if tld.lower() in _FILE_EXTENSIONS or len(local) > 64:
            continue
        found.append(PiiFinding("email", "email", match.span(), f"{local[:1]}***@{domain}"))
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
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_grouping_ok(candidate: str) -> bool:
    """Cards are written unbroken, in fours, or 4-6-5 / 4-6-4 (Amex, Diners)."""
    groups = [len(g) for g in _CARD_GROUPS.split(candidate)]
    if len(groups) == 1:
        return True
    if groups in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4


def _find_cards(text: str) -> list[PiiFinding]:
    found = []
    for match in _CARD.finditer(text):
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


def iban_valid(iban: str) -> bool:
    """Returns whether a compact IBAN has its country's length and passes mod 97."""
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _find_ibans(text: str) -> list[PiiFinding]:
    found = []
    for match in _IBAN.finditer(text):
        length = IBAN_LENGTHS.get(match.group(1))
        if length is None:
            continue
        # The pattern may run on into a following word in capitals: cut at the country's length.
        end, taken = match.start(), 0
        while end < len(text) and taken < length:
            if text[end] != " ":
                taken += 1
            end += 1
        compact = text[match.start() : end].replace(" ", "")
        if taken < length or (end < len(text) and text[end].isalnum()):
            continue
        if iban_valid(compact):
            found.append(PiiFinding("iban", "iban", (match.start(), end), _mask_iban(compact)))
    return found


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
_ETH_ADDRESS = re.compile(r"(?<![\w])0x[0-9a-fA-F]{40}(?![\w])")


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


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            checksum ^= generator[i] if (top >> i) & 1 else 0
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


def _find_crypto(text: str) -> list[PiiFinding]:
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
_DIGIT_DOT = re.compile(r"\d\.\d")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


def _find_ips(text: str) -> list[PiiFinding]:
    found = []
    for match in _IPV4.finditer(text) if _DIGIT_DOT.search(text) else ():
        octets = match.group(0).split(".")
        if any(len(o) > 1 and o.startswith("0") for o in octets):
            continue  # "01.02.03.04" is not how addresses are written
        try:
            ipaddress.IPv4Address(match.group(0))
        except ValueError:
            continue
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

# Each with a literal every match contains, tested first: most texts hold none.
_SECRETS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("telegram_bot_token", ":", re.compile(r"\d(?<![\w]\d)\d{7,9}:[A-Za-z0-9_-]{35}(?![\w-])")),
    ("anthropic_api_key", "sk-ant-", re.compile(r"(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}")),
    (
        "openai_api_key",
        "sk-",
        re.compile(r"(?<![\w-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    ),
    (
        "github_token",
        "gh",
        re.compile(r"(?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{60,})"),
    ),
    ("aws_access_key", "A", re.compile(r"(?<![\w])(?:AKIA|ASIA)[0-9A-Z]{16}(?![\w])")),
    ("slack_token", "xox", re.compile(r"(?<![\w])xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("stripe_key", "_", re.compile(r"(?<![\w])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}")),
    ("google_api_key", "AIza", re.compile(r"(?<![\w])AIza[0-9A-Za-z_-]{35}(?![\w-])")),
    ("private_key", "PRIVATE KEY", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")),
)


def _find_secrets(text: str) -> list[PiiFinding]:
    found: list[PiiFinding] = []
    for kind, literal, pattern in _SECRETS:
        if literal not in text:
            continue
        for match in pattern.finditer(text):
            if not _overlaps(match.span(), found):
                value = match.group(0)
                masked = value[: value.find(":") + 1 or 4] + "…"
                found.append(PiiFinding("secret", kind, match.span(), masked))
    return found


# --- national identifiers ---------------------------------------------------------------

# Written in their usual form only, so that an arbitrary run of digits is not taken for one.
_CPF = re.compile(r"(?<![\d.-])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d.-])")  # Brazil
_DNI = re.compile(r"(?<![\w])(?:\d{8}|[XYZ]\d{7})-?[A-Z](?![\w])")  # Spain: DNI and NIE
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


def _find_national_ids(text: str) -> list[PiiFinding]:
    found = []
    for match in _CPF.finditer(text) if "." in text else ():
        if cpf_valid(match.group(0)):
            found.append(PiiFinding("national_id", "br_cpf", match.span(), "•••.•••.•••-••"))
    for match in _DNI.finditer(text):
        if dni_valid(match.group(0)):
            masked = "••••" + match.group(0)[-4:]
            found.append(PiiFinding("national_id", "es_dni", match.span(), masked))
    return found


# --- phone numbers ------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)?(?:\(\d{1,4}\)|\d)(?:[ .\-/\u00a0]?(?:\(\d{1,5}\)|\d)){6,16}(?!\w)"
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


def _find_phones(text: str, regions: Sequence[str]) -> list[PiiFinding]:
    found = []
    verdicts: dict[tuple[str, str], bool] = {}  # a number repeated in one text is parsed once
    for match in _PHONE.finditer(text):
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
    return any(span[0] < f.span[1] and f.span[0] < span[1] for f in found)

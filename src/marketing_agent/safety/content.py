"""The content check: what in a message's exact text makes it risky or unsendable.

Pure and fast (every pattern is compiled once), because it runs on every message sent, on the
text exactly as rendered. Each finding is a `Reason`; the risk score combines their weights.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from marketing_agent.safety.normalise import normalise_phrase
from marketing_agent.safety.phrases import Phrase, PhraseMatch, PhraseMatcher
from marketing_agent.safety.schemas import ContentVerdict, Reason, Severity
from marketing_agent.safety.signals import (
    SIGNAL_CODES,
    SIGNAL_MESSAGES,
    SIGNAL_PHRASES,
    check_emoji,
    check_exclamations,
    check_shouting,
)
from marketing_agent.telegram.profiles import telegram_text_length

# Spammy or deceptive phrases flagged for every user; their own terms come from the database.
DEFAULT_BLACKLIST: tuple[str, ...] = (
    "guaranteed",
    "100% guaranteed",
    "risk-free",
    "no risk",
    "act now",
    "100% free",
    "double your money",
    "crypto giveaway",
    "get rich quick",
    "make money fast",
    "earn money fast",
    "free money",
    "you have won",
    "you've won",
    "claim your prize",
    "once in a lifetime",
    "no strings attached",
    "this is not spam",
    "miracle cure",
    "lose weight fast",
    "verify your account",
    "send your password",
    "wire transfer",
    "гарантированный доход",
    "без риска",
    "быстрый заработок",
)

# Risk each reason adds, by code. Reasons combine as independent evidence (noisy-OR):
# risk = 1 - (1 - w1)(1 - w2)..., so two warnings weigh more than one, nothing exceeds 1, and a
# block reason (weight 1) always scores 1. With the default review threshold of 0.5, one warning
# alone does not send a campaign to review; two blacklisted phrases or a shout plus a shortener do.
WEIGHTS: dict[str, float] = {
    "pii_email": 0.25,
    "pii_phone": 0.25,
    "shouting": 0.3,
    "exclamations": 0.2,
    "emoji_flood": 0.2,
    "urgency": 0.15,
    "too_good_to_be_true": 0.35,
    "link_shortener": 0.3,
    "many_links": 0.25,
}
# A blacklisted phrase weighs by the severity it was given.
SEVERITY_WEIGHTS: dict[str, float] = {"info": 0.1, "warn": 0.35, "block": 1.0}

LINKS_MAX = 3

_SHORTENERS = (
    "bit.ly",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "cutt.ly",
    "rebrand.ly",
    "shorturl.at",
    "rb.gy",
    "tiny.cc",
    "bl.ink",
    "s.id",
    "t.ly",
    "clck.ru",
    "v.gd",
    "lnkd.in",
    "shorte.st",
    "adf.ly",
    "tr.ee",
    "qr.ae",
)
_SHORTENER = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:www\.)?(?:"
    + "|".join(re.escape(d) for d in _SHORTENERS)
    + r")(?![\w-]|\.\w)(?:/\S*)?",
    re.IGNORECASE,
)
_URL = re.compile(r"(?<![\w@])(?:https?://|www\.|t\.me/)[^\s<>\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?!\w)")
# Starts with \d, not a lookbehind, so the engine can skip ahead to digits; the left boundary
# is checked in Python.
_CARD = re.compile(r"\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)?(?:\(\d{1,4}\)|\d)(?:[ .\-/\u00a0]?(?:\(\d{1,5}\)|\d)){6,16}(?!\w)"
)
# Matched at the start of a candidate: "01.02.2026 10" is a date, "912 345-67-89" a phone.
_DATE_LIKE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_GROUPED_NUMBER = re.compile(r"\d{1,3}(?:[ .,\u00a0]\d{3})+")  # 1 299 000: a price, not a phone
_NANP = re.compile(r"(?:1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
_NON_DIGIT = re.compile(r"\D")


class Blacklist:
    """Phrase lists compiled into one automaton (see `phrases.py`): case, accents, look-alike
    letters, invisible characters, separators, run-together words, leetspeak and repeated
    letters do not hide a phrase, and a phrase never matches inside a longer word."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        # A phrase given twice (in any spelling that normalises alike) keeps its last setting.
        by_key: dict[str, Phrase] = {}
        for phrase in phrases:
            key = normalise_phrase(phrase.text)
            if key:
                by_key[key] = phrase
        self.phrases = tuple(by_key.values())
        self._matcher = PhraseMatcher(list(self.phrases))

    def find(self, text: str) -> list[Reason]:
        """Returns one reason per distinct phrase found in `text`, located in `text`."""
        return [_phrase_reason(match) for match in self._matcher.find(text)]


def normalize_term(term: str) -> str:
    """Returns the form terms are stored and compared in: lower case, single spaces."""
    return " ".join(term.split()).lower()


@lru_cache(maxsize=64)
def compile_blacklist(
    terms: tuple[tuple[str, Severity], ...], categories: tuple[str, ...] = ()
) -> Blacklist:
    """Compiles (term, severity) pairs, with the built-in signal phrases; a term given twice
    keeps its last severity. `categories` names each term's category (default "blacklist")."""
    phrases = list(SIGNAL_PHRASES)
    for index, (term, severity) in enumerate(terms):
        category = categories[index] if index < len(categories) else "blacklist"
        phrases.append(Phrase(text=term, severity=severity, category=category))
    return Blacklist(phrases)


def default_blacklist_with(
    extra: Iterable[tuple[str, Severity]] = (), categories: Iterable[str] = ()
) -> Blacklist:
    """Returns the default phrases (as warnings) plus `extra`, which win on a clash."""
    pairs: list[tuple[str, Severity]] = [(t, "warn") for t in DEFAULT_BLACKLIST]
    extra = list(extra)
    pairs.extend(extra)
    names = ["blacklist"] * len(DEFAULT_BLACKLIST) + list(categories)
    return compile_blacklist(tuple(pairs), tuple(names))


def _phrase_reason(match: PhraseMatch) -> Reason:
    phrase = match.phrase
    code = SIGNAL_CODES.get(phrase.category, "blacklist_term")
    if code == "blacklist_term":
        message = f"Contains the blacklisted phrase '{phrase.text}'"
    else:
        message = f"{SIGNAL_MESSAGES[code]}: '{phrase.text}'"
    return Reason(
        code=code,
        severity=phrase.severity,
        match=match.matched,
        span=match.span,
        message=message,
        category=phrase.category,
    )


def check_text(
    text: str, *, max_len: int = 4096, blacklist: Blacklist | None = None
) -> ContentVerdict:
    """Checks the exact text to be sent and returns the verdict with every reason found."""
    reasons: list[Reason] = []
    reasons += _check_length(text, max_len)
    reasons += (blacklist or default_blacklist_with()).find(text)
    reasons += _check_pii(text)
    reasons += check_shouting(text)
    reasons += check_exclamations(text)
    reasons += check_emoji(text)
    reasons += _check_links(text)
    reasons.sort(key=_reason_order)
    return ContentVerdict(
        allowed=not any(r.severity == "block" for r in reasons),
        risk_score=risk_score(reasons),
        reasons=reasons,
    )


def risk_score(reasons: Iterable[Reason]) -> float:
    """Combines the reasons' weights (noisy-OR) into a score in [0, 1]."""
    keep = 1.0
    for reason in reasons:
        keep *= 1.0 - _weight(reason)
    return round(1.0 - keep, 3)


def luhn_valid(digits: str) -> bool:
    """Returns whether a digit string passes the Luhn checksum of payment card numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _weight(reason: Reason) -> float:
    if reason.severity == "block":
        return 1.0
    if reason.code == "blacklist_term":
        return SEVERITY_WEIGHTS[reason.severity]
    return WEIGHTS.get(reason.code, SEVERITY_WEIGHTS[reason.severity])


def _reason_order(reason: Reason) -> tuple[int, int]:
    rank = {"block": 0, "warn": 1, "info": 2}[reason.severity]
    return rank, reason.span[0] if reason.span else -1


def _check_length(text: str, max_len: int) -> list[Reason]:
    if not text.strip():
        return [
            Reason(code="empty_text", severity="block", message="Telegram refuses an empty message")
        ]
    length = telegram_text_length(text)
    if length <= max_len:
        return []
    return [
        Reason(
            code="too_long",
            severity="block",
            span=(0, len(text)),
            message=f"{length} characters; Telegram accepts at most {max_len}",
        )
    ]


def _check_pii(text: str) -> list[Reason]:
    """Finds payment cards (Luhn-valid), e-mail addresses and phone numbers."""
    reasons: list[Reason] = []
    taken: list[tuple[int, int]] = []
    for match in _CARD.finditer(text):
        if match.start() > 0 and text[match.start() - 1] in "0123456789-":
            continue  # the tail of a longer number
        digits = _NON_DIGIT.sub("", match.group(0))
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits):
            taken.append(match.span())
            reasons.append(
                Reason(
                    code="pii_card",
                    severity="block",
                    span=match.span(),
                    match=f"•••• {digits[-4:]}",
                    message="Contains a payment card number",
                )
            )
    for match in _EMAIL.finditer(text) if "@" in text else ():
        taken.append(match.span())
        reasons.append(
            Reason(
                code="pii_email",
                severity="warn",
                span=match.span(),
                match=_mask_email(match.group(0)),
                message="Contains an e-mail address",
            )
        )
    for match in _PHONE.finditer(text):
        if _overlaps(match.span(), taken) or not _looks_like_phone(match.group(0)):
            continue
        reasons.append(
            Reason(
                code="pii_phone",
                severity="warn",
                span=match.span(),
                match="•••" + _NON_DIGIT.sub("", match.group(0))[-2:],
                message="Contains a phone number",
            )
        )
    return reasons


def _looks_like_phone(candidate: str) -> bool:
    """Tells a phone number from a date, a price or an order number of similar shape."""
    digits = sum(ch.isdigit() for ch in candidate)
    if candidate.startswith("+"):
        return 8 <= digits <= 15  # E.164: at most 15 digits with the country code
    if candidate.startswith("00"):
        return 10 <= digits <= 17
    if _DATE_LIKE.match(candidate) or _GROUPED_NUMBER.fullmatch(candidate):
        return False
    if candidate.startswith(("0", "(", "8 (", "8-")):  # a trunk prefix or an area code
        return 9 <= digits <= 12
    return _NANP.fullmatch(candidate) is not None


def _check_links(text: str) -> list[Reason]:
    reasons: list[Reason] = []
    lowered = text.lower()
    # Substring tests are far cheaper than the pattern, and most texts name no shortener.
    maybe_shortened = any(domain in lowered for domain in _SHORTENERS)
    for match in _SHORTENER.finditer(text) if maybe_shortened else ():
        reasons.append(
            Reason(
                code="link_shortener",
                severity="warn",
                span=match.span(),
                match=match.group(0),
                message="A link shortener hides where the link goes",
            )
        )
    url_spans = [m.span() for m in _URL.finditer(text)]
    bare = [r.span for r in reasons if r.span and not _overlaps(r.span, url_spans)]
    links = len(url_spans) + len(bare)
    if links > LINKS_MAX:
        reasons.append(
            Reason(
                code="many_links",
                severity="warn",
                message=f"{links} links; more than {LINKS_MAX} reads as spam",
            )
        )
    return reasons


def _overlaps(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


def _mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"

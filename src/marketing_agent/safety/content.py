"""The content check: what in a message's exact text makes it risky or unsendable.

Pure and fast (every pattern is compiled once), because it runs on every message sent, on the
text exactly as rendered. Each finding is a `Reason`; the risk score combines their weights.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from marketing_agent.safety.links import check_links
from marketing_agent.safety.normalise import normalise_many
from marketing_agent.safety.phrases import Phrase, PhraseMatch, PhraseMatcher
from marketing_agent.safety.pii import find_pii, luhn_valid
from marketing_agent.safety.schemas import (
    BuiltInPhraseList,
    ContentVerdict,
    Decision,
    Reason,
    Severity,
)
from marketing_agent.safety.signals import (
    SIGNAL_CODES,
    SIGNAL_MESSAGES,
    SIGNAL_PHRASES,
    TOO_GOOD,
    URGENCY,
    check_emoji,
    check_exclamations,
    check_shouting,
)
from marketing_agent.safety.telegram_rules import TEXT_MAX, check_length

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
    "pii_iban": 0.3,
    "pii_crypto": 0.35,
    "pii_ip": 0.2,
    "link_shortener": 0.3,
    "link_text_mismatch": 0.5,
    "many_links": 0.25,
    "no_opt_out": 0.5,
}
# A blacklisted phrase weighs by the severity it was given.
SEVERITY_WEIGHTS: dict[str, float] = {"info": 0.1, "warn": 0.35, "block": 1.0}

REVIEW_THRESHOLD = 0.5  # the default; each workspace sets its own
BUILT_IN = "built_in"  # the category of DEFAULT_BLACKLIST's phrases in a verdict's reasons


def built_in_phrase_lists() -> list[BuiltInPhraseList]:
    """Returns the phrases every check looks for besides the workspace's own lists (read-only:
    they ship with the guard), with the category their reasons carry."""
    return [
        BuiltInPhraseList(
            name="Built-in blacklist",
            category=BUILT_IN,
            severity="warn",
            description="Spammy or deceptive phrases; each adds risk (0.35).",
            phrases=list(DEFAULT_BLACKLIST),
        ),
        BuiltInPhraseList(
            name="Too good to be true",
            category="too_good",
            severity="warn",
            description="Promises that sound like a scam, in six languages; each adds risk.",
            phrases=[p for phrases in TOO_GOOD.values() for p in phrases],
        ),
        BuiltInPhraseList(
            name="Urgency",
            category="urgency",
            severity="info",
            description="Pressure to act now, common in honest marketing too; each adds a "
            "little risk (0.15).",
            phrases=[p for phrases in URGENCY.values() for p in phrases],
        ),
    ]


class Blacklist:
    """Phrase lists compiled into one automaton (see `phrases.py`): case, accents, look-alike
    letters, invisible characters, separators, run-together words, leetspeak and repeated
    letters do not hide a phrase, and a phrase never matches inside a longer word."""

    def __init__(self, phrases: Iterable[Phrase], *, sentences_kept: int = 4096) -> None:
        # A phrase given twice (in any spelling that normalises alike) keeps its last setting.
        by_key: dict[str, Phrase] = {}
        listed = list(phrases)
        for phrase, piece in zip(listed, normalise_many([p.text for p in listed]), strict=True):
            key = piece.text.strip()
            if key:
                by_key[key] = phrase
        self.phrases = tuple(by_key.values())
        self._matcher = PhraseMatcher(list(self.phrases), sentences_kept=sentences_kept)

    def find(self, text: str) -> list[Reason]:
        """Returns one reason per distinct phrase found in `text`, located in `text`."""
        return [_phrase_reason(match) for match in self._matcher.find(text)]

    def find_many(self, texts: list[str]) -> list[list[Reason]]:
        """Returns `find` of each text, all scanned in one pass."""
        return [[_phrase_reason(m) for m in found] for found in self._matcher.find_many(texts)]


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
    names = [BUILT_IN] * len(DEFAULT_BLACKLIST) + list(categories)
    return compile_blacklist(tuple(pairs), tuple(names))


def _phrase_reason(match: PhraseMatch) -> Reason:
    phrase = match.phrase
    code = SIGNAL_CODES.get(phrase.category, "blacklist_term")
    if phrase.category == BUILT_IN:
        message = f"Contains '{phrase.text}' of the built-in blacklist"
    elif code == "blacklist_term":
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
    text: str,
    *,
    max_len: int = TEXT_MAX,
    blacklist: Blacklist | None = None,
    parse_mode: str | None = None,
    allowed_domains: Iterable[str] = (),
    review_threshold: float = REVIEW_THRESHOLD,
    phrase_reasons: list[Reason] | None = None,
) -> ContentVerdict:
    """Checks the exact text to be sent and returns the verdict with every reason found
    (`phrase_reasons`: the phrase matches when a chunk was scanned at once with `find_many`)."""
    reasons: list[Reason] = []
    reasons += check_length(text, max_len=max_len, parse_mode=parse_mode)
    if phrase_reasons is None:
        phrase_reasons = (blacklist or default_blacklist_with()).find(text)
    reasons += phrase_reasons
    reasons += _check_pii(text)
    reasons += check_shouting(text)
    reasons += check_exclamations(text)
    reasons += check_emoji(text)
    reasons += check_links(text, parse_mode=parse_mode, allowed_domains=allowed_domains)
    return verdict_of(reasons, review_threshold=review_threshold)


def verdict_of(
    reasons: Iterable[Reason], *, review_threshold: float = REVIEW_THRESHOLD
) -> ContentVerdict:
    """Returns the one verdict of a set of reasons: block on any blocking reason, review when
    the combined risk reaches the threshold, else allow."""
    ordered = sorted(reasons, key=_reason_order)
    score = risk_score(ordered)
    blocked = any(r.severity == "block" for r in ordered)
    decision: Decision = "block" if blocked else "review" if score >= review_threshold else "allow"
    return ContentVerdict(allowed=not blocked, decision=decision, risk_score=score, reasons=ordered)


def risk_score(reasons: Iterable[Reason]) -> float:
    """Combines the reasons' weights (noisy-OR) into a score in [0, 1]."""
    keep = 1.0
    for reason in reasons:
        keep *= 1.0 - _weight(reason)
    return round(1.0 - keep, 3)


# What each entity means for an outgoing marketing message: a leaked card or secret is blocked.
PII_SEVERITY: dict[str, Severity] = {
    "card": "block",
    "secret": "block",
    "email": "warn",
    "phone": "warn",
    "iban": "warn",
    "crypto": "warn",
    "ip": "warn",
    "national_id": "block",
}
PII_MESSAGES = {
    "card": "Contains a payment card number",
    "secret": "Contains a secret (an API key or token)",
    "email": "Contains an e-mail address",
    "phone": "Contains a phone number",
    "iban": "Contains a bank account number (IBAN)",
    "crypto": "Contains a crypto wallet address",
    "ip": "Contains an IP address",
    "national_id": "Contains a national identity number",
}


def _check_pii(text: str) -> list[Reason]:
    """Finds personal data and secrets (see `pii.py`); the match shown is masked."""
    return [
        Reason(
            code=f"pii_{finding.entity}",
            severity=PII_SEVERITY[finding.entity],
            span=finding.span,
            match=finding.masked,
            message=PII_MESSAGES[finding.entity],
            category=finding.kind,
        )
        for finding in find_pii(text)
    ]


def _weight(reason: Reason) -> float:
    if reason.severity == "block":
        return 1.0
    if reason.code == "blacklist_term":
        return SEVERITY_WEIGHTS[reason.severity]
    return WEIGHTS.get(reason.code, SEVERITY_WEIGHTS[reason.severity])


def _reason_order(reason: Reason) -> tuple[int, int]:
    rank = {"block": 0, "warn": 1, "info": 2}[reason.severity]
    return rank, reason.span[0] if reason.span else -1


__all__ = ["luhn_valid"]

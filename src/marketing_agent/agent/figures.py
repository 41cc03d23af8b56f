"""Every figure in an answer comes from a tool result of the same conversation.

`unsupported_figures` lists the numbers of an answer that no tool returned (a count, a rate
shown as a percentage of a returned fraction, an amount in dollars of returned micro-USD are
supported; numbers the person wrote in their question, citation markers "[S2]" and dates and
times are exempt: a timestamp's "…T21:40:13" in a tool result supports no "40%").
The chat asks the model to fix such an answer once, then replaces what is still unsupported by
"[unverified figure]" and says so: the user never reads an invented number as a fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

UNVERIFIED = "[unverified figure]"
_CITATION = re.compile(r"\[S\d+(?:\s*,\s*S\d+)*\]")
# 2026-12-02 · 2026-12-02T21:40:13.5+00:00 · 21:40 · 21:40:13: dates and clock times, not figures.
_DATETIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
    r"|\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\b"
)
# 1,234 · 1 234 · 12.5 · 12,5 · 40% · $3.20 · -2 ; not the digits inside words ("A1", "v2").
_NUMBER = re.compile(
    r"(?<![\w.,])[-+]?\$?(?:\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+|\d+)(?:[.,]\d+)?\s?%?(?![\w])"
)


def figures_in(text: str) -> list[str]:
    """Returns the figures of `text` as written, citation markers, dates and times left out."""
    plain = _DATETIME.sub(" ", _CITATION.sub(" ", text))
    return [m.group(0).strip() for m in _NUMBER.finditer(plain)]


def numbers_in(value: Any) -> set[Decimal]:
    """Returns every number inside a JSON-like value (strings are searched too)."""
    found: set[Decimal] = set()
    if isinstance(value, bool) or value is None:
        return found
    if isinstance(value, int | float):
        found.add(Decimal(str(value)))
    elif isinstance(value, str):
        for figure in figures_in(value):
            number = _parse(figure)
            if number is not None:
                found.add(number)
    elif isinstance(value, dict):
        for item in value.values():
            found |= numbers_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= numbers_in(item)
    return found


def unsupported_figures(answer: str, *, sources: Iterable[Any], question: str = "") -> list[str]:
    """Returns the figures of `answer` that no source holds (in any of the accepted forms)."""
    known: set[Decimal] = set()
    for source in sources:
        known |= numbers_in(source)
    asked = {n for n in (_parse(f) for f in figures_in(question)) if n is not None}
    missing = []
    for figure in figures_in(answer):
        number = _parse(figure)
        if number is None or number in asked:
            continue
        if not _supported(figure, number, known):
            missing.append(figure)
    return missing


def strip_unsupported(answer: str, figures: Iterable[str]) -> str:
    """Returns `answer` with each unsupported figure replaced by a visible marker."""
    result = answer
    for figure in sorted(set(figures), key=len, reverse=True):
        result = re.sub(rf"(?<![\w.,]){re.escape(figure)}(?![\w])", UNVERIFIED, result)
    return result


def _supported(figure: str, number: Decimal, known: set[Decimal]) -> bool:
    exponent = number.as_tuple().exponent
    decimals = max(-exponent, 0) if isinstance(exponent, int) else 0
    candidates = {number}
    if figure.endswith("%"):
        candidates.add(number / 100)
    if figure.lstrip("+-").startswith("$"):
        candidates.add(number * 1_000_000)  # dollars of micro-USD
    for value in known:
        for candidate in candidates:
            if value == candidate:
                return True
            # A shown rounding of a returned value: 0.3333 shown as 33.3% or 0.33.
            if candidate is not number and _rounds_to(value * 100, number, decimals):
                return True
            if _rounds_to(value, number, decimals):
                return True
    return False


def _rounds_to(value: Decimal, shown: Decimal, decimals: int) -> bool:
    try:
        return value.quantize(Decimal(1).scaleb(-decimals)) == shown
    except InvalidOperation:
        return False


def _parse(figure: str) -> Decimal | None:
    raw = figure.replace("$", "").replace("%", "").strip()
    raw = re.sub(r"[\u202f\u00a0 ]", "", raw)
    if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
        raw = raw.replace(",", "")
    elif re.fullmatch(r"[-+]?\d+,\d+", raw):
        raw = raw.replace(",", ".")  # a decimal comma (de, fr, es, pt, ru)
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None

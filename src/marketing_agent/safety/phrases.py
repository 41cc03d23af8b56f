"""Phrase lists matched in one pass, however many phrases, and however the text disguises them.

Phrases and text go through the same normalisation (`normalise.py`, both readings of the text:
punctuation as word breaks and glued); an Aho-Corasick automaton
(pyahocorasick: on 10,000 phrases it scanned 34 MB/s against ahocorasick-rs's 25 MB/s with
overlapping matches, see docs/benchmarks.md) finds every phrase between word breaks, and each
hit is checked against what normalisation folded away: a letter repeated in the phrase must be
repeated in the text ("as" is not "ass"), and a word of letters is not matched by a number.
Each matcher keeps the readings of sentences it has seen twice (`SentenceReadings`), so the
renders of one campaign are read from their sentences, not character by character.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import ahocorasick

from marketing_agent.safety.normalise import (
    LEETSPEAK,
    MARKER,
    SEPARATOR,
    Piece,
    QuickReadings,
    SentenceReadings,
    normalise,
    normalise_many,
    quick_readings,
)
from marketing_agent.safety.schemas import Severity

# Partial joins ("getrich quick") are keyed for phrases of up to this many words; longer phrases
# are keyed spaced and fully joined only (the key count doubles with each word).
_MAX_WORDS_FOR_PARTIAL_JOINS = 4


@dataclass(frozen=True)
class Phrase:
    """A phrase to find, as configured, with its category and severity."""

    text: str
    severity: Severity = "warn"
    category: str = "blacklist"


@dataclass(frozen=True)
class PhraseMatch:
    """A phrase found in a text: where, in the original text's indices."""

    phrase: Phrase
    span: tuple[int, int]
    matched: str


@dataclass(frozen=True)
class _Key:
    phrase: Phrase
    length: int
    # (offset, letters) where the phrase repeats a letter: the text must repeat it as often.
    runs: tuple[tuple[int, int], ...]
    # Per word of the key: (first, last) positions and whether the phrase writes it in letters.
    words: tuple[tuple[int, int, bool], ...]


class PhraseMatcher:
    """An automaton over a phrase list; `find` returns every distinct phrase in a text."""

    def __init__(self, phrases: list[Phrase], *, sentences_kept: int = 4096) -> None:
        self.phrases = tuple(phrases)
        # The readings of sentences seen twice (0: none kept, every text read whole).
        self._readings = SentenceReadings(sentences_kept)
        self._automaton = ahocorasick.Automaton()
        keys: dict[str, list[_Key]] = {}
        for key_text, key in _keys_of(self.phrases):
            keys.setdefault(key_text, []).append(key)
        for key_text, entries in keys.items():
            self._automaton.add_word(key_text, tuple(entries))
        self._empty = not keys
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[PhraseMatch]:
        """Returns the first occurrence of each phrase found in `text`, in text order."""
        if self._empty:
            return []
        found = self._find_quick(text)
        return self._find_exact([text])[0] if found is None else found

    def _find_quick(self, text: str) -> list[PhraseMatch] | None:
        """Returns `find` of a text from its quick readings (None: it needs `normalise`); the
        map back to the text is made only for a hit."""
        readings = self._readings.of(text)
        if readings is None:
            return None
        hits = list(self._automaton.iter(readings if isinstance(readings, str) else readings.text))
        if not hits:
            return []
        # Assembled from its sentences' readings, a text's are equal to quick_readings'.
        quick = readings if isinstance(readings, QuickReadings) else quick_readings(text)
        if quick is None:
            return None
        return _matches([text], [0], [(quick, hits)])[0]

    def find_many(self, texts: Sequence[str]) -> list[list[PhraseMatch]]:
        """Returns `find` of each text. Each is scanned in its quick readings (the map back to
        the original text is made only for a hit); the few that need the full normalisation
        are normalised together, in one pass (its fixed costs paid once)."""
        found: list[list[PhraseMatch]] = [[] for _ in texts]
        if self._empty:
            return found
        full: list[int] = []
        for index, text in enumerate(texts):
            matches = self._find_quick(text)
            if matches is None:
                full.append(index)
            else:
                found[index] = matches
        if full:
            exact = self._find_exact([texts[index] for index in full])
            for index, matches in zip(full, exact, strict=True):
                found[index] = matches
        return found

    def _find_exact(self, texts: Sequence[str]) -> list[list[PhraseMatch]]:
        """Returns the matches of each text from both readings, normalised with `normalise`."""
        joined = SEPARATOR.join(t.replace(MARKER[0], " ") for t in texts)
        starts = list(itertools.accumulate((len(t) + len(SEPARATOR) for t in texts), initial=0))
        spaced = normalise(joined)
        readings: list[tuple[Located, list[tuple[int, tuple[_Key, ...]]]]] = []
        readings.append((spaced, list(self._automaton.iter(spaced.text))))
        glued = normalise(joined, glued=True)
        if glued.text != spaced.text:
            readings.append((glued, list(self._automaton.iter(glued.text))))
        return _matches(texts, starts, readings)


class Located(Protocol):
    """A text in the matcher's form that knows each position's original span."""

    def span(self, first: int, last: int) -> tuple[int, int]: ...
    def run(self, position: int) -> int: ...
    def all_digits(self, first: int, last: int) -> bool: ...


def _matches(
    texts: Sequence[str],
    starts: Sequence[int],
    readings: Sequence[tuple[Located, list[tuple[int, tuple[_Key, ...]]]]],
) -> list[list[PhraseMatch]]:
    """Returns each text's matches from the automaton's hits in its readings (`starts`: where
    each text begins in the readings' original): the earliest occurrence of each phrase that
    survives what normalisation folded away."""
    found: list[dict[Phrase, PhraseMatch]] = [{} for _ in texts]
    for norm, hits in readings:
        for last, entries in hits:
            for key in entries:
                first = last - key.length + 1
                start, end = norm.span(first + 1, last - 1)
                owner = bisect.bisect_right(starts, start) - 1 if len(starts) > 1 else 0
                text, offset = texts[owner], starts[owner]
                earlier = found[owner].get(key.phrase)
                if earlier is not None and earlier.span[0] <= start - offset:
                    continue
                if not _holds(norm, first, key):
                    continue
                span = (start - offset, min(end - offset, len(text)))
                found[owner][key.phrase] = PhraseMatch(
                    phrase=key.phrase, span=span, matched=text[span[0] : span[1]]
                )
    return [sorted(f.values(), key=lambda m: m.span) for f in found]


def _keys_of(phrases: Sequence[Phrase]) -> list[tuple[str, _Key]]:
    """Returns the automaton keys of the phrases: words spaced, joined, and partly joined."""
    variants: list[tuple[Phrase, str]] = []
    for phrase, piece in zip(phrases, normalise_many([p.text for p in phrases]), strict=True):
        words = _original_words(piece)
        gaps = len(words) - 1
        if not words:
            continue
        if len(words) <= _MAX_WORDS_FOR_PARTIAL_JOINS:
            joins = list(itertools.product((" ", ""), repeat=gaps))
        else:
            joins = [(" ",) * gaps, ("",) * gaps]
        for join in joins:
            glued = zip(join, words[1:], strict=True)
            variants.append((phrase, words[0] + "".join(sep + word for sep, word in glued)))
    keys: list[tuple[str, _Key]] = []
    seen: set[tuple[Phrase, str]] = set()
    for (phrase, _), piece in zip(variants, normalise_many([v for _, v in variants]), strict=True):
        if (phrase, piece.text) in seen or not piece.text.strip():
            continue
        seen.add((phrase, piece.text))
        keys.append((piece.text, _key_of(phrase, piece)))
    return keys


def _words(piece: Piece) -> list[tuple[int, int]]:
    """Returns the (first, last) positions of each word of a normalised piece."""
    words: list[tuple[int, int]] = []
    first = None
    for index, char in enumerate(piece.text):
        if char != " " and first is None:
            first = index
        elif char == " " and first is not None:
            words.append((first, index - 1))
            first = None
    return words


def _original_words(piece: Piece) -> list[str]:
    """Returns the phrase's words as written, split where normalisation puts word breaks."""
    return [piece.original[piece.spans[a][0] : piece.spans[b][1]] for a, b in _words(piece)]


def _key_of(phrase: Phrase, piece: Piece) -> _Key:
    # A word is checked against a number only when digits can spell it: its every letter is one
    # a digit reads as (leetspeak) or a digit itself.
    words = tuple(
        (a, b, not piece.all_digits(a, b) and _digits_can_spell(piece.text[a : b + 1]))
        for a, b in _words(piece)
    )
    runs = tuple((index, run) for index, run in enumerate(piece.runs) if run > 1)
    return _Key(phrase=phrase, length=len(piece.text), runs=runs, words=words)


# The letters a digit stands for in the matcher's form (leetspeak); other digits stay digits.
_DIGIT_LETTERS = frozenset(LEETSPEAK.values())


def _digits_can_spell(word: str) -> bool:
    """Tells whether a word in the matcher's form could come from a text written in digits."""
    return all(char in _DIGIT_LETTERS or char.isdigit() for char in word)


def _holds(norm: Located, first: int, key: _Key) -> bool:
    """Tells whether a hit survives what normalisation folded away."""
    for offset, needed in key.runs:
        if norm.run(first + offset) < needed:
            return False  # "as" is not "ass"
    for word_first, word_last, in_letters in key.words:
        if in_letters and norm.all_digits(first + word_first, first + word_last):
            return False  # "50" is not "so"
    return True

"""Text normalisation for evasion-proof matching, with a map back to the original text.

Every character goes through one lookup table (NFKC, case folding, accents dropped, look-alike
letters from other scripts and leetspeak digits mapped to Latin, invisible characters dropped,
everything that is not a letter or digit turned into a word break); then runs of breaks and of
the same letter collapse, and words spelt letter by letter ("f r e e", "f.r.e.e") are joined.
A text has two readings: punctuation and symbols as word breaks ("free-money" is "free money"),
and glued, punctuation between letters removed ("fr-ee", "fr.ee", "fr*ee" are "free"); white
space is a word break in both, so "for ee" is never "free".
The work is done on numpy arrays of code points, so a message costs a few array operations, not
a Python loop per character, and each normalised position knows the original span it came from.
`quick_readings` gives the same texts for a fraction of the cost, the spans only when asked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import numpy.typing as npt

SPACE = 0x20
_DROP = 0  # the table's value for a character that is removed (zero-width, combining marks)
# The table's value for punctuation and symbols ("-", ".", "_", "*", emoji): a word break in the
# spaced reading, removed in the glued one. No character maps to it otherwise (controls are breaks).
SOFT = 0x1F
_FULL = 0xE001  # in `quick_readings`' table: a character only `normalise` handles

# Look-alike letters (Unicode confusables) that NFKC leaves alone, mapped to the Latin letter
# they imitate. Lower case only: the table folds case first. A small, chosen set (Cyrillic,
# Greek, Armenian and a few Latin variants) rather than the whole confusables file, so that
# Russian or Greek words keep distinct skeletons from each other.
CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "ѐ": "e",
    "є": "e",
    "һ": "h",
    "н": "h",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "к": "k",
    "м": "m",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "г": "r",
    "ѕ": "s",
    "с": "c",
    "т": "t",
    "у": "y",
    "ў": "y",
    "ԝ": "w",
    "х": "x",
    "ԁ": "d",
    "ɡ": "g",
    "ӏ": "l",
    "ь": "b",
    "п": "n",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "μ": "u",
    "ς": "s",
    "σ": "o",
    # Armenian
    "օ": "o",
    "ս": "u",
    "ց": "g",
    "հ": "h",
    "ո": "n",
    # Latin letters without a decomposition
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
    "ŧ": "t",
    "ß": "s",
    "æ": "a",
    "œ": "o",
    "ɑ": "a",
    "ɩ": "i",
    "ʟ": "l",
}

# Digits and symbols used as letters ("fr33", "$ave", "m0ney"). A word written only in digits is
# not taken for a word written in letters: the matcher checks the original characters.
LEETSPEAK: dict[str, str] = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
}

# Characters that render as nothing: removed rather than read as a word break, so "fr\u200bee"
# is "free". Combining marks (accents) are removed by the table too.
_INVISIBLE = {
    0x00AD,  # soft hyphen
    0x034F,  # combining grapheme joiner
    0x061C,
    0x115F,
    0x1160,
    0x17B4,
    0x17B5,
    0x180E,
    0x3164,
    0xFFA0,
    0xFEFF,
    *range(0x180B, 0x1810),  # Mongolian variation selectors
    *range(0x200B, 0x2010),  # zero-width space, joiners, direction marks
    *range(0x202A, 0x202F),  # bidi embeddings
    *range(0x2060, 0x2070),  # word joiner, invisible operators
    *range(0xFE00, 0xFE10),  # variation selectors
}


@dataclass(frozen=True)
class Normalised:
    """A text in the matcher's form, with what it takes to find a position's original span."""

    text: str
    original: str
    # Index in `original` of each character kept before runs collapsed, and, per position of
    # `text`, the first of those characters it stands for (one more entry closes the last run).
    _origin: npt.NDArray[np.int64]
    _first: npt.NDArray[np.int64]
    _runs: npt.NDArray[np.int64]

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Returns the original span of normalised positions first..last (inclusive)."""
        start = int(self._origin[self._first[first]])
        end = int(self._origin[self._first[last + 1] - 1]) + 1
        return max(start, 0), min(max(end, start), len(self.original))

    def run(self, position: int) -> int:
        """Returns how many letters of the original text one position stands for."""
        return int(self._runs[position])

    def runs(self) -> list[int]:
        """Returns `run` of every position."""
        return [int(r) for r in self._runs.tolist()]

    def spans(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Returns the original start and end of every position, as two arrays."""
        starts = self._origin[self._first[:-1]]
        ends = self._origin[self._first[1:] - 1] + 1
        return np.maximum(starts, 0), np.minimum(np.maximum(ends, starts), len(self.original))

    def all_digits(self, first: int, last: int) -> bool:
        """Tells whether the original text of positions first..last is written in digits."""
        start, end = self.span(first, last)
        return written_in_digits(self.original[start:end])


def written_in_digits(text: str) -> bool:
    """Tells whether every letter or digit of `text` is a digit, and there is one."""
    digits = False
    for char in text:
        if char.isdigit():
            digits = True
        elif char.isalnum():
            return False  # a letter: the usual case, known at the first one
    return digits


def skeleton_char(char: str) -> str:
    """Returns what one character becomes in the matcher's form: '' (dropped), ' ' (a word
    break) or a single letter or digit."""
    code = ord(char)
    if code in _INVISIBLE or 0xE0000 <= code <= 0xE0FFF:
        return ""
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return ""
    folded = unicodedata.normalize("NFKC", char).casefold()
    letters = []
    for part in unicodedata.normalize("NFKD", folded):
        if unicodedata.combining(part):
            continue
        part = CONFUSABLES.get(part, part)
        part = LEETSPEAK.get(part, part)
        letters.append(part if part.isalnum() else " ")
    result = "".join(letters).strip()
    if not result or " " in result:
        return " "
    return result


# Blocks whose letters map to themselves (CJK ideographs, Hangul syllables): skipped when the
# table is built, which keeps building it under a tenth of a second.
_IDENTITY_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA000, 0xA48F), (0xAC00, 0xD7A3))


def _table() -> npt.NDArray[np.uint32]:
    return _tables()[0]


def _quick_table() -> npt.NDArray[np.uint16]:
    return _tables()[2]


@cache
def _tables() -> tuple[npt.NDArray[np.uint32], re.Pattern[str], npt.NDArray[np.uint16]]:
    """Returns the lookup table for the Basic Multilingual Plane, a pattern of the letters
    that spell out as several (ligatures, Roman numerals), and the table of `quick_readings`
    (UTF-16 code units: surrogates 0 like what is dropped, what it leaves to `normalise`
    _FULL), computed once."""
    table = np.full(0x10000, SPACE, dtype=np.uint32)
    expanding: list[str] = []
    for low, high in _IDENTITY_BLOCKS:
        table[low : high + 1] = np.arange(low, high + 1, dtype=np.uint32)
    skipped = {code for low, high in _IDENTITY_BLOCKS for code in range(low, high + 1)}
    category = unicodedata.category
    for code in range(0x10000):
        if code in skipped or 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        kind = category(char)
        special = kind == "Cf" or code in _INVISIBLE or char in LEETSPEAK
        if kind[0] in "PS" and not special:
            table[code] = SOFT  # punctuation and symbols: a break, or nothing when glued
            continue
        if kind[0] not in "LNM" and not special:
            continue  # spaces, controls: a word break
        mapped = skeleton_char(char)
        if mapped == "":
            table[code] = _DROP
        else:
            # An expansion keeps its first letter here; `normalise` spells ligatures out first.
            table[code] = ord(mapped[0])
            if len(mapped) > 1 and kind[0] in "LN" and len(unicodedata.normalize("NFKC", char)) > 1:
                expanding.append(char)
    table[0xE000] = 0xE000  # the markers of `normalise_many`
    table[0xE001] = 0xE001
    pattern = re.compile("[" + "".join(re.escape(c) for c in expanding) + "]")
    quick = np.where(table > 0xFFFF, _FULL, table).astype(np.uint16)
    quick[[ord(c) for c in expanding]] = _FULL
    quick[0xD800:0xE000] = _DROP  # a surrogate: read with its pair, one by one
    quick[0xE000:0xE002] = _FULL  # the markers
    return table, pattern, quick


def normalise(text: str, *, glued: bool = False) -> Normalised:
    """Returns `text` in the matcher's form, padded with a word break at each end; `glued`:
    the reading with punctuation and symbols removed rather than read as word breaks."""
    source, expansion = text, None
    if not text.isascii():
        expanding = _tables()[1]
        if expanding.search(text):
            source, expansion = _expand(text, expanding)
    codes = np.frombuffer(source.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mapped = _map(codes)
    soft = mapped == SOFT
    if glued:
        keep = (mapped != _DROP) & ~soft
    else:
        mapped[soft] = SPACE
        keep = mapped != _DROP
    origin = np.flatnonzero(keep)
    chars = np.empty(len(origin) + 2, dtype=np.uint32)
    chars[0] = chars[-1] = SPACE
    chars[1:-1] = mapped[keep]
    origin = np.concatenate(([-1], origin, [len(codes)]))

    # Runs of word breaks become one break; a word spelt letter by letter ("f r e e", three
    # letters or more) is joined into one.
    is_space = chars == SPACE
    keep = np.empty(len(chars), dtype=bool)
    keep[0] = True
    np.logical_not(is_space[1:] & is_space[:-1], out=keep[1:])
    chars, origin = chars[keep], origin[keep]
    chars, origin = _join_spelt_words(chars, origin)

    # Runs of the same letter collapse into one position.
    starts = np.empty(len(chars), dtype=bool)
    starts[0] = True
    np.not_equal(chars[1:], chars[:-1], out=starts[1:])
    first = np.flatnonzero(starts)
    first = np.append(first, len(chars))
    if expansion is not None:
        lookup = np.concatenate(([-1], expansion, [len(text)]))
        origin = lookup[origin + 1]
    out = chars[starts].tobytes().decode("utf-32-le")
    return Normalised(text=out, original=text, _origin=origin, _first=first, _runs=np.diff(first))


@dataclass(frozen=True)
class Piece:
    """One text of `normalise_many`: its matcher's form (padded), and per position the run
    length and the span in the text."""

    text: str
    original: str
    runs: list[int]
    spans: list[tuple[int, int]]

    def all_digits(self, first: int, last: int) -> bool:
        """Tells whether the original text of positions first..last is written in digits."""
        return written_in_digits(self.original[self.spans[first][0] : self.spans[last][1]])


# Between texts normalised together: a two-letter token no text can produce, so no run of
# single letters or of one letter joins across it.
SEPARATOR = " \ue000\ue001 "
MARKER = "\ue000\ue001"


def normalise_many(texts: Sequence[str]) -> list[Piece]:
    """Returns each text's matcher's form, computed in one pass over all of them (compiling
    10,000 phrases costs one `normalise`, not 40,000)."""
    if not texts:
        return []
    joined = SEPARATOR.join(t.replace("\ue000", " ") for t in texts)
    norm = normalise(joined)
    parts = norm.text.split(MARKER)
    lengths = np.array([len(p) for p in parts], dtype=np.int64)
    sizes = np.array([len(t) for t in texts], dtype=np.int64)
    # Where each piece starts in `norm.text`, and each text in `joined`.
    piece_at = np.concatenate(([0], np.cumsum(lengths + len(MARKER))[:-1]))
    text_at = np.concatenate(([0], np.cumsum(sizes + len(SEPARATOR))[:-1]))
    starts, ends = norm.spans()
    runs = norm.runs()
    owner = np.repeat(np.arange(len(parts)), lengths)
    index = np.concatenate([np.arange(a, a + n) for a, n in zip(piece_at, lengths, strict=True)])
    rel_starts = np.clip(starts[index] - text_at[owner], 0, sizes[owner]).tolist()
    rel_ends = np.clip(ends[index] - text_at[owner], 0, sizes[owner]).tolist()
    pieces: list[Piece] = []
    done = 0
    for text, part, at in zip(texts, parts, piece_at.tolist(), strict=True):
        length = len(part)
        spans = list(
            zip(rel_starts[done : done + length], rel_ends[done : done + length], strict=True)
        )
        pieces.append(Piece(part, text, runs[at : at + length], spans))
        done += length
    return pieces


# Three letters spelt out in a row: `normalise` joins them, `quick_readings` leaves it to it.
_SPELT = re.compile(" [^ ] [^ ] [^ ] ")
READINGS_MARKER = "\ue000"  # between the two readings in `QuickReadings.text`
_MARKER_UNIT = np.array([0xE000], dtype=np.uint16)
_UTF16 = np.dtype("<u2")


@dataclass
class QuickReadings:
    """Both readings of a text (spaced, then glued) in one string, READINGS_MARKER between
    them, equal to `normalise(text).text` and `normalise(text, glued=True).text`; the map back
    to the original text is computed only when a position's span is asked for."""

    text: str
    original: str
    _units: npt.NDArray[np.uint16]  # the padded text's UTF-16 code units
    _kept: npt.NDArray[np.int64] | None  # code unit of each mapped character (None: all kept)
    _letters: npt.NDArray[np.bool_]  # per mapped character: kept in the glued reading
    _last: npt.NDArray[np.bool_]  # per character of both readings: the last of its run

    @cached_property
    def _ends(self) -> npt.NDArray[np.int64]:
        """Returns per position of `text` but the last the index of its run's last character in
        both readings (the spaced reading's mapped characters, the marker, the glued reading's);
        the last position's run ends at the last character, len(self._last)."""
        return np.flatnonzero(self._last)

    def _end(self, position: int) -> int:
        """Returns the index in both readings of the last character of a position's run."""
        ends = self._ends
        return int(ends[position]) if position < len(ends) else len(self._last)

    @cached_property
    def _glued(self) -> npt.NDArray[np.int64]:
        """Returns per character of the glued reading its index among the mapped characters."""
        return np.flatnonzero(self._letters)

    @cached_property
    def _lows(self) -> npt.NDArray[np.int64] | None:
        """Returns per code unit how many low surrogates come before it (None: no character
        beyond the BMP, a code unit is a character)."""
        if self._kept is None:
            return None  # nothing dropped, so no surrogate (the table drops them)
        units = self._units
        low = (units >= 0xDC00) & (units < 0xE000)
        if not low.any():
            return None
        return np.concatenate(([0], np.cumsum(low)))

    def _character(self, index: int) -> int:
        """Returns the index in the padded text of the character at `index` of both readings."""
        mapped = len(self._letters)
        if index == mapped:
            unit = len(self._units) - 1  # the marker: the end of the spaced reading
        else:
            if index > mapped:
                index = int(self._glued[index - mapped - 1])
            unit = int(self._kept[index]) if self._kept is not None else index
        lows = self._lows
        return unit - int(lows[unit]) if lows is not None else unit

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Returns the original span of positions first..last (inclusive)."""
        start = self._character(self._end(first - 1) + 1 if first else 0) - 1
        end = self._character(self._end(last))
        return max(start, 0), min(max(end, start), len(self.original))

    def run(self, position: int) -> int:
        """Returns how many letters of the original text one position stands for."""
        return self._end(position) - (self._end(position - 1) if position else -1)

    def all_digits(self, first: int, last: int) -> bool:
        """Tells whether the original text of positions first..last is written in digits."""
        start, end = self.span(first, last)
        return written_in_digits(self.original[start:end])


def quick_readings(text: str) -> QuickReadings | None:
    """Returns both readings of `text` at a fraction of `normalise`'s cost (a dozen array
    operations: the span map waits until a phrase is found); None when the text needs
    `normalise` itself (letters spelt out, ligatures, the markers)."""
    joined, units, kept, letters, last = _collapsed_readings(text, _quick_table())
    if _needs_normalise(joined):
        return None
    return QuickReadings(joined, text, units, kept, letters, last)


def _collapsed_readings(
    text: str, table: npt.NDArray[np.uint16]
) -> tuple[
    str,
    npt.NDArray[np.uint16],
    npt.NDArray[np.int64] | None,
    npt.NDArray[np.bool_],
    npt.NDArray[np.bool_],
]:
    """Returns both readings of `text` through `table` in one string (READINGS_MARKER between
    them), and what `QuickReadings` needs to map them back."""
    padded = " " + text + " "
    units = np.frombuffer(padded.encode("utf-16-le", "surrogatepass"), _UTF16)
    mapped = table.take(units)
    kept = None
    if not text.isascii() and np.count_nonzero(mapped) != len(mapped):
        kept, mapped = _drop_and_pair(units, mapped)
    letters = mapped > SOFT  # the glued reading: punctuation (SOFT) removed
    # The spaced reading: punctuation a break (every value but SOFT is SPACE or above).
    both = np.concatenate((np.maximum(mapped, SPACE), _MARKER_UNIT, mapped[letters]))
    head = both[:-1]
    last = head != both[1:]
    return head[last].tobytes().decode("utf-16-le") + " ", units, kept, letters, last


def _needs_normalise(joined: str) -> bool:
    """Tells whether both readings in one string hold what only `normalise` reads right."""
    # Letters spelt out in the glued reading are spelt out in the spaced one (a glued reading's
    # single letter has only punctuation, now breaks, between it and white space): one half.
    return chr(_FULL) in joined or bool(_SPELT.search(joined, 0, joined.index(READINGS_MARKER)))


# Between the sentences `SentenceReadings` reads together: the only character its table keeps
# as itself (a text holding it is read whole).
_SENTENCE_MARK = "\ue002"


@cache
def _sentence_table() -> npt.NDArray[np.uint16]:
    """Returns `quick_readings`' table, but for _SENTENCE_MARK, which stays itself."""
    table = _quick_table().copy()
    table[ord(_SENTENCE_MARK)] = ord(_SENTENCE_MARK)
    return table


class SentenceReadings:
    """Both readings of texts, assembled from the readings of their sentences, which are kept
    (up to `limit` sentences, then all forgotten at once): the renders of one campaign share
    their sentences (a greeting shares them too when first names repeat), so most texts cost a
    split and a few look-ups, not a dozen array operations. A sentence's readings are kept
    from its second sighting on; a text with a sentence not seen before is read whole
    (`quick_readings`), so text that never repeats costs a split and a few look-ups more.

    Sentences end at ". " or a line break: a break in both readings (white space, with only
    punctuation beside it), so a text's readings are its sentences' readings, stripped, with
    single spaces between them (tests hold them equal to `quick_readings`')."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._known: dict[str, tuple[str, str]] = {}
        self._seen: set[int] = set()  # hashes of sentences seen once (a collision: kept early)

    def of(self, text: str) -> str | QuickReadings | None:
        """Returns both readings of `text` as `quick_readings` gives them: their text, or the
        `QuickReadings` when the text was read whole; None when it needs `normalise`."""
        if self.limit <= 0 or _SENTENCE_MARK in text:
            return quick_readings(text)
        sentences = text.replace("\n", ". ").split(". ")
        found = list(map(self._known.get, sentences))
        if None in found:
            seen = self._seen
            if found.count(None) == len(found) and not any(hash(s) in seen for s in sentences):
                self._note(*sentences)  # nothing of it seen before: text that does not repeat
                return quick_readings(text)
            missing = [s for s, f in zip(sentences, found, strict=True) if f is None]
            again = [s for s in missing if hash(s) in seen]
            learnt = self._learn(list(dict.fromkeys(again))) if again else {}
            if len(again) < len(missing):  # a sentence never seen: the text is read whole
                self._note(*missing)
                return quick_readings(text)
            found = [learnt.get(s, f) for s, f in zip(sentences, found, strict=True)]
        spaced = " ".join([s for s, _ in found if s])  # type: ignore[misc]
        glued = " ".join([g for _, g in found if g])  # type: ignore[misc]
        joined = f" {spaced} " if spaced else " "
        joined += READINGS_MARKER + (f" {glued} " if glued else " ")
        return None if _needs_normalise(joined) else joined

    def _note(self, *sentences: str) -> None:
        """Notes sentences seen once."""
        if len(self._seen) + len(sentences) > self.limit:
            self._seen.clear()
        self._seen.update(map(hash, sentences))

    def _learn(self, sentences: list[str]) -> dict[str, tuple[str, str]]:
        """Keeps and returns the readings of distinct sentences, read together in one pass."""
        joined = _collapsed_readings(f" {_SENTENCE_MARK} ".join(sentences), _sentence_table())[0]
        spaced, glued = joined.split(READINGS_MARKER)
        pairs = zip(spaced.split(_SENTENCE_MARK), glued.split(_SENTENCE_MARK), strict=True)
        learnt = {s: (a.strip(), b.strip()) for s, (a, b) in zip(sentences, pairs, strict=True)}
        if len(self._known) + len(learnt) > self.limit:
            self._known.clear()
        self._known.update(learnt)
        return learnt


def _drop_and_pair(
    units: npt.NDArray[np.uint16], mapped: npt.NDArray[np.uint16]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint16]]:
    """Returns the code units kept and their values: what is dropped goes, a surrogate pair
    becomes its character's value on the high half (_FULL when that is beyond the BMP)."""
    for index in np.flatnonzero(mapped == _DROP).tolist():  # a few per message
        unit = int(units[index])
        if 0xD800 <= unit < 0xDC00:
            low = int(units[index + 1]) if index + 1 < len(units) else 0
            if 0xDC00 <= low < 0xE000:
                value = _astral_value(chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)))
                mapped[index] = value if value <= 0xFFFF else _FULL
            else:
                mapped[index] = _FULL  # a lone surrogate
        elif 0xDC00 <= unit < 0xE000 and not (index and 0xD800 <= int(units[index - 1]) < 0xDC00):
            mapped[index] = _FULL
    kept = np.flatnonzero(mapped != _DROP)
    return kept, mapped[kept]


def normalise_phrase(phrase: str) -> str:
    """Returns a phrase's words in the matcher's form, separated by single spaces."""
    return normalise(phrase).text.strip()


def _map(codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """Returns each code point's table value (a new array)."""
    table = _table()
    if codes.size == 0 or int(codes.max()) < 0x10000:
        return table.take(codes)
    mapped = np.full(len(codes), SPACE, dtype=np.uint32)
    bmp = codes < 0x10000
    mapped[bmp] = table[codes[bmp]]
    astral = np.flatnonzero(~bmp)
    for index in astral:  # emoji and rarer scripts: few per message
        mapped[index] = _astral_value(chr(int(codes[index])))
    return mapped


def _astral_value(char: str) -> int:
    """Returns the table value of a character beyond the BMP."""
    skeleton = skeleton_char(char)
    if skeleton == "":
        return _DROP
    if skeleton == " ":
        return SOFT  # emoji, other symbols, unassigned: as punctuation
    return ord(skeleton[0])


def _join_spelt_words(
    chars: npt.NDArray[np.uint32], origin: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    n = len(chars)
    if n < 7:
        return chars, origin
    is_space = chars == SPACE
    single = np.zeros(n, dtype=bool)
    single[1:-1] = ~is_space[1:-1] & is_space[:-2] & is_space[2:]
    if np.count_nonzero(single) < 3:
        return chars, origin
    # A break between two single letters goes when the chain has at least three letters.
    between = np.zeros(n, dtype=bool)
    between[1:-1] = is_space[1:-1] & single[:-2] & single[2:]
    longer = np.zeros(n, dtype=bool)
    longer[3:] |= single[:-3]
    longer[:-3] |= single[3:]
    drop = between & longer
    if not drop.any():
        return chars, origin
    keep = ~drop
    return chars[keep], origin[keep]


def _expand(text: str, expanding: re.Pattern[str]) -> tuple[str, npt.NDArray[np.int64]]:
    """Returns `text` with each ligature-like letter ("ﬁ", "Ⅻ") spelt out, and per character
    of the result the index of the original character."""
    parts: list[str] = []
    origin: list[npt.NDArray[np.int64]] = []
    position = 0
    for match in expanding.finditer(text):
        index = match.start()
        parts.append(text[position:index])
        origin.append(np.arange(position, index, dtype=np.int64))
        form = unicodedata.normalize("NFKC", match.group(0))
        parts.append(form)
        origin.append(np.full(len(form), index, dtype=np.int64))
        position = index + 1
    parts.append(text[position:])
    origin.append(np.arange(position, len(text), dtype=np.int64))
    return "".join(parts), np.concatenate(origin)

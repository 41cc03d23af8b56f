"""The proper name inside a brief's product, which every language may quote as typed.

"Winter boots" is ordinary wording: the offline templates cannot translate it, and quoting it
would put English prose into French copy. "Aurora" in "Winter boots by Aurora", "iPhone 16" in
"iPhone 16 cases", a quoted part ("“Aurora” winter boots") or a product in capitals throughout
("Nike Air Max") is a name, the same in every language.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"[\"“”„«»‘’‹›]([^\"“”„«»‘’‹›]+)[\"“”„«»‘’‹›]")
_EDGES = ".,;:!?()[]"


def name_in(product: str) -> str | None:
    """Returns the product's proper name as typed (all of it when it is a name), or None when it
    is ordinary words only."""
    quoted = _QUOTED.search(product)
    if quoted:
        return quoted.group(1).strip() or None
    words = product.split()
    if len(words) == 1:
        return product.strip()  # one word: a name as often as not; the note says how to tell
    marked = [_name_like(word, first=index == 0) for index, word in enumerate(words)]
    # A sentence's first word is capitalised anyway: it is part of a name only when the next
    # word is one too ("Nike Air", not "Winter boots").
    if words[0][:1].isupper() and len(marked) > 1 and marked[1]:
        marked[0] = True
    best: tuple[int, int] = (0, 0)
    start = None
    for index, named in enumerate([*marked, False]):
        if named and start is None:
            start = index
        elif not named and start is not None:
            if index - start > best[1] - best[0]:
                best = (start, index)
            start = None
    if best == (0, 0):
        return None
    return " ".join(words[best[0] : best[1]]).strip(_EDGES) or None


def _name_like(word: str, *, first: bool) -> bool:
    bare = word.strip(_EDGES)
    if not bare:
        return False
    if any(c.isdigit() for c in bare) or "™" in bare or "®" in bare:
        return True
    if any(c.isupper() for c in bare[1:]):
        return True  # iPhone, BMW, McQueen
    return bare[0].isupper() and not first

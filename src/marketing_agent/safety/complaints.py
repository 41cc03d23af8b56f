"""Spam-like replies: a person answering a marketing message with "spam", "stop spamming" or
"I reported you", in the six languages the filter knows. Each one counts against the sender's
health (per thousand messages), as Telegram's own spam reports would."""

from __future__ import annotations

import re
import unicodedata

# Deliberately narrow: a reply that merely asks for a "report" or mentions "junk food" is not a
# complaint. The words are matched case-insensitively, accents as written or left out.
_PATTERNS = (
    r"\bspam\w*",  # spam, spamming, spammer, spamy (any language writes it so)
    r"\bспам\w*",  # спам, спамите, спамер
    r"\b(?:i|we)(?:'ve| have)? (?:just )?reported (?:you|this|your\b)",
    r"\b(?:i'll|i will|going to|gonna) report (?:you|this)",
    r"\breport(?:ed|ing)? (?:you|this) (?:to|as) (?:telegram|spam|junk)",
    r"\bjunk (?:mail|message)s?\b",
    r"\bпожал(?:уюсь|овался|овалась|уемся|овались)\b",
    r"\b(?:кину|отправил[аи]?|напишу) жалобу\b",
    r"\bcorreo basura\b",
    r"\b(?:te|os|les?) (?:he |hemos )?(?:denunciad[oa]s?|reportad[oa]s?)\b",
    r"\b(?:te|os|les?) (?:voy a|vamos a) (?:denunciar|reportar)\b",
    r"\b(?:denuncie|denunciei|vou denunciar|vou te denunciar|denunciad[oa])\b",
    r"\b(?:gemeldet|ich melde (?:euch|dich|sie)|werde (?:euch|dich|sie) melden)\b",
    r"\b(?:je vais vous signaler|je vous ai signale|signale comme (?:spam|indesirable))\b",
    r"\bcourrier indesirable\b",
)
_COMPLAINT = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def _fold(text: str) -> str:
    """Lower case without accents ("signalé" -> "signale"), one space between words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", bare).split())


def spam_complaint_in(text: str | None) -> str | None:
    """Returns the words that make a reply a spam complaint (folded), or None when it is not."""
    if not text:
        return None
    found = _COMPLAINT.search(_fold(text[:4096]))
    return found.group(0) if found else None

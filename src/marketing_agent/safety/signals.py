"""Spam signals: urgency and too-good-to-be-true phrases in six languages, shouting, emoji and
exclamation floods. Each finding is a `Reason` with the span that caused it."""

from __future__ import annotations

import re

from marketing_agent.safety.phrases import Phrase
from marketing_agent.safety.schemas import Reason

SHOUTING_MIN_LETTERS = 12  # from this many letters the share of capitals decides
SHOUTING_UPPER_RATIO = 0.7
SHORT_SHOUTING_MIN_LETTERS = 5  # "SALE" or "OK" alone is not shouting; "BUY NOW" is
SHORT_SHOUTING_UPPER_RATIO = 0.8
EXCLAMATIONS_MAX = 3  # more than this in one message is flagged
EXCLAMATION_RUN_MAX = 2  # "!!!" is flagged, "!!" is not
EMOJI_MAX = 6  # more than this in one message is a flood
EMOJI_RUN_MAX = 3  # four emoji in a row are a flood

# Urgency: pressure to act before thinking. Common in honest marketing too, so only "info".
URGENCY: dict[str, tuple[str, ...]] = {
    "en": (
        "hurry",
        "last chance",
        "limited time only",
        "only today",
        "today only",
        "ends tonight",
        "expires today",
        "don't miss out",
        "while supplies last",
        "urgent",
        "final hours",
        "before it's too late",
    ),
    "ru": (
        "срочно",
        "только сегодня",
        "последний шанс",
        "успейте",
        "спешите",
        "торопитесь",
        "предложение ограничено",
        "не упустите",
    ),
    "es": (
        "solo hoy",
        "última oportunidad",
        "date prisa",
        "actúa ahora",
        "por tiempo limitado",
        "urgente",
        "no te lo pierdas",
        "hasta agotar existencias",
    ),
    "de": (
        "nur heute",
        "letzte chance",
        "jetzt handeln",
        "beeilen sie sich",
        "nur für kurze zeit",
        "dringend",
        "sofort zugreifen",
        "solange der vorrat reicht",
    ),
    "fr": (
        "aujourd'hui seulement",
        "dernière chance",
        "agissez maintenant",
        "dépêchez-vous",
        "offre limitée",
        "ne manquez pas",
        "dans la limite des stocks",
    ),
    "pt": (
        "só hoje",
        "apenas hoje",
        "última chance",
        "aja agora",
        "por tempo limitado",
        "não perca",
        "corra já",
    ),
}

# Promises too good to be true: the language of scams and get-rich offers.
TOO_GOOD: dict[str, tuple[str, ...]] = {
    "en": (
        "double your money",
        "guaranteed income",
        "earn money from home",
        "instant cash",
        "cash prize",
        "passive income guaranteed",
        "you are a winner",
        "free iphone",
    ),
    "ru": (
        "гарантированный доход",
        "без риска",
        "быстрый заработок",
        "вы выиграли",
        "бесплатные деньги",
        "удвоите деньги",
        "заработок без вложений",
        "пассивный доход",
    ),
    "es": (
        "dinero fácil",
        "gana dinero rápido",
        "sin riesgo",
        "100% gratis",
        "has ganado",
        "ingresos garantizados",
        "duplica tu dinero",
        "hazte rico",
    ),
    "de": (
        "schnelles geld",
        "ohne risiko",
        "100% kostenlos",
        "sie haben gewonnen",
        "garantiertes einkommen",
        "geld verdoppeln",
        "reich werden",
    ),
    "fr": (
        "argent facile",
        "sans risque",
        "100% gratuit",
        "vous avez gagné",
        "revenu garanti",
        "doublez votre argent",
        "devenez riche",
    ),
    "pt": (
        "dinheiro fácil",
        "sem risco",
        "100% grátis",
        "você ganhou",
        "renda garantida",
        "dobre seu dinheiro",
        "fique rico",
        "ganhe dinheiro rápido",
    ),
}

SIGNAL_CODES = {"urgency": "urgency", "too_good": "too_good_to_be_true"}
SIGNAL_MESSAGES = {
    "urgency": "Urgency pressure",
    "too_good_to_be_true": "A promise too good to be true",
}
SIGNAL_PHRASES: tuple[Phrase, ...] = (
    *(Phrase(p, "info", "urgency") for phrases in URGENCY.values() for p in phrases),
    *(Phrase(p, "warn", "too_good") for phrases in TOO_GOOD.values() for p in phrases),
)

_EXCLAMATION_RUN = re.compile(rf"[!！‼❗❕]{{{EXCLAMATION_RUN_MAX + 1},}}")
_EXCLAMATION_MARKS = ("!", "！", "‼", "❗", "❕")
# Pictographs (emoji) and the dingbats and symbols used as emoji; modifiers and joiners are
# part of the emoji before them, not emoji of their own.
_EMOJI = re.compile(
    "[\U0001f300-\U0001f5ff\U0001f600-\U0001f64f\U0001f680-\U0001f6ff\U0001f900-\U0001faff"
    "\U0001f1e6-\U0001f1ff\u2600-\u27bf\u2b50\u2b55\u2934\u2935\u3030\u303d]"
)
_EMOJI_RUN = re.compile(
    "(?:"
    + _EMOJI.pattern
    + "[\ufe0f\u200d\U0001f3fb-\U0001f3ff]*\\s?){"
    + str(EMOJI_RUN_MAX + 1)
    + ",}"
)
_CAPS_WORD = re.compile(r"\b[^\W\d_]{2,}\b")


def check_shouting(text: str) -> list[Reason]:
    """Flags a text written mostly in capitals, short ones ("BUY NOW") included."""
    upper = sum(map(str.isupper, text))
    cased = upper + sum(map(str.islower, text))
    if cased < SHORT_SHOUTING_MIN_LETTERS or upper == 0:
        return []
    ratio = upper / cased
    if cased >= SHOUTING_MIN_LETTERS:
        shouting = ratio >= SHOUTING_UPPER_RATIO
    else:
        caps_words = [w for w in _CAPS_WORD.findall(text) if w.isupper()]
        shouting = ratio >= SHORT_SHOUTING_UPPER_RATIO and len(caps_words) >= 2
    if not shouting:
        return []
    first = next(i for i, ch in enumerate(text) if ch.isupper())
    last = max(i for i, ch in enumerate(text) if ch.isupper())
    return [
        Reason(
            code="shouting",
            severity="warn",
            span=(first, last + 1),
            message=f"{round(100 * ratio)}% of the letters are capitals",
        )
    ]


def check_exclamations(text: str) -> list[Reason]:
    """Flags "!!!" and more than a few exclamation marks in one message."""
    count = sum(text.count(mark) for mark in _EXCLAMATION_MARKS)
    run = _EXCLAMATION_RUN.search(text) if count > EXCLAMATION_RUN_MAX else None
    if count <= EXCLAMATIONS_MAX and run is None:
        return []
    first = min(i for i in (text.find(m) for m in _EXCLAMATION_MARKS) if i >= 0)
    last = max(text.rfind(m) for m in _EXCLAMATION_MARKS)
    return [
        Reason(
            code="exclamations",
            severity="warn",
            span=run.span() if run else (first, last + 1),
            message=f"{count} exclamation marks" + (" in a row" if run else ""),
        )
    ]


def check_emoji(text: str) -> list[Reason]:
    """Flags a flood of emoji: many in one message, or several in a row."""
    if text.isascii():
        return []
    emoji = [m.span() for m in _EMOJI.finditer(text)]
    run = _EMOJI_RUN.search(text) if len(emoji) > EMOJI_RUN_MAX else None
    if len(emoji) <= EMOJI_MAX and run is None:
        return []
    return [
        Reason(
            code="emoji_flood",
            severity="warn",
            span=run.span() if run else (emoji[0][0], emoji[-1][1]),
            message=f"{len(emoji)} emoji" + (" in a row" if run else ""),
        )
    ]

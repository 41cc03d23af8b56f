"""The reply assistant: what a recipient's reply wants, and an answer for a person to approve.

Replies are untrusted input: they are only ever classified here, never obeyed. An opt-out in
any of our six languages ("please stop writing to me", "отпишите меня", "keine Nachrichten
mehr") is recognised so the caller can withdraw consent at once, without waiting for a human;
everything else waits for a person, with a suggested answer in the recipient's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class ReplyIntent(StrEnum):
    OPT_OUT = "opt_out"
    COMPLAINT = "complaint"
    PURCHASE_INTENT = "purchase_intent"
    QUESTION = "question"
    OTHER = "other"


@dataclass(frozen=True)
class ReplyClass:
    """What a reply wants, the words that showed it, and an answer a person may send."""

    intent: ReplyIntent
    matched: str | None
    language: str
    suggested_answer: str | None


def _fold(text: str) -> str:
    """Lower case without accents ("Désabonner" -> "desabonner"); Cyrillic stays Cyrillic."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped.replace("’", "'"))


def _patterns(*alternatives: str) -> re.Pattern[str]:
    # Folded like the replies they are matched against ("какой" loses its breve too).
    return re.compile("|".join(f"(?:{_fold(a)})" for a in alternatives), re.IGNORECASE)


# Checked on the reply folded to lower case without accents; order is precedence.
INTENT_PATTERNS: tuple[tuple[ReplyIntent, re.Pattern[str]], ...] = (
    (
        ReplyIntent.OPT_OUT,
        _patterns(
            r"^\s*/?(?:stop|unsubscribe|stopp|стоп|alto|basta|pare|arrete[rz]?)\s*[.!]*\s*$",
            r"\bunsubscribe\b",
            r"\bopt(?:[- ])?out\b",
            r"\b(?:do not|don'?t|dont|never|stop)\s+(?:\w+\s+)?(?:messag|text|writ|send|contact)"
            r"\w*\s+(?:(?:to|at)\s+)?(?:me|us)\b",
            r"\bno more (?:messages|texts|spam)\b",
            r"\bremove me\b",
            r"\btake me off\b",
            r"\bleave me alone\b",
            r"\bотпи(?:ш|с)",
            r"\bне (?:пиши|пишите|присылайте|присылай|беспокойте)\b",
            r"\bудалите меня\b",
            r"\bхватит (?:писать|присылать|слать)\b",
            r"\babmelden\b",
            r"\babbestellen\b",
            r"\bkeine (?:nachrichten|werbung|mails?) mehr\b",
            r"\bhor(?:en sie)? auf\b",
            r"\bdesabonn",
            r"\bdesinscri",
            r"\bne (?:plus|pas) (?:m'?ecrire|me contacter|recevoir)",
            r"\barretez (?:de|vos)\b",
            r"\bdar(?:me)? de baja\b",
            r"\bdame de baja\b",
            r"\bno me (?:escriban|escribas|envien|envies|manden|mandes)\b",
            r"\bdejen de (?:escribir|enviar|mandar)",
            r"\bcancelar (?:la )?suscripcion\b",
            r"\bdescadastr",
            r"\bcancelar (?:a )?inscricao\b",
            r"\bparem de (?:enviar|mandar|escrever)",
            r"\bnao (?:quero|desejo) (?:mais )?receber\b",
        ),
    ),
    (
        ReplyIntent.COMPLAINT,
        _patterns(
            r"\b(?:spam|scam|fraud|terrible|awful|worst|refund|broken|complain\w*|disappointed)\b",
            r"\bnever (?:arrived|came)\b",
            r"\b(?:спам|ужас\w*|обман\w*|жалоб\w*|верните деньги|возврат)\b",
            r"\b(?:beschwerde|betrug|enttauscht|kaputt|ruckerstattung)\b",
            r"\b(?:arnaque|plainte|decu|rembourse\w*|nul)\b",
            r"\b(?:estafa|queja|reembolso|decepcion\w*|fatal)\b",
            r"\b(?:golpe|reclamacao|reembolso|decepcion\w*|pessimo)\b",
        ),
    ),
    (
        ReplyIntent.PURCHASE_INTENT,
        _patterns(
            r"\b(?:buy|order|purchase|how much|price|in stock|i'?ll take|i want (?:it|one|two))\b",
            r"\b(?:купить|куплю|заказать|закажу|сколько стоит|цена|в наличии|хочу)\b",
            r"\b(?:kaufen|bestellen|preis|wie viel|auf lager)\b",
            r"\b(?:acheter|commander|prix|combien|en stock)\b",
            r"\b(?:comprar|compro|pedido|precio|cuanto cuesta|cuanto vale)\b",
            r"\b(?:comprar|compro|pedido|preco|quanto custa)\b",
        ),
    ),
    (
        ReplyIntent.QUESTION,
        _patterns(
            r"\?",
            r"^\s*(?:how|what|when|where|why|which|who|can|could|is|are|do|does)\b",
            r"^\s*(?:как|что|когда|где|почему|какой|какая|можно)\b",
            r"^\s*(?:wie|was|wann|wo|warum|welche[rs]?|kann|gibt es)\b",
            r"^\s*(?:comment|quoi|quand|ou|pourquoi|quel(?:le)?s?|est-ce)\b",
            r"^\s*(?:como|que|cuando|donde|por que|cual)\b",
            r"^\s*(?:como|o que|quando|onde|por que|qual)\b",
        ),
    ),
)

ANSWERS: dict[ReplyIntent, dict[str, str]] = {
    ReplyIntent.COMPLAINT: {
        "en": "We're sorry to hear that, {first_name}. Could you tell us a little more so we can "
        "put it right?",
        "ru": "Нам очень жаль, {first_name}. Расскажите, пожалуйста, подробнее — мы всё исправим.",
        "de": "Das tut uns leid, {first_name}. Erzählen Sie uns bitte mehr, damit wir es in "
        "Ordnung bringen können?",
        "fr": "Nous sommes désolés, {first_name}. Pouvez-vous nous en dire plus pour que nous "
        "puissions arranger cela ?",
        "es": "Lamentamos mucho lo ocurrido, {first_name}. ¿Nos cuentas un poco más para poder "
        "solucionarlo?",
        "pt": "Lamentamos muito, {first_name}. Pode nos contar um pouco mais para resolvermos?",
    },
    ReplyIntent.PURCHASE_INTENT: {
        "en": "Great to hear, {first_name}! Here is how to order: ",
        "ru": "Отлично, {first_name}! Вот как оформить заказ: ",
        "de": "Schön zu hören, {first_name}! So können Sie bestellen: ",
        "fr": "Super, {first_name} ! Voici comment commander : ",
        "es": "¡Genial, {first_name}! Así puedes hacer tu pedido: ",
        "pt": "Que ótimo, {first_name}! Veja como fazer o pedido: ",
    },
    ReplyIntent.QUESTION: {
        "en": "Thanks for your question, {first_name}! ",
        "ru": "Спасибо за вопрос, {first_name}! ",
        "de": "Danke für Ihre Frage, {first_name}! ",
        "fr": "Merci pour votre question, {first_name} ! ",
        "es": "¡Gracias por tu pregunta, {first_name}! ",
        "pt": "Obrigado pela pergunta, {first_name}! ",
    },
}


def classify_reply(text: str, *, language: str | None = None) -> ReplyClass:
    """Returns what a reply wants; an opt-out wins over anything else it also says."""
    folded = _fold(text)
    lang = _language(language)
    for intent, pattern in INTENT_PATTERNS:
        found = pattern.search(folded)
        if found:
            return ReplyClass(
                intent=intent,
                matched=found.group(0).strip(),
                language=lang,
                suggested_answer=ANSWERS.get(intent, {}).get(lang),
            )
    return ReplyClass(intent=ReplyIntent.OTHER, matched=None, language=lang, suggested_answer=None)


def _language(tag: str | None) -> str:
    primary = (tag or "en").strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in ANSWERS[ReplyIntent.QUESTION] else "en"

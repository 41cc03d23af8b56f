"""The offers the offline strategist can say in every language: a brief's offer ("20% off",
"€10 off + free shipping", "2 for 1") read as terms, and those terms in a language's own words.

An offer that is not one of these terms is the marketer's free wording, which templates cannot
translate; the caller says so instead of quoting it in another language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from marketing_agent.agent.providers.copy_templates import OfferWords

TermKind = Literal[
    "percent_off", "up_to_percent_off", "amount_off", "free_shipping", "2for1", "gift"
]


@dataclass(frozen=True)
class OfferTerm:
    """One part of an offer: its kind, and the number and currency where it has them."""

    kind: TermKind
    number: str = ""  # as digits with a dot: "20", "12.5"
    currency: str = ""  # a symbol ("€") or a code ("EUR")


# Words around a discount in the languages we write, which say nothing more than "a discount".
_DISCOUNT_WORDS = re.compile(
    r"\b(?:save|get|off|discount|savings?|on everything|everything|sitewide|storewide|"
    r"rabatt|sparen|"
    r"скидк[аиуео]|de descuento|descuento|de réduction|réduction|de remise|remise|"
    r"de desconto|desconto)\b",
    re.IGNORECASE,
)
_UP_TO = re.compile(r"^(?:up to|bis zu|до|jusqu'à|jusqu’à|hasta(?: un)?|até)\s+", re.IGNORECASE)
_PERCENT = re.compile(r"^[-−–]?\s*(\d{1,3}(?:[.,]\d{1,2})?)\s?(?:%|percent|per cent|процент\w*)$")
_CURRENCIES = r"(R\$|US\$|\$|€|£|₽|USD|EUR|GBP|RUB|BRL|руб\.?)"
_AMOUNT = re.compile(
    rf"^[-−–]?\s*(?:{_CURRENCIES}\s?(\d{{1,6}}(?:[.,]\d{{1,2}})?)"
    rf"|(\d{{1,6}}(?:[.,]\d{{1,2}})?)\s?{_CURRENCIES})$",
    re.IGNORECASE,
)
_FIXED: dict[TermKind, re.Pattern[str]] = {
    "free_shipping": re.compile(
        r"^(?:free (?:shipping|delivery|postage)|shipping is free|бесплатная доставка|"
        r"kostenloser versand|versandkostenfrei|livraison gratuite|envío gratis|"
        r"envío gratuito|frete grátis)$",
        re.IGNORECASE,
    ),
    "2for1": re.compile(
        r"^(?:buy one,? get one(?: free)?|bogo|2 for 1|2-for-1|two for one|2x1|"
        r"два по цене одного|zwei zum preis von einem|deux pour le prix d'un|dos por uno|"
        r"leve dois,? pague um)$",
        re.IGNORECASE,
    ),
    "gift": re.compile(
        r"^(?:a )?(?:free gift(?: with (?:every|your|each) (?:order|purchase))?|"
        r"gift with purchase|подарок(?: к покупке)?|ein geschenk|un cadeau(?: offert)?|"
        r"un regalo|um brinde)$",
        re.IGNORECASE,
    ),
}
_JOINS = re.compile(r"\s*(?:\+|&|,|;|\band\b|\bplus\b|\bund\b|\bet\b|\by\b|\bи\b|\be\b)\s*")
_SYMBOL_OF = {"руб": "₽", "руб.": "₽", "us$": "$"}


def read_offer(offer: str) -> list[OfferTerm] | None:
    """Returns the offer as terms, or None when any part of it is the marketer's own wording."""
    text = offer.strip().rstrip(".!")
    whole = _term(text)  # "buy one, get one free" is one term, commas and all
    if whole is not None:
        return [whole]
    parts = [p for p in _JOINS.split(text) if p.strip()]
    terms = [_term(part) for part in parts]
    if not terms or any(term is None for term in terms):
        return None
    return [term for term in terms if term is not None]


def say_offer(terms: list[OfferTerm], words: OfferWords) -> str:
    """Returns the terms in one language's words: "скидка 20% и бесплатная доставка"."""
    said = [_say(term, words) for term in terms]
    return ", ".join(said[:-1]) + words.joined_by + said[-1] if len(said) > 1 else said[0]


def _term(part: str) -> OfferTerm | None:
    text = " ".join(part.split())
    for fixed, pattern in _FIXED.items():
        if pattern.match(text):
            return OfferTerm(fixed)
    up_to = _UP_TO.match(text)
    bare = _UP_TO.sub("", text, count=1) if up_to else text
    bare = " ".join(_DISCOUNT_WORDS.sub(" ", bare).split())
    percent = _PERCENT.match(bare)
    if percent:
        kind: TermKind = "up_to_percent_off" if up_to else "percent_off"
        return OfferTerm(kind, number=_number(percent.group(1)))
    amount = _AMOUNT.match(bare)
    if amount and not up_to:
        currency = amount.group(1) or amount.group(4)
        number = amount.group(2) or amount.group(3)
        return OfferTerm("amount_off", number=_number(number), currency=_currency(currency))
    return None


def _number(text: str) -> str:
    return text.replace(",", ".")


def _currency(text: str) -> str:
    return _SYMBOL_OF.get(text.lower(), text.upper() if text.isalpha() else text)


def _say(term: OfferTerm, words: OfferWords) -> str:
    number = term.number.replace(".", ",") if words.decimal_comma else term.number
    if term.kind == "percent_off":
        return words.percent_off.substitute(n=number)
    if term.kind == "up_to_percent_off":
        return words.up_to_percent_off.substitute(n=number)
    if term.kind == "amount_off":
        symbol = not term.currency.isalpha()
        money = (
            f"{term.currency}{number}"
            if words.money_first and symbol
            else f"{number} {term.currency}"
        )
        return words.amount_off.substitute(money=money)
    if term.kind == "free_shipping":
        return words.free_shipping
    if term.kind == "2for1":
        return words.two_for_one
    return words.free_gift

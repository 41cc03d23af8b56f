"""The offline strategist: a plan from hand-written templates per language, without any LLM,
and saying so.

It writes from the brief's fields (product, offer, deadline, call to action, tone, languages),
never from instructions meant for us ("tell our subscribers ...", "get them to click"), gives
every language of the audience its own text of each variant, works through the same tools as an
LLM would (the audience summary, the safety guard), and rewrites a variant the guard flags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from string import Template
from typing import Any

from marketing_agent.agent.conversation import CallLimits
from marketing_agent.agent.prompts import SHIPPED, PromptSet
from marketing_agent.agent.providers.copy_templates import (
    ANGLE_LAYOUTS,
    ANGLE_NAMES,
    ANGLE_RATIONALES,
    COPY,
    DEFAULT_LANGUAGE,
    LanguageCopy,
    language_of,
)
from marketing_agent.agent.providers.offers import read_offer, say_offer
from marketing_agent.agent.providers.product_names import name_in
from marketing_agent.agent.schemas import (
    VARIANT_KEYS,
    CampaignBrief,
    CampaignPlan,
    ToolCallRecord,
    Usage,
    VariantDraft,
    primary_language,
)
from marketing_agent.agent.tools import (
    CHECK_CONTENT,
    DESCRIBE_AUDIENCE,
    AgentTools,
    is_flagged,
    reason_messages,
    run_tool,
)

OFFLINE_PROVIDER = "offline"
OFFLINE_MODEL = "templates-v2"
OPT_OUT = COPY[DEFAULT_LANGUAGE].opt_out
DEFAULT_TONE = "friendly"
OFFLINE_NOTE = (
    "Produced offline from templates, without an LLM. Set MA_ANTHROPIC_API_KEY (or "
    "MA_LLM_PROVIDER) to have a strategist write each message for this brief."
)
MAX_HEADLINE_CHARS = 160

_AUDIENCE = (
    r"(?:our |the |all |your )?"
    r"(?:customers|subscribers|users|people|everyone|followers|clients|audience)"
)
_INSTRUCTION = re.compile(
    r"^\s*(?:please\s+)?(?:"
    rf"announce|promote|advertise|share|introduce|tell {_AUDIENCE}(?: about| that)?|"
    rf"let {_AUDIENCE} know(?: about| that)?|invite {_AUDIENCE} to|"
    rf"remind {_AUDIENCE} (?:about|of|that|to)"
    r")\s*:?\s+",
    re.IGNORECASE,
)
# Words that show a text talks to us about the customers rather than to a customer: such a goal
# is a brief, and quoting it would send our instructions to the people we write to.
_BRIEF_TALK = re.compile(
    r"\b(?:get|make|encourage|convince|push|ask|remind|tell|let|urge|persuade)\s+"
    r"(?:them|people|customers|subscribers|users|everyone|folks)\b"
    r"|\b(?:our|the|all|my)\s+(?:customers|subscribers|users|audience|followers|clients|"
    r"segment|list)\b"
    r"|\b(?:who|that)\s+(?:like|liked|love|loved|bought|buy|purchased|visited|opened)\b"
    r"|\b(?:we|i)\s+(?:want|need|would like|'d like)\b|\bmake sure\b|\btry to\b|\bthey\b|\bthem\b"
    r"|\bclick[- ]?through\b|\bconversions?\b|\bcampaign\b|\btarget(?:ing)?\b|\bbrief\b",
    re.IGNORECASE,
)
# Words that read as pressure or hype; a sober rewrite leaves them out.
_HYPE = re.compile(
    r"\b(?:guaranteed?|risk[- ]free|act now|hurry|limited time|last chance|urgent(?:ly)?|"
    r"once in a lifetime|winner|miracle|instant(?:ly)?)\b|\b100\s?%",
    re.IGNORECASE,
)
# French sets a colon off with a space ("Détails : https://..."), as its templates do.
_COLON = {"fr": " : "}
_SYMBOLS = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF]")


@dataclass
class _Drafting:
    """The state of one offline plan: what the tools said, and what to tell the marketer."""

    tools: AgentTools
    risk_threshold: float
    records: list[ToolCallRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    async def describe_audience(self) -> dict[str, Any] | None:
        outcome = await run_tool(self.tools, DESCRIBE_AUDIENCE, {})
        self.records.append(outcome.record)
        return outcome.data

    async def check(self, text: str) -> dict[str, Any] | None:
        outcome = await run_tool(self.tools, CHECK_CONTENT, {"text": text})
        self.records.append(outcome.record)
        return outcome.data


@dataclass(frozen=True)
class _Subject:
    """What a message says, per language: the headline, or None where only a neutral line fits."""

    headlines: dict[str, str | None]
    leads: dict[str, str | None]  # the link's lead per language; None: the language's default

    def of(self, language: str, *, sober: bool) -> str | None:
        headline = self.headlines.get(language)
        if headline is None or not sober:
            return headline
        return _sober(headline) or None


class OfflineProvider:
    """Builds a strategy and distinct variants from templates; no network, no tokens."""

    name = OFFLINE_PROVIDER
    model = OFFLINE_MODEL

    def __init__(self, *, risk_threshold: float = 0.5) -> None:
        self.risk_threshold = risk_threshold

    async def plan_campaign(
        self,
        brief: CampaignBrief,
        tools: AgentTools,
        *,
        limits: CallLimits | None = None,
        prompts: PromptSet = SHIPPED,
    ) -> CampaignPlan:
        """Writes from templates; `limits` and `prompts` do not apply (nothing is spent,
        nothing leaves)."""
        drafting = _Drafting(tools=tools, risk_threshold=self.risk_threshold)
        drafting.notes.append(OFFLINE_NOTE)
        tone = _tone(brief, drafting.notes)
        audience = await drafting.describe_audience()
        languages = _languages(brief, audience, drafting.notes)
        subject = _subject(brief, languages, drafting.notes)
        variants = []
        for index in range(brief.variant_count):
            texts = {
                language: await self._draft_text(
                    drafting, brief, subject, tone, index, language, main=language == languages[0]
                )
                for language in languages
            }
            main = languages[0]
            variants.append(
                VariantDraft(
                    key=VARIANT_KEYS[index],
                    text=texts[main],
                    rationale=ANGLE_RATIONALES[ANGLE_NAMES[index]],
                    language=main,
                    translations={k: v for k, v in texts.items() if k != main},
                )
            )
        return CampaignPlan(
            strategy=_strategy(brief, audience, variants, subject, languages),
            variants=variants,
            provider=self.name,
            model=self.model,
            offline=True,
            notes=drafting.notes,
            usage=Usage(provider=self.name, model=self.model),
            tool_calls=drafting.records,
        )

    async def _draft_text(
        self,
        drafting: _Drafting,
        brief: CampaignBrief,
        subject: _Subject,
        tone: str,
        index: int,
        language: str,
        *,
        main: bool,
    ) -> str:
        """Drafts and checks one variant in one language; a flagged draft is rewritten soberly,
        then neutrally (without quoting the brief)."""
        key, angle = VARIANT_KEYS[index], ANGLE_NAMES[index]
        copy = COPY[language]
        lead = subject.leads.get(language)
        drafts = (
            _compose(language, brief, subject.of(language, sober=False), tone, angle, index, lead),
            _compose(
                language, brief, subject.of(language, sober=True), "formal", angle, index, lead
            ),
            _compose(language, brief, None, "formal", angle, index, lead),
        )
        label = f"Variant {key}" + ("" if main else f" ({copy.name})")
        first_reasons: list[str] = []
        reasons: list[str] = []
        text = drafts[0]
        for attempt, text in enumerate(drafts):
            if attempt and text == drafts[attempt - 1]:
                continue  # nothing to soften: the same text would get the same verdict
            verdict = await drafting.check(text)
            if verdict is None:
                drafting.notes.append(
                    f"{label} could not be checked by the safety guard; it is checked "
                    "again before anything is sent."
                )
                return text
            if not is_flagged(verdict, risk_threshold=drafting.risk_threshold):
                if attempt:
                    why = "; ".join(first_reasons) or "risk score over the threshold"
                    drafting.notes.append(
                        f"{label} was rewritten: the safety guard flagged the first draft ({why})."
                    )
                return text
            reasons = reason_messages(verdict)
            if attempt == 0:
                first_reasons = reasons
        drafting.notes.append(
            f"{label} is still flagged by the safety guard after rewriting "
            f"({'; '.join(reasons) or 'high risk score'}); a reviewer should look at it."
        )
        return text


def _languages(
    brief: CampaignBrief, audience: dict[str, Any] | None, notes: list[str]
) -> list[str]:
    """Returns the languages to write in, the main one first: the brief's, or else the main
    language plus every language the audience speaks that we have templates for."""
    asked = list(brief.languages)
    if not asked:
        spoken = (audience or {}).get("languages") or {}
        ranked = sorted(spoken.items(), key=lambda item: -int(item[1]))
        asked = [brief.language, *(str(tag) for tag, _ in ranked if tag != "unknown")]
    chosen: list[str] = []
    missing: list[str] = []
    for tag in asked:
        language = language_of(tag)
        if language is None:
            missing.append(tag)
        elif language not in chosen:
            chosen.append(language)
    if missing:
        notes.append(
            "The offline templates cover " + ", ".join(sorted(COPY)) + "; no text was written "
            f"for {', '.join(repr(t) for t in missing)}. Those contacts receive the "
            f"{COPY[chosen[0] if chosen else DEFAULT_LANGUAGE].name} text unless you add a "
            "translation, or configure an LLM provider."
        )
    return chosen or [DEFAULT_LANGUAGE]


def _tone(brief: CampaignBrief, notes: list[str]) -> str:
    tone = brief.tone.strip().lower()
    if tone not in COPY[DEFAULT_LANGUAGE].greetings:
        notes.append(
            f"The tone '{brief.tone}' has no offline template; the {DEFAULT_TONE} one was used."
        )
        return DEFAULT_TONE
    return tone


def _subject(brief: CampaignBrief, languages: list[str], notes: list[str]) -> _Subject:
    """Returns what each language's text says: the product and the offer in that language's
    words where we have them, with the deadline in its words; else the free-text goal, when it
    is news rather than a brief, in the language it was written in only."""
    source = primary_language(brief.language)
    leads = {language: _lead(brief, language, source) for language in languages}
    if brief.product or brief.offer:
        left_out = _LeftOut()
        headlines: dict[str, str | None] = {}
        for language in languages:
            copy = COPY[language]
            parts = _product_and_offer(brief, language, source, left_out)
            if not parts:  # nothing this language can say about it: a neutral line
                headlines[language] = None
                continue
            core = _capitalised(_COLON.get(language, ": ").join(parts))
            headlines[language] = core.rstrip(" .!") + _deadline(copy, brief) + "."
        _note_untranslated(brief, left_out, notes)
        return _Subject(headlines, leads)
    headline = headline_of(brief.goal)
    if _BRIEF_TALK.search(headline) or len(headline) > MAX_HEADLINE_CHARS:
        notes.append(
            "The goal reads as instructions to us, not as news for the customer, so the "
            "offline templates did not quote it. Give the product and the offer (and a "
            "deadline) as separate fields to have them in the message."
        )
        return _Subject(dict.fromkeys(languages), leads)
    others = [language for language in languages if language != source]
    if others:
        notes.append(
            "Only the text in the goal's own language quotes it (the offline strategist cannot "
            f"translate free text); the {_names(others)} text(s) carry a neutral line instead. "
            "Give the product and the offer as fields to have them in every language."
        )
    sentence = (
        _capitalised(headline).rstrip(" .!?")
        + _deadline(COPY.get(source, COPY[DEFAULT_LANGUAGE]), brief)
        + "."
    )
    return _Subject(
        {language: sentence if language == source else None for language in languages}, leads
    )


@dataclass
class _LeftOut:
    """Which languages could not say the brief's own words, and how they made do."""

    named: list[str] = field(default_factory=list)  # the product is a name, quoted as typed
    name_only: list[str] = field(default_factory=list)  # its description left out, name kept
    without: list[str] = field(default_factory=list)  # ordinary words: left out altogether
    unsaid: list[str] = field(default_factory=list)  # the offer could not be said


def _product_and_offer(
    brief: CampaignBrief, language: str, source: str, left_out: _LeftOut
) -> list[str]:
    """Returns the product and the offer as one language's text says them. Without the
    product's words in that language only its proper name is quoted (never English prose in
    French copy); an offer the templates cannot say becomes the language's "special offer"."""
    if language == source:
        return [p for p in (brief.product, brief.offer) if p]
    copy = COPY[language]
    words = brief.translations.get(language)
    parts: list[str] = []
    if words and words.product:
        parts.append(words.product)
    elif brief.product:
        name = name_in(brief.product)
        if name is None:
            left_out.without.append(language)
        else:
            opening, closing = copy.quotes
            parts.append(f"{opening}{name}{closing}")
            (left_out.named if name == brief.product else left_out.name_only).append(language)
    if words and words.offer:
        parts.append(words.offer)
    elif brief.offer:
        terms = read_offer(brief.offer)
        if terms is None:
            parts.append(copy.offers.special_offer)
            left_out.unsaid.append(language)
        else:
            parts.append(say_offer(terms, copy.offers))
    return parts


_HOW_TO_TRANSLATE = (
    "Give its words in each language (the brief's `translations`, e.g. "
    '`{"translations": {"$tag": {"product": "…"}}}`; "Product in …" on the form; '
    "--product-in $tag=TEXT), or configure an LLM provider."
)


def _note_untranslated(brief: CampaignBrief, left_out: _LeftOut, notes: list[str]) -> None:
    tag = (left_out.without or left_out.name_only or left_out.named or ["fr"])[0]
    how = Template(_HOW_TO_TRANSLATE).substitute(tag=tag)
    if left_out.without:
        notes.append(
            f"The product '{brief.product}' has no words in {_names(left_out.without)}, and "
            "the offline templates cannot translate it, so those text(s) leave it out rather "
            f"than put {_source_name(brief)} words into them. {how} A brand name in quotes "
            "(“Aurora” winter boots) is kept in every language."
        )
    if left_out.name_only:
        name = name_in(brief.product or "")
        notes.append(
            f"The product '{brief.product}' has no words in {_names(left_out.name_only)}: "
            f"those text(s) name only '{name}', quoted as typed, and leave its description "
            f"out. {how}"
        )
    if left_out.named:
        notes.append(
            f"The product '{brief.product}' is quoted as you typed it, as a name, in the "
            f"{_names(left_out.named)} text(s): the offline templates cannot translate it. If "
            f"it is not a brand name, write it in sentence case or {how[0].lower()}{how[1:]}"
        )
    if left_out.unsaid:
        special = "; ".join(
            f"'{COPY[language].offers.special_offer}'" for language in left_out.unsaid
        )
        notes.append(
            f"The offer '{brief.offer}' is free wording the offline templates cannot "
            f"translate, so the {_names(left_out.unsaid)} text(s) say only {special} in its "
            "place. Give the offer in each language (the brief's `translations`, 'Offer in …' "
            "on the form, --offer-in LANG=TEXT), or write it as a common offer ('20% off', "
            "'€10 off', 'free shipping', '2 for 1'), which every language says in its own words."
        )


def _source_name(brief: CampaignBrief) -> str:
    language = language_of(brief.language)
    return COPY[language].name if language else brief.language


def _lead(brief: CampaignBrief, language: str, source: str) -> str | None:
    """Returns the link's lead in one language: the brief's own in its language, a given
    translation, or None for the language's default."""
    if language == source:
        return brief.call_to_action
    words = brief.translations.get(language)
    return words.call_to_action if words else None


def _names(languages: list[str]) -> str:
    return ", ".join(COPY[language].name for language in languages)


def _deadline(copy: LanguageCopy, brief: CampaignBrief) -> str:
    return copy.deadline(brief.deadline) if brief.deadline else ""


def _compose(
    language: str,
    brief: CampaignBrief,
    headline: str | None,
    tone: str,
    angle: str,
    index: int,
    lead: str | None,
) -> str:
    """Returns one variant's text in one language."""
    copy = COPY[language]
    if brief.call_to_action_url:
        cta = (
            f"{lead.rstrip(' :')}{_COLON.get(language, ': ')}{brief.call_to_action_url}"
            if lead
            else copy.cta_with_link[tone].substitute(url=brief.call_to_action_url)
        )
    else:
        cta = copy.cta_reply
    greeting = copy.greetings[tone]
    # A letter's salutation ("Dear Ann,", "Hola, Ana:") ends its line: the next sentence
    # starts on a line of its own, capitalised as it should be.
    layout = ANGLE_LAYOUTS[angle].template
    if greeting.endswith((",", ":")):
        layout = layout.replace("$greeting ", "$greeting\n")
    text = Template(layout).substitute(
        greeting=greeting,
        question=copy.questions[tone],
        personal=copy.personal,
        helpful=copy.helpful,
        headline=headline or copy.neutral[index],
        cta=cta,
        optout=copy.opt_out,
    )
    return text


def headline_of(goal: str) -> str:
    """Returns the brief's goal as news for a recipient: "Announce our sale" -> "our sale"."""
    text = " ".join(goal.split())
    stripped = _INSTRUCTION.sub("", text, count=1).strip()
    headline = (stripped or text).rstrip(" .!?;:,")
    return headline or text


def _capitalised(text: str) -> str:
    first = text.partition(" ")[0]
    if first.isupper() and len(first) > 1:
        return text  # an acronym or brand in capitals stays as typed
    return text[:1].upper() + text[1:]


def _sober(headline: str) -> str:
    text = _SYMBOLS.sub("", headline)
    text = _HYPE.sub("", text)
    text = re.sub(r"([!?])\1+", r"\1", text).replace("!", ".")
    text = " ".join(w.lower() if len(w) > 3 and w.isupper() else w for w in text.split())
    text = re.sub(r"\s+([,.;:])", r"\1", text)
    text = re.sub(r"([,.;:])[,.;:]+", r"\1", text)  # what a removed word left behind
    text = text.strip(" ,.;:")
    return _capitalised(text) + "." if text else ""


def _strategy(
    brief: CampaignBrief,
    audience: dict[str, Any] | None,
    variants: list[VariantDraft],
    subject: _Subject,
    languages: list[str],
) -> str:
    angles = "; ".join(
        f"{v.key}{' (control)' if v.key == 'A' else ''}: {ANGLE_NAMES[i]}"
        for i, v in enumerate(variants)
    )
    cta = f"the same link ({brief.call_to_action_url})" if brief.call_to_action_url else "a reply"
    test = (
        f"The {len(variants)} variants test different angles ({angles}) with {cta} as the call "
        "to action, so a difference in response is the angle's. Send to a small share of the "
        "audience first, compare click-through and opt-out rate per variant, then favour the "
        "winner."
        if len(variants) > 1
        else f"One variant ({angles}) with {cta} as the call to action; no A/B test."
    )
    headline = subject.headlines.get(languages[0])
    about = f"Message: {headline} " if headline else "Message: a neutral update (see notes). "
    written_in = ", ".join(COPY[language].name for language in languages)
    return (
        "Offline plan, produced from templates without an LLM. "
        f"{about}Audience: {_describe(audience, brief)}. Written in: {written_in}; each "
        f"contact receives the text in their language when there is one. {test} "
        "Every variant says how to opt out."
    )


def _describe(audience: dict[str, Any] | None, brief: CampaignBrief) -> str:
    parts: list[str] = []
    if audience is None:
        parts.append("the audience summary was unavailable")
    elif "size" in audience:
        parts.append(f"{audience['size']} contact(s)")
        if audience.get("top_tags"):
            parts.append("top tags " + ", ".join(str(t) for t in list(audience["top_tags"])[:3]))
        if audience.get("languages"):
            parts.append("languages " + ", ".join(str(k) for k in list(audience["languages"])[:3]))
    elif audience.get("note"):
        parts.append(str(audience["note"]))
    if brief.audience_description and not parts:
        parts.append("as described in the brief")
    return "; ".join(parts) or "not described"

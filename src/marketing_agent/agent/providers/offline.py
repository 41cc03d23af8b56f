"""The offline strategist: a plan from fixed templates, without any LLM, and saying so.

It works through the same tools as an LLM would (the audience summary, the safety guard), and
rewrites a variant the guard flags, so a fresh install plans campaigns that pass the same checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from string import Template
from typing import Any

from marketing_agent.agent.schemas import (
    VARIANT_KEYS,
    CampaignBrief,
    CampaignPlan,
    ToolCallRecord,
    Usage,
    VariantDraft,
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
OFFLINE_MODEL = "templates-v1"
OPT_OUT = "Reply /stop to unsubscribe."
OFFLINE_NOTE = (
    "Produced offline from templates, without an LLM. Set MA_ANTHROPIC_API_KEY (or "
    "MA_LLM_PROVIDER) to have a strategist write each message for this brief."
)


@dataclass(frozen=True)
class Tone:
    greeting: str
    plain_greeting: str
    cta_lead: str
    question: str


TONES: dict[str, Tone] = {
    "friendly": Tone("Hi {first_name}!", "Hi {first_name},", "Take a look:", "Got a minute?"),
    "playful": Tone("Hey {first_name} 👋", "Hey {first_name},", "Peek here:", "Guess what?"),
    "formal": Tone(
        "Dear {first_name},", "Dear {first_name},", "Details:", "May we share some news?"
    ),
    "professional": Tone(
        "Hello {first_name},", "Hello {first_name},", "Details:", "A quick update for you."
    ),
    "enthusiastic": Tone(
        "Hi {first_name}!", "Hi {first_name},", "See it here:", "Ready for some good news?"
    ),
}
DEFAULT_TONE = "friendly"


@dataclass(frozen=True)
class Angle:
    name: str
    template: Template  # $greeting, $question, $headline (sentence start), $news (mid-sentence)
    rationale: str


ANGLES: tuple[Angle, ...] = (
    Angle(
        "direct",
        Template("${greeting}Here is our news: $news. $cta\n\n$optout"),
        "The control: the news stated plainly, with one clear call to action.",
    ),
    Angle(
        "question",
        Template("${greeting}${question}We think you will like this: $news. $cta\n\n$optout"),
        "Opens with a question to draw the reader in before the offer.",
    ),
    Angle(
        "personal",
        Template(
            "${greeting}You asked to hear from us, so here it is first-hand: $news. $cta\n\n$optout"
        ),
        "Reminds the reader they chose to hear from us, which builds trust.",
    ),
    Angle(
        "short",
        Template("$headline. $cta\n\n$optout"),
        "As short as possible: tests whether brevity beats a greeting.",
    ),
    Angle(
        "helpful",
        Template(
            "${greeting}In case it is useful to you: $news. Any questions? Just "
            "reply to this message. $cta\n\n$optout"
        ),
        "Invites a reply, which tests conversation against a pure click.",
    ),
)

# A rewrite of last resort: it does not quote the brief, so nothing the brief said is flagged.
NEUTRAL_TEMPLATES: tuple[Template, ...] = (
    Template("${greeting}We have an update we think you will find useful. $cta\n\n$optout"),
    Template("${greeting}There is something new from us that may interest you. $cta\n\n$optout"),
    Template("${greeting}A short note with news from us. $cta\n\n$optout"),
    Template("${greeting}We would like to share a small update with you. $cta\n\n$optout"),
    Template("${greeting}Here is a quick update from our team. $cta\n\n$optout"),
)

_AUDIENCE = r"(?:our |the |all )?(?:customers|subscribers|users|people|everyone|followers|clients)"
_INSTRUCTION = re.compile(
    r"^\s*(?:please\s+)?(?:"
    rf"announce|promote|advertise|share|introduce|tell {_AUDIENCE}(?: about| that)?|"
    rf"let {_AUDIENCE} know(?: about| that)?|invite {_AUDIENCE} to|"
    rf"remind {_AUDIENCE} (?:about|of|that|to)"
    r")\s*:?\s+",
    re.IGNORECASE,
)
_LOWER_FIRST_WORDS = {"our", "the", "a", "an", "new", "this", "these", "we", "my", "your"}
# Words that read as pressure or hype; a sober rewrite leaves them out.
_HYPE = re.compile(
    r"\b(?:guaranteed?|risk[- ]free|act now|hurry|limited time|last chance|urgent(?:ly)?|"
    r"once in a lifetime|winner|miracle|instant(?:ly)?)\b|\b100\s?%",
    re.IGNORECASE,
)
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


class OfflineProvider:
    """Builds a strategy and distinct variants from templates; no network, no tokens."""

    name = OFFLINE_PROVIDER
    model = OFFLINE_MODEL

    def __init__(self, *, risk_threshold: float = 0.5) -> None:
        self.risk_threshold = risk_threshold

    async def plan_campaign(self, brief: CampaignBrief, tools: AgentTools) -> CampaignPlan:
        drafting = _Drafting(tools=tools, risk_threshold=self.risk_threshold)
        drafting.notes.append(OFFLINE_NOTE)
        tone = _tone(brief, drafting.notes)
        if not brief.language.lower().startswith("en"):
            drafting.notes.append(
                f"The offline templates are English only; the brief asked for '{brief.language}'. "
                "Translate the variants before sending, or configure an LLM provider."
            )
        audience = await drafting.describe_audience()
        variants = [
            await self._draft_variant(drafting, brief, tone, index)
            for index in range(brief.variant_count)
        ]
        return CampaignPlan(
            strategy=_strategy(brief, audience, variants),
            variants=variants,
            provider=self.name,
            model=self.model,
            offline=True,
            notes=drafting.notes,
            usage=Usage(provider=self.name, model=self.model),
            tool_calls=drafting.records,
        )

    async def _draft_variant(
        self, drafting: _Drafting, brief: CampaignBrief, tone: Tone, index: int
    ) -> VariantDraft:
        """Drafts and checks one variant; a flagged draft is rewritten soberly, then neutrally."""
        key, angle = VARIANT_KEYS[index], ANGLES[index]
        drafts = (
            (_fill(angle.template, brief, tone, sober=False), angle.rationale),
            (
                _fill(angle.template, brief, tone, sober=True),
                f"A sober rewrite of the {angle.name} angle: no hook, pressure words or symbols.",
            ),
            (
                _fill(NEUTRAL_TEMPLATES[index], brief, tone, sober=True),
                "A neutral rewrite that does not quote the brief.",
            ),
        )
        first_reasons: list[str] = []
        reasons: list[str] = []
        for attempt, (text, rationale) in enumerate(drafts):
            if attempt and text == drafts[attempt - 1][0]:
                continue  # nothing to soften: the same text would get the same verdict
            verdict = await drafting.check(text)
            if verdict is None:
                drafting.notes.append(
                    f"Variant {key} could not be checked by the safety guard; it is checked "
                    "again before anything is sent."
                )
                return VariantDraft(key=key, text=text, rationale=rationale)
            if not is_flagged(verdict, risk_threshold=drafting.risk_threshold):
                if attempt:
                    why = "; ".join(first_reasons) or "risk score over the threshold"
                    drafting.notes.append(
                        f"Variant {key} was rewritten: the safety guard flagged the first draft "
                        f"({why})."
                    )
                return VariantDraft(key=key, text=text, rationale=rationale)
            reasons = reason_messages(verdict)
            if attempt == 0:
                first_reasons = reasons
        drafting.notes.append(
            f"Variant {key} is still flagged by the safety guard after rewriting "
            f"({'; '.join(reasons) or 'high risk score'}); a reviewer "
            "should look at it."
        )
        return VariantDraft(key=key, text=text, rationale=rationale)


def _tone(brief: CampaignBrief, notes: list[str]) -> Tone:
    tone = TONES.get(brief.tone.strip().lower())
    if tone is None:
        notes.append(
            f"The tone '{brief.tone}' has no offline template; the {DEFAULT_TONE} one was used."
        )
        return TONES[DEFAULT_TONE]
    return tone


def _fill(template: Template, brief: CampaignBrief, tone: Tone, *, sober: bool) -> str:
    headline = headline_of(brief.goal)
    if sober:
        headline = _sober(headline) or headline
    cta = (
        f"{tone.cta_lead} {brief.call_to_action_url}"
        if brief.call_to_action_url
        else "Reply to this message if you would like to know more."
    )
    greeting = tone.plain_greeting if sober else tone.greeting
    return template.substitute(
        # "Dear Alex," starts a letter: the text goes on the next line; "Hi Alex!" goes on.
        greeting=greeting + ("\n" if greeting.endswith(",") else " "),
        question="" if sober else tone.question + " ",
        headline=headline[:1].upper() + headline[1:],
        news=_mid_sentence(headline),
        cta=cta,
        optout=OPT_OUT,
    )


def headline_of(goal: str) -> str:
    """Returns the brief's goal as news for a recipient: "Announce our sale" -> "our sale"."""
    text = " ".join(goal.split())
    stripped = _INSTRUCTION.sub("", text, count=1).strip()
    headline = (stripped or text).rstrip(" .!?;:,")
    return headline or text


def _mid_sentence(headline: str) -> str:
    first, _, rest = headline.partition(" ")
    if first.lower() in _LOWER_FIRST_WORDS and first[:1].isupper() and not first.isupper():
        return first.lower() + (" " + rest if rest else "")
    return headline


def _sober(headline: str) -> str:
    text = _SYMBOLS.sub("", headline)
    text = _HYPE.sub("", text)
    text = re.sub(r"([!?])\1+", r"\1", text).replace("!", ".")
    text = " ".join(w.lower() if len(w) > 3 and w.isupper() else w for w in text.split())
    text = re.sub(r"\s+([,.;:])", r"\1", text)
    text = re.sub(r"([,.;:])[,.;:]+", r"\1", text)  # what a removed word left behind
    return text.strip(" ,.;:")


def _strategy(
    brief: CampaignBrief, audience: dict[str, Any] | None, variants: list[VariantDraft]
) -> str:
    angles = "; ".join(
        f"{v.key}{' (control)' if v.key == 'A' else ''}: {ANGLES[i].name}"
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
    return (
        "Offline plan, produced from templates without an LLM. "
        f"Goal: {headline_of(brief.goal)}. Audience: {_describe(audience, brief)}. {test} "
        "Every variant says how to opt out."
    )


def _describe(audience: dict[str, Any] | None, brief: CampaignBrief) -> str:
    parts: list[str] = []
    if brief.audience_description:
        parts.append(brief.audience_description.strip().rstrip("."))
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
    return "; ".join(parts) or "not described"

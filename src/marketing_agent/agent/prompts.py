"""Prompt templates of the strategist: versioned files in `prompt_files/`, as `string.Template`.

Each plan records the version of the templates it was written with (`prompt_version`).

`$name` placeholders only: the marketer's brief may contain braces, and message texts keep
`{first_name}` for per-contact rendering. The brief is data, fenced in tags, never instructions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from marketing_agent.agent.schemas import MAX_MESSAGE_CHARS, CampaignBrief

PROMPT_DIR = Path(__file__).with_name("prompt_files")


@dataclass(frozen=True)
class PromptFile:
    """A prompt template kept as a file: its first line says its version ("# version: 3")."""

    name: str
    version: int
    template: Template
    sha256: str
    edit: int = 0  # a person's saved version of it in the UI (0: the shipped file)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}" + (f".edit{self.edit}" if self.edit else "")

    @property
    def text(self) -> str:
        return self.template.template

    def edited(self, text: str, edit: int) -> PromptFile:
        """Returns this prompt with a person's text (saved as edit number `edit`)."""
        body = text.rstrip("\n")
        return PromptFile(
            name=self.name,
            version=self.version,
            template=Template(body),
            sha256=hashlib.sha256(body.encode()).hexdigest(),
            edit=edit,
        )


def load_prompt(name: str) -> PromptFile:
    """Reads `prompt_files/<name>.txt`; raises when its version line is missing."""
    raw = (PROMPT_DIR / f"{name}.txt").read_text(encoding="utf-8")
    header, _, body = raw.partition("\n")
    match = re.match(r"#\s*version:\s*(\d+)", header)
    if match is None:
        raise ValueError(f"prompt {name}.txt must start with '# version: N'")
    return PromptFile(
        name=name,
        version=int(match.group(1)),
        template=Template(body.rstrip("\n")),
        sha256=hashlib.sha256(body.encode()).hexdigest(),
    )


def prompt_version(*prompts: PromptFile) -> str:
    """Returns what a generated artefact records: each file's version and a digest of the text,
    e.g. "plan_system@1+plan_user@1 #3fa2c1b0"."""
    digest = hashlib.sha256("".join(p.sha256 for p in prompts).encode()).hexdigest()[:8]
    return "+".join(p.label for p in prompts) + f" #{digest}"


PLAN_SYSTEM = load_prompt("plan_system")
PLAN_USER = load_prompt("plan_user")
PLAN_PROMPT_VERSION = prompt_version(PLAN_SYSTEM, PLAN_USER)
SYSTEM_PROMPT = PLAN_SYSTEM.template
USER_PROMPT = PLAN_USER.template


@dataclass(frozen=True)
class PromptSet:
    """The prompts one piece of work runs with: the shipped files, or a person's saved edits
    of them (read by the strategist per call, see `service.Strategist.prompts`)."""

    plan_system: PromptFile
    plan_user: PromptFile
    chat_system: PromptFile

    @property
    def plan_version(self) -> str:
        return prompt_version(self.plan_system, self.plan_user)

    @property
    def chat_version(self) -> str:
        return prompt_version(self.chat_system)

    def by_name(self) -> dict[str, PromptFile]:
        return {p.name: p for p in (self.plan_system, self.plan_user, self.chat_system)}

    def replaced(self, prompt: PromptFile) -> PromptSet:
        return PromptSet(**{**self.by_name(), prompt.name: prompt})


def shipped_prompts() -> PromptSet:
    """Returns the prompts as shipped in `prompt_files/` (frozen: a constant, like the files)."""
    return PromptSet(
        plan_system=PLAN_SYSTEM, plan_user=PLAN_USER, chat_system=load_prompt("chat_system")
    )


SHIPPED = shipped_prompts()

# What each prompt is for, and the `$placeholders` its text may use (filled in per call).
PROMPT_PURPOSES = {
    "plan_system": "System prompt of campaign planning: the rules for strategy and variants.",
    "plan_user": "First message of campaign planning: the marketer's brief, fenced as data.",
    "chat_system": "System prompt of the strategist chat: the rules for answering questions.",
}


def placeholders(template: Template) -> set[str]:
    """Returns the `$names` a template uses."""
    return set(template.get_identifiers())


def template_problem(name: str, text: str) -> str | None:
    """Returns why `text` cannot replace the shipped prompt `name` (None when it can): a
    malformed `$` or a placeholder the shipped prompt does not fill in."""
    template = Template(text)
    if not template.is_valid():
        return (
            "A '$' must start a placeholder such as $variant_count; write '$$' for a dollar sign."
        )
    allowed = placeholders(SHIPPED.by_name()[name].template)
    unknown = sorted(placeholders(template) - allowed)
    if unknown:
        return (
            "Unknown placeholder(s) "
            + ", ".join(f"${u}" for u in unknown)
            + "; this prompt can use "
            + (", ".join(f"${a}" for a in sorted(allowed)) or "none")
            + "."
        )
    return None


LAST_ROUND_PROMPT = (
    "This is your last turn: call submit_plan now with the best plan you have. Variants you "
    "could not check are checked again before anything is sent."
)

NUDGE_PROMPT = (
    "Please continue by calling a tool. When the variants are checked, call submit_plan with "
    "the strategy and the variants; that is the only way to hand in the plan."
)


def sample_brief() -> CampaignBrief:
    """Returns the brief a prompt is previewed with when none is given."""
    return CampaignBrief(
        name="Winter boots launch",
        product="The new winter boots collection",
        offer="20% off for subscribers",
        audience_description="Customers who bought boots last winter",
        call_to_action="Shop the boots",
        call_to_action_url="https://shop.example/winter-boots",
        tone="friendly",
        language="en",
        languages=["en", "fr"],
        variant_count=2,
    )


def prompt_values(name: str, brief: CampaignBrief) -> dict[str, str]:
    """Returns what fills in each placeholder of prompt `name` for this brief."""
    if name == "plan_system":
        return {k: str(v) for k, v in _system_values(brief).items()}
    if name == "plan_user":
        return {k: str(v) for k, v in _user_values(brief).items()}
    return {}  # the chat's system prompt has no placeholders


def fill_in(prompt: PromptFile, brief: CampaignBrief) -> str:
    """Returns `prompt` as the model would read it for this brief."""
    return prompt.template.safe_substitute(prompt_values(prompt.name, brief))


def render_system_prompt(brief: CampaignBrief, prompts: PromptSet = SHIPPED) -> str:
    """Returns the strategist's system prompt for this brief."""
    return prompts.plan_system.template.substitute(_system_values(brief))


def render_user_prompt(brief: CampaignBrief, prompts: PromptSet = SHIPPED) -> str:
    """Returns the first user message: the brief, fenced as data."""
    return prompts.plan_user.template.substitute(_user_values(brief))


def _system_values(brief: CampaignBrief) -> dict[str, object]:
    others = [tag for tag in brief.languages if tag != brief.language]
    translations = (
        " Give each variant in " + ", ".join(f"'{t}'" for t in others) + " too, as its "
        "`translations` (same angle, natural wording in that language, same link)."
        if others
        else " If describe_audience shows contacts in other languages, give each variant in "
        "those languages too, as its `translations` keyed by language code."
    )
    return {
        "variant_count": brief.variant_count,
        "max_chars": MAX_MESSAGE_CHARS,
        "language": brief.languages[0] if brief.languages else brief.language,
        "translations": translations,
    }


def _user_values(brief: CampaignBrief) -> dict[str, object]:
    return {
        "name": _fenced(brief.name),
        "product": _fenced(_with_translations(brief.product, brief, "product")),
        "offer": _fenced(_with_translations(brief.offer, brief, "offer")),
        "deadline": brief.deadline.isoformat() if brief.deadline else "none",
        "goal": _fenced(brief.goal or "not given"),
        "audience": _fenced(brief.audience_description or "not described; ask describe_audience"),
        "tone": _fenced(brief.tone),
        "languages": _fenced(_languages(brief)),
        "call_to_action": _fenced(
            _with_translations(brief.call_to_action, brief, "call_to_action")
        ),
        "cta": _fenced(brief.call_to_action_url or "none"),
        "variant_count": brief.variant_count,
    }


def _languages(brief: CampaignBrief) -> str:
    if not brief.languages or brief.languages == [brief.language]:
        return brief.language
    return f"{', '.join(brief.languages)} (the brief is written in {brief.language})"


def _with_translations(value: str | None, brief: CampaignBrief, name: str) -> str:
    """Returns a brief field with the marketer's own words for it in other languages."""
    given = [
        f"{tag}: {getattr(words, name)}"
        for tag, words in brief.translations.items()
        if getattr(words, name)
    ]
    text = value or "not given"
    return f"{text} (in {'; '.join(given)})" if given else text


_FENCE = re.compile(r"<\s*/?\s*brief\s*>", re.IGNORECASE)


def _fenced(value: str) -> str:
    # A brief cannot close the fence early and smuggle text outside it.
    return _FENCE.sub("", value).strip()

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

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


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

LAST_ROUND_PROMPT = (
    "This is your last turn: call submit_plan now with the best plan you have. Variants you "
    "could not check are checked again before anything is sent."
)

NUDGE_PROMPT = (
    "Please continue by calling a tool. When the variants are checked, call submit_plan with "
    "the strategy and the variants; that is the only way to hand in the plan."
)


def render_system_prompt(brief: CampaignBrief) -> str:
    """Returns the strategist's system prompt for this brief."""
    others = [tag for tag in brief.languages if tag != brief.language]
    translations = (
        " Give each variant in " + ", ".join(f"'{t}'" for t in others) + " too, as its "
        "`translations` (same angle, natural wording in that language, same link)."
        if others
        else " If describe_audience shows contacts in other languages, give each variant in "
        "those languages too, as its `translations` keyed by language code."
    )
    return SYSTEM_PROMPT.substitute(
        variant_count=brief.variant_count,
        max_chars=MAX_MESSAGE_CHARS,
        language=brief.languages[0] if brief.languages else brief.language,
        translations=translations,
    )


def render_user_prompt(brief: CampaignBrief) -> str:
    """Returns the first user message: the brief, fenced as data."""
    return USER_PROMPT.substitute(
        name=_fenced(brief.name),
        product=_fenced(brief.product or "not given"),
        offer=_fenced(brief.offer or "not given"),
        deadline=brief.deadline.isoformat() if brief.deadline else "none",
        goal=_fenced(brief.goal or "not given"),
        audience=_fenced(brief.audience_description or "not described; ask describe_audience"),
        tone=_fenced(brief.tone),
        languages=_fenced(", ".join(brief.languages) or brief.language),
        call_to_action=_fenced(brief.call_to_action or "not given"),
        cta=_fenced(brief.call_to_action_url or "none"),
        variant_count=brief.variant_count,
    )


_FENCE = re.compile(r"<\s*/?\s*brief\s*>", re.IGNORECASE)


def _fenced(value: str) -> str:
    # A brief cannot close the fence early and smuggle text outside it.
    return _FENCE.sub("", value).strip()

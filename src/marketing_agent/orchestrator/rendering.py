"""Message templates: `{first_name}` and `{username}` filled per contact before the safety check.

Plain substitution from an allowed list, never `str.format`: a template cannot reach attributes
or items (`{first_name.__class__}`), and an unknown placeholder is refused when the text is saved
(`check_template`). `{{` and `}}` write literal braces; other braces are sent as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

FIELDS = ("first_name", "username")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\s]+)\}")
_SAMPLE = {"first_name": "Alex", "username": ""}
_FALLBACK = {"first_name": "there", "username": ""}


def unknown_placeholders(template: str) -> list[str]:
    """Returns the placeholders in `template` that are not in FIELDS, in order of appearance."""
    names = (m.group(1) for m in _TOKEN.finditer(template) if m.group(1) is not None)
    return list(dict.fromkeys(name for name in names if name not in FIELDS))


def check_template(template: str) -> str:
    """Returns `template` if every placeholder is allowed; raises ValueError naming the others."""
    unknown = unknown_placeholders(template)
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        allowed = ", ".join("{" + name + "}" for name in FIELDS)
        raise ValueError(f"unknown placeholder {listed}; use {allowed} (or {{{{ }}}} for braces)")
    return template


def render_text(template: str, contact: dict[str, Any] | None) -> str:
    """Returns the text exactly as this contact would receive it (a sample when None)."""
    values = dict(_SAMPLE) if contact is None else dict(_FALLBACK)
    if contact is not None:
        for field in FIELDS:
            if contact.get(field):
                values[field] = str(contact[field])

    def substitute(match: re.Match[str]) -> str:
        token, name = match.group(0), match.group(1)
        if name is None:
            return token[0]  # "{{" or "}}"
        return values.get(name, token)

    return _TOKEN.sub(substitute, template)


@dataclass(frozen=True)
class VariantTexts:
    """A variant's main text and its translations by primary language subtag ("fr", "de")."""

    text: str
    translations: Mapping[str, str] = field(default_factory=dict)
    image_url: str | None = None  # the text is then a caption
    buttons: tuple[tuple[str, str], ...] = ()  # (label, url), one button a row

    @classmethod
    def of(cls, variant: Any) -> VariantTexts:
        """Returns the texts, image and buttons of a stored variant (orchestrator's Variant)."""
        buttons = tuple((b["text"], b["url"]) for b in variant.buttons or [])
        return cls(variant.text, variant.translations or {}, variant.image_url, buttons)

    def for_language(self, tag: str | None) -> str:
        """Returns the text in the contact's language ("pt-BR" reads "pt"), else the main one."""
        if tag and self.translations:
            primary = tag.strip().lower().replace("_", "-").split("-", 1)[0]
            return self.translations.get(primary, self.text)
        return self.text

    def all_texts(self) -> list[tuple[str | None, str]]:
        """Returns (language or None for the main text, text) for every text of the variant."""
        return [(None, self.text), *sorted(self.translations.items())]


class _Addressed(Protocol):
    @property
    def variant_key(self) -> str: ...

    @property
    def contact_id(self) -> int: ...


def render_chunk(
    jobs: Iterable[_Addressed],
    variants: Mapping[str, VariantTexts],
    contacts: Mapping[int, dict[str, Any]],
) -> list[str]:
    """Returns the exact text of each delivery of a chunk whose contact still exists (so the
    worker can have them all checked in one pass before deciding each)."""
    texts = []
    for job in jobs:
        contact = contacts.get(job.contact_id)
        variant = variants.get(job.variant_key)
        if contact is not None and variant is not None:
            texts.append(render_text(variant.for_language(contact.get("language")), contact))
    return texts

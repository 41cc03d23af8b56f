"""Message templates: `{first_name}` and friends, filled per contact before the safety check."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("first_name", "username")
_FORMATTER = string.Formatter()


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_text(template: str, contact: dict[str, Any] | None) -> str:
    """Returns the text exactly as this contact would receive it (a sample when None)."""
    values = _Defaults(first_name="there", username="")
    if contact is None:
        values["first_name"] = "Alex"
    else:
        for field in FIELDS:
            if contact.get(field):
                values[field] = contact[field]
    try:
        return template.format_map(values)
    except (ValueError, IndexError):
        # Braces that are not placeholders ("{}" in a price) are sent as written.
        return template


@dataclass(frozen=True)
class VariantTexts:
    """A variant's main text and its translations by primary language subtag ("fr", "de")."""

    text: str
    translations: Mapping[str, str] = field(default_factory=dict)

    def for_language(self, tag: str | None) -> str:
        """Returns the text in the contact's language ("pt-BR" reads "pt"), else the main one."""
        if tag and self.translations:
            primary = tag.strip().lower().replace("_", "-").split("-", 1)[0]
            return self.translations.get(primary, self.text)
        return self.text

    def all_texts(self) -> list[tuple[str | None, str]]:
        """Returns (language or None for the main text, text) for every text of the variant."""
        return [(None, self.text), *sorted(self.translations.items())]

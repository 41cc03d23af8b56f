"""Message templates: `{first_name}` and friends, filled per contact before the safety check."""

from __future__ import annotations

import string
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

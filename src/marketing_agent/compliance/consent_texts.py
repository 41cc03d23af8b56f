"""What a consent was given under: the lawful basis (GDPR art. 6(1)) and the version of the
exact text the person agreed to, a short hash of that text, so a changed opt-in text is a new
version and a record names the wording it was given under without anyone keeping a registry."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

VERSION_PREFIX = "sha256:"


def version_of(text: str) -> str:
    """Returns the version of a consent text: the first 16 hex digits of its SHA-256."""
    return VERSION_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def version_in_proof(proof: Mapping[str, Any]) -> str | None:
    """Returns the version of the opt-in text a proof keeps, if it keeps one."""
    text = proof.get("opt_in_text")
    return version_of(text) if isinstance(text, str) and text else None

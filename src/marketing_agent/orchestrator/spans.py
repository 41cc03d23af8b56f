"""Where the safety guard's findings are in a campaign's texts, for the review page to highlight:
each risk reason names its variant, language and span; the texts are rendered as checked."""

from __future__ import annotations

from typing import Any

from marketing_agent.orchestrator.models import Campaign
from marketing_agent.orchestrator.rendering import VariantTexts, render_text
from marketing_agent.orchestrator.schemas import ReviewText


def locate(variant_key: str, language: str | None, span: tuple[int, int] | None) -> dict[str, Any]:
    """Returns the fields a stored risk reason carries to say where it was found."""
    return {
        "variant_key": variant_key,
        "language": language,
        "span": list(span) if span is not None else None,
    }


def checked_texts(campaign: Campaign) -> list[ReviewText]:
    """Returns every text of the campaign's variants exactly as `_score_risk` checked it."""
    return [
        ReviewText(variant_key=variant.key, language=language, text=render_text(text, None))
        for variant in campaign.variants
        for language, text in VariantTexts(variant.text, variant.translations or {}).all_texts()
    ]

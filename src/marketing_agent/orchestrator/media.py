"""A variant's image and inline link buttons: stored from the campaign API, checked by the safety
guard with the texts, and turned into the transport's `Media` and `Button`s when sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.orchestrator.models import Variant
from marketing_agent.orchestrator.schemas import VariantIn
from marketing_agent.safety import service as safety


def apply_media(variants: Sequence[Variant], variants_in: Sequence[VariantIn] | None) -> None:
    """Sets each variant's image and buttons from its input, in key order (A, B, ...)."""
    for variant, variant_in in zip(variants, variants_in or [], strict=False):
        variant.image_url = str(variant_in.image_url) if variant_in.image_url else None
        variant.buttons = [{"text": b.text, "url": str(b.url)} for b in variant_in.buttons]


def media_of(variant: Variant) -> dict[str, Any]:
    """Returns the columns a copy of `variant` (a clone, a recurring run) carries over."""
    return {
        "translations": dict(variant.translations or {}),
        "image_url": variant.image_url,
        "buttons": [dict(b) for b in variant.buttons or []],
    }


async def check_buttons(
    *, session: AsyncSession, variant: Variant
) -> tuple[float, list[dict[str, Any]]]:
    """Returns the worst risk score of the variant's buttons (label and link, as sent) and the
    safety guard's reasons about them, in the form of the campaign's risk reasons."""
    score, reasons = 0.0, []
    for number, button in enumerate(variant.buttons or [], start=1):
        verdict = await safety.check_content(
            session=session, text=f"{button['text']}\n{button['url']}"
        )
        score = max(score, verdict.risk_score)
        label = f"Variant {variant.key}, button {number}"
        reasons += [
            {
                "code": r.code,
                "message": f"{label}: {r.message}",
                "severity": r.severity,
                "variant_key": variant.key,
            }
            for r in verdict.reasons
        ]
    return score, reasons

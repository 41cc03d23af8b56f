"""The strategist's tools: the contract with the LLM and how each call is executed.

The caller supplies the two data tools (a summary of the audience, the safety guard's verdict on
a text); `submit_plan` is how the model hands back its final answer, structured and validated.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from marketing_agent.agent.schemas import (
    MAX_MESSAGE_CHARS,
    VARIANT_KEYS,
    ToolCallRecord,
    VariantDraft,
)
from marketing_agent.core.logging import get_logger

log = get_logger(__name__)

DescribeAudience = Callable[[], Awaitable[dict[str, Any]]]
CheckContent = Callable[[str], Awaitable[dict[str, Any]]]

DESCRIBE_AUDIENCE = "describe_audience"
CHECK_CONTENT = "check_content"
SUBMIT_PLAN = "submit_plan"
MAX_TOOL_OUTPUT_CHARS = 4000
SUMMARY_CHARS = 200


@dataclass
class AgentTools:
    """What the strategist may look at. The orchestrator (or the API) supplies both functions."""

    describe_audience: DescribeAudience  # -> {"size": ..., "top_tags": ..., "languages": ...}
    check_content: CheckContent  # text -> {"allowed": ..., "risk_score": ..., "reasons": [...]}
    max_output_chars: int = MAX_TOOL_OUTPUT_CHARS


@dataclass
class ToolOutcome:
    """One executed tool call: what the model reads back, and what we keep of it."""

    content: str
    is_error: bool
    record: ToolCallRecord
    data: dict[str, Any] | None = None


@dataclass
class SafetyLedger:
    """The verdicts the strategist obtained, by exact text, to say which variants went unchecked."""

    verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)


class InvalidSubmission(ValueError):
    """A `submit_plan` call the model must correct; its message is sent back as the tool result."""


def tool_specs(*, variant_count: int) -> list[dict[str, Any]]:
    """Returns the tools' JSON schemas as `{name, description, input_schema}` dicts."""
    return [
        {
            "name": DESCRIBE_AUDIENCE,
            "description": (
                "Returns a summary of the campaign's audience: how many contacts, their most "
                "common tags and languages. Contains no personal data. Call it once, first."
            ),
            "input_schema": {"type": "object", "properties": {}},
        },
        {
            "name": CHECK_CONTENT,
            "description": (
                "Runs the safety guard on one message text exactly as it would be sent and "
                "returns its verdict: allowed (bool), risk_score (0..1) and reasons. Check every "
                "variant before submitting it; rewrite any variant that is not allowed or risky."
            ),
            "input_schema": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "The full message text."},
                },
                "required": ["text"],
            },
        },
        {
            "name": SUBMIT_PLAN,
            "description": (
                f"Submits the final plan: a short strategy and exactly {variant_count} message "
                "variant(s), each with the reason it might win. This ends the task."
            ),
            "input_schema": {
                "type": "object",
                "properties": {
                    "strategy": {
                        "type": "string",
                        "description": "Who to reach, why these angles, what to measure.",
                    },
                    "variants": {
                        "type": "array",
                        "minItems": variant_count,
                        "maxItems": variant_count,
                        "items": {
                            "type": "object",
                            "properties": {
                                "text": {"type": "string", "maxLength": MAX_MESSAGE_CHARS},
                                "rationale": {"type": "string"},
                                "translations": {
                                    "type": "object",
                                    "description": (
                                        "The same variant in each other language of the brief, "
                                        "keyed by language code (e.g. 'fr'); `text` is in the "
                                        "main language."
                                    ),
                                    "additionalProperties": {
                                        "type": "string",
                                        "maxLength": MAX_MESSAGE_CHARS,
                                    },
                                },
                            },
                            "required": ["text", "rationale"],
                        },
                    },
                },
                "required": ["strategy", "variants"],
            },
        },
    ]


async def run_tool(tools: AgentTools, name: str, tool_input: Mapping[str, Any]) -> ToolOutcome:
    """Executes one data tool call; failures become an error result the model can read."""
    try:
        data = await _dispatch(tools, name, tool_input)
    except InvalidSubmission as exc:
        return _error(name, tool_input, str(exc))
    except Exception as exc:
        # The model gets a short error and may carry on; the log keeps the failure visible.
        log.warning("agent.tool_failed", tool=name, error=type(exc).__name__)
        return _error(name, tool_input, f"The tool failed ({type(exc).__name__}).")
    content = truncate(json.dumps(data, default=str, ensure_ascii=False), tools.max_output_chars)
    record = ToolCallRecord(
        name=name,
        input=_summarise_input(tool_input),
        output_summary=truncate(content, SUMMARY_CHARS),
    )
    return ToolOutcome(content=content, is_error=False, record=record, data=data)


async def _dispatch(tools: AgentTools, name: str, tool_input: Mapping[str, Any]) -> dict[str, Any]:
    if name == DESCRIBE_AUDIENCE:
        return await tools.describe_audience()
    if name == CHECK_CONTENT:
        text = tool_input.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InvalidSubmission("check_content needs a non-empty 'text' string.")
        return await tools.check_content(text)
    raise InvalidSubmission(
        f"Unknown tool '{name}'. Available: {DESCRIBE_AUDIENCE}, {CHECK_CONTENT}, {SUBMIT_PLAN}."
    )


def _error(name: str, tool_input: Mapping[str, Any], message: str) -> ToolOutcome:
    record = ToolCallRecord(
        name=name, input=_summarise_input(tool_input), output_summary=f"error: {message}"
    )
    return ToolOutcome(content=message, is_error=True, record=record)


def _summarise_input(tool_input: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: truncate(v, SUMMARY_CHARS) if isinstance(v, str) else v for k, v in tool_input.items()
    }


def truncate(text: str, limit: int) -> str:
    """Returns `text` cut to at most `limit` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    keep = limit
    while keep > 0:
        marker = f"… [truncated {len(text) - keep} chars]"
        if keep + len(marker) <= limit:
            return text[:keep] + marker
        keep = limit - len(marker)  # the count's own width changes the room left
    return text[:limit]


def parse_submission(
    tool_input: Mapping[str, Any], *, variant_count: int
) -> tuple[str, list[VariantDraft]]:
    """Returns the strategy and lettered variants of a `submit_plan` call, or says every problem."""
    problems: list[str] = []
    strategy = tool_input.get("strategy")
    if not isinstance(strategy, str) or not strategy.strip():
        problems.append("'strategy' must be a non-empty string.")
    raw = tool_input.get("variants")
    if not isinstance(raw, list):
        raise InvalidSubmission(" ".join([*problems, "'variants' must be a list."]))
    if len(raw) != variant_count:
        problems.append(f"Exactly {variant_count} variant(s) are needed; {len(raw)} were given.")
    variants: list[VariantDraft] = []
    seen: set[str] = set()
    for index, item in enumerate(raw[: len(VARIANT_KEYS)]):
        key = VARIANT_KEYS[index]
        text = item.get("text") if isinstance(item, dict) else None
        rationale = item.get("rationale") if isinstance(item, dict) else None
        if not isinstance(text, str) or not text.strip():
            problems.append(f"Variant {key}: 'text' must be a non-empty string.")
            continue
        text = text.strip()
        if len(text) > MAX_MESSAGE_CHARS:
            problems.append(
                f"Variant {key}: {len(text)} characters; Telegram allows {MAX_MESSAGE_CHARS}."
            )
            continue
        if text in seen:
            problems.append(f"Variant {key} repeats another variant; each must differ.")
            continue
        seen.add(text)
        reason = rationale.strip() if isinstance(rationale, str) else ""
        translations = _translations(item.get("translations"), key, problems)
        variants.append(
            VariantDraft(
                key=key, text=text, rationale=reason or "(none given)", translations=translations
            )
        )
    if problems or not isinstance(strategy, str):
        raise InvalidSubmission("The plan was not accepted: " + " ".join(problems))
    return strategy.strip(), variants


def _translations(raw: Any, key: str, problems: list[str]) -> dict[str, str]:
    """Returns a submitted variant's translations by language, noting every bad one."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"Variant {key}: 'translations' must be an object of language: text.")
        return {}
    translations: dict[str, str] = {}
    for language, text in raw.items():
        if not isinstance(text, str) or not text.strip():
            problems.append(
                f"Variant {key}: the '{language}' translation must be a non-empty text."
            )
        elif len(text) > MAX_MESSAGE_CHARS:
            problems.append(
                f"Variant {key}: the '{language}' translation has {len(text)} characters; "
                f"Telegram allows {MAX_MESSAGE_CHARS}."
            )
        else:
            translations[str(language).strip().lower().split("-", 1)[0]] = text.strip()
    return translations


def is_flagged(verdict: Mapping[str, Any], *, risk_threshold: float) -> bool:
    """Whether the safety guard's verdict asks for a rewrite: refused, or risky enough to review."""
    if verdict.get("allowed") is False:
        return True
    try:
        return float(verdict.get("risk_score") or 0.0) >= risk_threshold
    except (TypeError, ValueError):
        return False


def reason_messages(verdict: Mapping[str, Any]) -> list[str]:
    """Returns the human-readable reasons of a verdict."""
    reasons = verdict.get("reasons") or []
    return [
        str(r.get("message") or r.get("code")) if isinstance(r, dict) else str(r) for r in reasons
    ]


def safety_notes(
    variants: Sequence[VariantDraft], ledger: SafetyLedger, *, risk_threshold: float
) -> list[str]:
    """Says which submitted variants were never checked, or were checked and flagged."""
    notes = []
    for variant in variants:
        verdict = ledger.verdicts.get(variant.text)
        if verdict is None:
            notes.append(
                f"Variant {variant.key} was not checked by the safety guard before it "
                "was submitted; it is checked again before anything is sent."
            )
        elif is_flagged(verdict, risk_threshold=risk_threshold):
            why = "; ".join(reason_messages(verdict)) or "risk score over the threshold"
            notes.append(
                f"Variant {variant.key} is flagged by the safety guard ({why}); "
                "a reviewer should look at it."
            )
    return notes

"""What reaches an LLM provider: scrubbed of personal data and kept inside a token budget.

Every string a provider receives from us (the system prompt, the brief, tool results, chat
turns, recipients' replies) passes `scrub`: the safety module's PII scanner replaces e-mails,
phone numbers, cards, IBANs and secrets by their type ("[PHONE]"), and Telegram usernames become
"[USERNAME]". `ContextWindow.fit` then cuts the oldest long texts (tool results, earlier turns)
to a one-line summary until the request fits its token budget; the newest turn stays whole.
The budget is measured by a local estimate; where the provider counts tokens (Claude's
count_tokens) the conversation checks the fitted request with that count and fits it again.
The model's own earlier turns are sent back unchanged (Anthropic requires thinking blocks as
written); they were made from scrubbed input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from marketing_agent.safety import service as safety

# A Telegram username: 5-32 characters of letters, digits and underscores after an "@" that is
# not part of an e-mail address. `{first_name}` placeholders are left alone.
_USERNAME = re.compile(r"(?<![\w.@])@[A-Za-z][A-Za-z0-9_]{4,31}\b")
CHARS_PER_TOKEN = 4  # a deliberate overestimate of tokens for European languages
SUMMARY_CHARS = 160
KEEP_NEWEST = 2  # messages at the end never cut


def scrub(text: str) -> str:
    """Returns `text` without personal data: what may be sent to an LLM provider."""
    return _USERNAME.sub("[USERNAME]", safety.redact(text))


def scrub_value(value: Any) -> Any:
    """Scrubs every string inside a JSON-like value (tool results, tool inputs)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub_value(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub_value(v) for k, v in value.items()}
    return value


def estimate_tokens(value: Any) -> int:
    """Returns an upper estimate of the tokens of a JSON-like value."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return len(text) // CHARS_PER_TOKEN + 1


class ContextWindow:
    """Scrubs and trims the messages of one request, in either provider's wire format."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self.cut = 0  # how many texts the last `fit` summarised

    def fit(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        system: str = "",
        max_tokens: int | None = None,
    ) -> list[dict[str, Any]]:
        """Returns scrubbed copies of `messages` that fit the budget (or `max_tokens`, when
        the provider's count showed the estimate low) together with `system`."""
        prepared = [_scrub_message(m) for m in messages]
        self.cut = 0
        limit = self.max_tokens if max_tokens is None else max_tokens
        budget = limit - estimate_tokens(system)
        for index in range(len(prepared) - KEEP_NEWEST):
            if _tokens(prepared) <= budget:
                break
            if index == 0:
                continue  # the first user turn carries the task (the brief)
            if self._shorten(prepared[index]):
                self.cut += 1
        return prepared

    def _shorten(self, message: dict[str, Any]) -> bool:
        content = message.get("content")
        if isinstance(content, str) and len(content) > SUMMARY_CHARS:
            message["content"] = _summary(content)
            return True
        if isinstance(content, list):
            changed = False
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    inner = block.get("content")
                    if isinstance(inner, str) and len(inner) > SUMMARY_CHARS:
                        block["content"] = _summary(inner)
                        changed = True
            return changed
        return False


def _summary(text: str) -> str:
    return f"[earlier, shortened to fit: {text[:SUMMARY_CHARS]}… ({len(text)} chars)]"


def _tokens(messages: Sequence[dict[str, Any]]) -> int:
    return sum(estimate_tokens(_plain(m)) for m in messages)


def _plain(message: dict[str, Any]) -> Any:
    content = message.get("content")
    if isinstance(content, list):
        return [_block_json(b) for b in content]
    return content or ""


def _block_json(block: Any) -> Any:
    if isinstance(block, dict):
        return block
    dump = getattr(block, "model_dump", None)  # an SDK block sent back as the model wrote it
    return dump(mode="json") if callable(dump) else str(block)


def _scrub_message(message: dict[str, Any]) -> dict[str, Any]:
    """Returns a copy with every text we supplied scrubbed; the model's own turns unchanged."""
    if message.get("role") == "assistant":
        return dict(message)
    copy = dict(message)
    content = copy.get("content")
    if isinstance(content, str):
        copy["content"] = scrub(content)
    elif isinstance(content, list):
        copy["content"] = [_scrub_block(b) for b in content]
    return copy


def _scrub_block(block: Any) -> Any:
    if not isinstance(block, dict):
        return block
    copy = dict(block)
    if isinstance(copy.get("text"), str):
        copy["text"] = scrub(copy["text"])
    if "content" in copy:
        copy["content"] = scrub_value(copy["content"])
    return copy

"""Test data for the telegram module."""

from __future__ import annotations

import itertools
from typing import Any

from marketing_agent.telegram.schemas import SenderCreate
from marketing_agent.telegram.transport import ChatKind, OutgoingMessage

_names = itertools.count(1)


def sender_in(**overrides: Any) -> SenderCreate:
    """Returns a valid simulator bot, with any field overridden."""
    fields: dict[str, Any] = {"name": f"Test bot {next(_names)}", "kind": "bot",
                              "transport": "simulator", "profile": "bot"}
    fields.update(overrides)
    return SenderCreate(**fields)


def message(
    chat_id: int, text: str = "Spring sale: 20% off this week.", *, chat_kind: ChatKind = "private",
    variant: str | None = None, random_id: int | None = None,
) -> OutgoingMessage:
    """Returns a message to `chat_id`, tagged with `variant` when given."""
    tags = {"campaign_id": "1", "variant_key": variant} if variant else {}
    return OutgoingMessage(
        chat_id=chat_id, text=text, chat_kind=chat_kind, random_id=random_id, tags=tags
    )

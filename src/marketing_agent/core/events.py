"""The kinds of events a campaign's messages lead to, as far as Telegram lets us observe them.

One vocabulary for every module: the orchestrator records these, analytics stores and counts
them (it owns their table and re-exports the type), experiments measure their arms in them.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    CLICKED = "clicked"
    REPLIED = "replied"
    CONVERTED = "converted"
    UNSUBSCRIBED = "unsubscribed"
    FAILED = "failed"

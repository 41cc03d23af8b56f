"""Which signals a Telegram sender can really observe, so that no count pretends otherwise.

The Bot API gives bots no read receipts (and reports no taps on plain links or URL buttons:
clicks come only from tracked links, analytics/links.py). A user account (MTProto) sees its
outgoing messages read (read-outbox updates).
"""

from __future__ import annotations

from marketing_agent.analytics.schemas import EventType, SenderKind

_UNOBSERVABLE: dict[SenderKind, dict[EventType, str]] = {
    SenderKind.BOT: {
        EventType.READ: "Bots cannot see reads: the Telegram Bot API sends no read receipts.",
    },
    SenderKind.USER: {},
}


def unobservable(sender_kind: SenderKind) -> dict[EventType, str]:
    """Returns the signals `sender_kind` cannot observe, each with the reason in a sentence."""
    return dict(_UNOBSERVABLE[sender_kind])


def observable(sender_kind: SenderKind) -> dict[str, bool]:
    """Returns, for every event type, whether a sender of this kind can observe it."""
    hidden = _UNOBSERVABLE[sender_kind]
    return {event_type.value: event_type not in hidden for event_type in EventType}

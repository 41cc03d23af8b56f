"""Sender profiles: the limits Telegram enforces on each kind of sender.

Our limiter paces every send against its sender's profile, and the simulator refuses any send
that would break it, so the two are checked against the same published figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from marketing_agent.core.errors import NotFound

# Telegram's limits on one message, in UTF-16 code units after entities are parsed: a text,
# and a photo's or a document's caption. A sender's profile carries them (SenderProfile).
TEXT_MAX_UTF16 = 4096
CAPTION_MAX_UTF16 = 1024


@dataclass(frozen=True)
class SenderProfile:
    """How fast one sender may send, overall, to one chat and to one group."""

    name: str
    global_per_s: float  # messages per second across all chats
    private_per_chat_s: float  # minimum seconds between two messages to the same chat
    group_per_min: int  # messages per minute to one group
    max_text_len: int = TEXT_MAX_UTF16  # in UTF-16 code units, as Telegram counts
    max_caption_len: int = CAPTION_MAX_UTF16

    def max_len(self, *, caption: bool) -> int:
        """Returns the longest text Telegram takes from this sender: a caption or a message."""
        return self.max_caption_len if caption else self.max_text_len

    def global_window(self) -> tuple[float, int]:
        """Returns the sliding window Telegram counts the global rate in, and how many sends it
        allows in it: 30/s is 30 in any second, 0.5/s is one in any two seconds."""
        if self.global_per_s <= 0:
            raise ValueError("global_per_s must be positive")
        window_s = max(1.0, 1.0 / self.global_per_s)
        return window_s, max(1, math.floor(self.global_per_s * window_s + 1e-9))


# Telegram's published Bot API limits (https://core.telegram.org/bots/faq, "My bot is hitting
# limits, how do I avoid this?"): no more than one message per second to a chat, no more than
# 20 messages per minute to a group, about 30 messages per second in bulk. Paid broadcasts
# (`allow_paid_broadcast`, Bot API 7.11, https://core.telegram.org/bots/api#sendmessage) raise the
# bulk rate to 1000 messages per second for 0.1 Star per message above the free 30. Text is
# 1-4096 characters and captions 0-1024 (same page). Telegram publishes no figure for user
# accounts and bans them for bulk messaging long before a bot would hit a FloodWait, so the
# "user" profile is deliberately conservative.
PROFILES: dict[str, SenderProfile] = {
    "bot": SenderProfile(name="bot", global_per_s=30.0, private_per_chat_s=1.0, group_per_min=20),
    "paid_broadcast": SenderProfile(
        name="paid_broadcast", global_per_s=1000.0, private_per_chat_s=1.0, group_per_min=20
    ),
    "user": SenderProfile(name="user", global_per_s=1.0, private_per_chat_s=1.0, group_per_min=20),
}


def get_profile_by_name(name: str) -> SenderProfile:
    """Returns the profile called `name`, or raises NotFound."""
    try:
        return PROFILES[name]
    except KeyError:
        raise NotFound(f"No sender profile '{name}' (known: {', '.join(PROFILES)})") from None


def telegram_text_length(text: str) -> int:
    """Returns the length of `text` as Telegram measures it: in UTF-16 code units."""
    # An emoji outside the BMP counts twice; counting code points would let over-long texts through.
    return len(text.encode("utf-16-le")) // 2


def cut_to_telegram_length(text: str, max_units: int, *, ellipsis: str = "…") -> str:
    """Returns `text`, or its longest prefix plus `ellipsis`, within `max_units` UTF-16 units."""
    if telegram_text_length(text) <= max_units:
        return text
    budget = max_units - telegram_text_length(ellipsis)
    kept: list[str] = []
    for char in text:
        budget -= telegram_text_length(char)
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept) + ellipsis

"""What other modules learn about a sender: a frozen read type, never the ORM row.

The rules about a sender that callers used to re-spell (is it active, does its transport
deduplicate a resend, does it hold the consent conversation, which limits it keeps) are
properties here, so they have one home.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marketing_agent.telegram.models import Sender
from marketing_agent.telegram.profiles import SenderProfile, get_profile_by_name
from marketing_agent.telegram.schemas import SenderKind, SenderStatus, TransportKind

# Transports that deduplicate a resend by random_id (MTProto does; the simulator copies it): a
# delivery whose worker died mid-send may be sent again without a second message arriving.
DEDUPLICATING_TRANSPORTS = frozenset({TransportKind.SIMULATOR, TransportKind.TELETHON})


@dataclass(frozen=True)
class SenderInfo:
    """A bot or user account we send from, as stored when it was read (secrets never leave)."""

    id: int
    name: str
    kind: SenderKind
    transport: TransportKind
    profile: SenderProfile  # the limits it must keep
    status: SenderStatus
    paused_until: datetime | None
    status_reason: str | None
    has_secret: bool
    bot_api_url: str | None  # its Bot API server (None: MA_TELEGRAM_BOT_API_URL)
    bot_username: str | None
    webhook_url: str | None
    double_opt_in: bool
    opt_in_text: str | None
    created_at: datetime

    @property
    def is_active(self) -> bool:
        """Whether it may send now (not paused, not unhealthy)."""
        return self.status is SenderStatus.ACTIVE

    @property
    def deduplicates_resends(self) -> bool:
        """Whether its transport drops a resend of the same message (so a send cut short by a
        crash may simply be retried); otherwise each attempt is journaled first."""
        return self.transport in DEDUPLICATING_TRANSPORTS

    @property
    def answers_people(self) -> bool:
        """Whether it holds the consent conversation (a bot on the Bot API); the in-process
        simulator plays recipients who read nothing, user accounts run no bot."""
        return self.kind is SenderKind.BOT and self.transport is TransportKind.BOTAPI

    @property
    def display_name(self) -> str:
        """The name a person knows it by: the bot's @username, else its own name."""
        return f"@{self.bot_username}" if self.bot_username else self.name


def info_of(sender: Sender) -> SenderInfo:
    """Returns the read type of a stored sender."""
    return SenderInfo(
        id=sender.id,
        name=sender.name,
        kind=SenderKind(sender.kind),
        transport=TransportKind(sender.transport),
        profile=get_profile_by_name(sender.profile),
        status=SenderStatus(sender.status),
        paused_until=sender.paused_until,
        status_reason=sender.status_reason,
        has_secret=sender.has_secret,
        bot_api_url=sender.bot_api_url,
        bot_username=sender.bot_username,
        webhook_url=sender.webhook_url,
        double_opt_in=bool(sender.double_opt_in),
        opt_in_text=sender.opt_in_text,
        created_at=sender.created_at,
    )

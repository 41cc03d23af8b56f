"""Live counts of a campaign as server-sent events, read from the database.

No process keeps counts of its own: every API process answers from the events table, so a
count is the same whichever process a browser reaches, and events recorded by any worker
process show. A stream looks at the campaign's newest event id every `poll_s`; only when it
moved are the campaign's stats (distinct people, honestly labelled) computed and sent, with that
id as the SSE event id. A reconnecting browser sends it back (`Last-Event-ID`) and gets the
counts again only if something happened meanwhile. When the campaign's sending has ended
(completed or cancelled) the stream sends the final counts, an `end` event, and closes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics.models import Event
from marketing_agent.analytics.schemas import CampaignSource, CampaignStats
from marketing_agent.core.db import Database

SourceOf = Callable[[AsyncSession], Awaitable[CampaignSource | None]]
StatsOf = Callable[[AsyncSession, CampaignSource | None], Awaitable[CampaignStats]]

POLL_S = 1.0
HEARTBEAT_S = 15.0


async def newest_event_id(session: AsyncSession, campaign_id: int) -> int:
    """The id of the campaign's newest event (0: none); one index lookup."""
    newest = await session.scalar(
        select(func.max(Event.id)).where(Event.campaign_id == campaign_id)
    )
    return int(newest or 0)


def message(event: str, data: str, event_id: int | None = None) -> str:
    """One server-sent event."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"{head}event: {event}\n{lines}\n"


async def stream(
    *,
    database: Database,
    campaign_id: int,
    source_of: SourceOf,
    stats_of: StatsOf,
    last_event_id: int | None = None,
    poll_s: float | None = None,
) -> AsyncIterator[str]:
    """Yields `counts` events while the campaign runs, then `end` once its sending is over."""
    poll_s = poll_s or POLL_S
    seen = last_event_id
    yield f"retry: {int(poll_s * 2000)}\n\n"
    quiet_since = time.monotonic()
    while True:
        async with database.session() as session:
            source = await source_of(session)
            newest = await newest_event_id(session, campaign_id)
            if newest != seen:
                stats = await stats_of(session, source)
                yield message("counts", stats.model_dump_json(), newest)
                seen = newest
                quiet_since = time.monotonic()
        if source is not None and source.finished:
            yield message("end", '{"reason": "sending ended"}', seen)
            return
        if time.monotonic() - quiet_since > HEARTBEAT_S:
            yield ": still here\n\n"  # a comment keeps proxies from closing an idle stream
            quiet_since = time.monotonic()
        await asyncio.sleep(poll_s)

"""The campaign list's pages as JSON, kept per process while the database is unchanged: a page
is served again only if nothing (a campaign, a variant, a delivery's status, from any process)
was committed since it was read; else it is read afresh."""

from __future__ import annotations

from collections import OrderedDict

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core.db import Database
from marketing_agent.core.pagination import Page
from marketing_agent.orchestrator import service
from marketing_agent.orchestrator.schemas import CampaignRead
from marketing_agent.orchestrator.state_machine import CampaignStatus

# The route's response, serialised as FastAPI does for `Page[CampaignRead]` (same bytes).
PAGE_JSON = TypeAdapter(Page[CampaignRead])
PageKey = tuple[CampaignStatus | None, int, int, str | None, str, bool]


class CampaignPages:
    """The last pages of the campaign list read in this process, as JSON, each with the
    database's commit generation it was read at."""

    def __init__(self, database: Database, *, max_pages: int = 32) -> None:
        self.database = database
        self.max_pages = max_pages
        self._pages: OrderedDict[PageKey, tuple[int, bytes]] = OrderedDict()

    async def page_json(
        self,
        *,
        session: AsyncSession,
        status: CampaignStatus | None = None,
        limit: int = 50,
        offset: int = 0,
        search: str | None = None,
        sort: str = "-created_at",
        archived: bool = False,
    ) -> bytes:
        """Returns the page as `list_campaign_reads` reads it, serialised: the kept one while
        nothing was committed since it was read."""
        key: PageKey = (status, limit, offset, search, sort, archived)
        generation = await self.database.commit_generation(session)
        kept = self._pages.get(key)
        if kept is not None and kept[0] == generation:
            self._pages.move_to_end(key)
            return kept[1]
        items, total = await service.list_campaign_reads(
            session=session,
            status=status,
            limit=limit,
            offset=offset,
            search=search,
            sort=sort,
            archived=archived,
        )
        body = PAGE_JSON.dump_json(
            Page(items=items, total=total, limit=limit, offset=offset), by_alias=True
        )
        self._pages[key] = (generation, body)
        self._pages.move_to_end(key)
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)
        return body

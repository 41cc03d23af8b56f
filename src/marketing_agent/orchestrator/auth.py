"""Permission dependencies of the orchestrator's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from marketing_agent.core.auth import Permission, Principal, authorize

CanRead = Annotated[Principal, Depends(authorize(Permission.READ))]
CanWriteCampaigns = Annotated[Principal, Depends(authorize(Permission.CAMPAIGNS_WRITE))]
CanWriteContacts = Annotated[Principal, Depends(authorize(Permission.CONTACTS_WRITE))]
CanDecideReviews = Annotated[Principal, Depends(authorize(Permission.REVIEWS_DECIDE))]

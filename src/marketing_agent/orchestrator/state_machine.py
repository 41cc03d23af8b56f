"""The campaign lifecycle. Every status change goes through `transition`, which refuses the
illegal ones with a clear 409:

    draft → pending_review → approved → scheduled → running ⇄ paused → completed
    draft → approved (a safe campaign, approved by policy)
    any state before completed → cancelled
"""

from __future__ import annotations

from enum import StrEnum

from marketing_agent.core.errors import InvalidTransition


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


S = CampaignStatus
FINAL = frozenset({S.COMPLETED, S.CANCELLED})

ALLOWED: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    S.DRAFT: frozenset({S.PENDING_REVIEW, S.APPROVED, S.CANCELLED}),
    S.PENDING_REVIEW: frozenset({S.APPROVED, S.DRAFT, S.CANCELLED}),  # draft: changes asked
    S.APPROVED: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.RUNNING, S.CANCELLED}),
    S.RUNNING: frozenset({S.PAUSED, S.COMPLETED, S.CANCELLED}),
    S.PAUSED: frozenset({S.RUNNING, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}


def check_transition(current: str, target: CampaignStatus) -> CampaignStatus:
    """Returns `target` when the lifecycle allows it from `current`; raises otherwise."""
    source = CampaignStatus(current)
    if target not in ALLOWED[source]:
        allowed = ", ".join(sorted(ALLOWED[source])) or "none (final state)"
        raise InvalidTransition(
            f"A campaign in '{source}' cannot become '{target}'. Allowed next: {allowed}.",
            current=str(source),
            target=str(target),
        )
    return target

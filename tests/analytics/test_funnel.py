from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.analytics.schemas import EventType
from marketing_agent.core.errors import ValidationFailed
from tests.analytics.factories import event, journey


def counts(funnel: analytics.Funnel) -> list[int]:
    return [step.count for step in funnel.steps]


async def test_ordered_funnel_counts_only_contacts_who_went_step_by_step(
    any_session: AsyncSession,
) -> None:
    await analytics.record_events(
        session=any_session,
        events=[
            *journey(1, ["sent", "delivered", "read", "clicked", "converted"]),
            *journey(2, ["sent", "delivered", "read", "clicked"]),
            # converted without ever clicking: stops at read
            *journey(3, ["sent", "delivered", "read", "converted"]),
            # clicked before the read was recorded: stops at read
            *journey(4, ["sent", "delivered", "clicked", "read", "converted"]),
            *journey(5, ["sent"]),
        ],
    )

    funnel = await analytics.funnel(session=any_session, campaign_id=1)

    assert [step.name for step in funnel.steps] == list(analytics.DEFAULT_FUNNEL)
    assert counts(funnel) == [5, 4, 4, 2, 1]
    assert funnel.steps[0].conversion_from_previous == 1.0
    assert funnel.steps[3].conversion_from_previous == pytest.approx(0.5)
    assert funnel.steps[4].conversion_from_start == pytest.approx(0.2)


async def test_a_later_repeat_of_a_step_keeps_the_contact_in_the_funnel(
    session: AsyncSession,
) -> None:
    # The first click precedes the read, but a second click after it qualifies.
    await analytics.record_events(
        session=session,
        events=[
            event("sent", contact_id=1, minute=0),
            event("clicked", contact_id=1, minute=1),
            event("read", contact_id=1, minute=2),
            event("clicked", contact_id=1, minute=3),
        ],
    )

    funnel = await analytics.funnel(
        session=session,
        campaign_id=1,
        steps=[EventType.SENT, EventType.READ, EventType.CLICKED],
    )

    assert counts(funnel) == [1, 1, 1]


async def test_steps_at_the_same_instant_count_as_in_order(session: AsyncSession) -> None:
    await analytics.record_events(
        session=session,
        events=[event("sent", contact_id=1), event("read", contact_id=1)],
    )

    funnel = await analytics.funnel(
        session=session, campaign_id=1, steps=[EventType.SENT, EventType.READ]
    )

    assert counts(funnel) == [1, 1]


async def test_funnel_of_an_empty_campaign_is_all_zero(session: AsyncSession) -> None:
    funnel = await analytics.funnel(session=session, campaign_id=42)

    assert counts(funnel) == [0, 0, 0, 0, 0]
    assert funnel.steps[-1].conversion_from_previous == 0.0


async def test_funnel_refuses_repeated_or_missing_steps(session: AsyncSession) -> None:
    with pytest.raises(ValidationFailed):
        await analytics.funnel(
            session=session, campaign_id=1, steps=[EventType.SENT, EventType.SENT]
        )
    with pytest.raises(ValidationFailed):
        await analytics.funnel(session=session, campaign_id=1, steps=[])

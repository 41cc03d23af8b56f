"""The orchestrator's half of an experiment's rollout: it holds and releases deliveries as the
experiments module decides (test-then-send, the bandit's batches, guardrail pauses).

A held delivery is an ordinary queued row whose `not_before` lies beyond any real date, so no
worker claims it, the campaign does not count as finished, and a cancel skips it like any other;
releasing it sets its variant and clears the wait (the worker checks the send window again).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.core import clock
from marketing_agent.core.db import IN_LIST_CHUNK, in_chunks
from marketing_agent.core.logging import get_logger
from marketing_agent.experiments import service as experiments
from marketing_agent.orchestrator import queue, service
from marketing_agent.orchestrator.models import Campaign, Delivery
from marketing_agent.orchestrator.state_machine import CampaignStatus

log = get_logger(__name__)

HELD_UNTIL = datetime(9999, 1, 1, tzinfo=clock.UTC)
EXPERIMENT_HOLD = "experiment_hold"  # waiting for the experiment's decision
VARIANT_PAUSED = "variant_paused"  # its variant breached a guardrail
ACTOR = "system:experiments"


async def hold_back(*, session: AsyncSession, campaign_id: int, rows: list[dict[str, Any]]) -> None:
    """Sets each new delivery row's variant from the experiment's start, and holds those the
    experiment decides about later (test-then-send's rest, the bandit's later batches)."""
    plan = await experiments.start_rollout(
        session=session, campaign_id=campaign_id, unit_ids=[row["contact_id"] for row in rows]
    )
    if plan is None:
        return
    for row in rows:
        key = plan.keys.get(row["contact_id"])
        if key is not None:
            row["variant_key"] = key
        elif row["contact_id"] in plan.held:
            row["not_before"], row["reason"] = HELD_UNTIL, EXPERIMENT_HOLD


async def inherit(*, session: AsyncSession, template: Campaign, run: Campaign) -> None:
    """Gives a recurring campaign's new run the template's rollout and the latest earlier run's
    test winner (the experiments module decides which)."""
    earlier = await session.scalars(
        select(Campaign.id)
        .where(Campaign.parent_campaign_id == template.id, Campaign.id != run.id)
        .order_by(Campaign.occurrence.desc())
        .limit(IN_LIST_CHUNK)
    )
    await experiments.inherit_rollout(
        session=session,
        campaign_id=run.id,
        template_campaign_id=template.id,
        earlier_run_ids=list(earlier.all()),
    )


async def advance(*, session: AsyncSession) -> int:
    """Applies every experiment decision due in a running campaign; returns deliveries released."""
    running = list(
        (
            await session.scalars(
                select(Campaign.id).where(Campaign.status == CampaignStatus.RUNNING.value)
            )
        ).all()
    )
    released = 0
    for campaign_id in await experiments.due_rollouts(session=session, campaign_ids=running):
        held = await _held(session, campaign_id)
        step = await experiments.advance_rollout(
            session=session, campaign_id=campaign_id, held_unit_ids=held
        )
        released += await _release(session, campaign_id, step.release)
        if step.pause_arms:
            await _pause_arms(session, campaign_id, step.pause_arms, rehold=step.rehold_paused)
        if step.resume_arms:
            await _resume_arms(session, campaign_id, step.resume_arms)
        if step.pause_campaign:
            campaign = await session.get(Campaign, campaign_id)
            if campaign is not None and campaign.status == CampaignStatus.RUNNING.value:
                await service.transition(
                    session=session,
                    campaign=campaign,
                    target=CampaignStatus.PAUSED,
                    actor=ACTOR,
                    data={"reason": "every variant breached a guardrail"},
                )
    return released


async def _held(session: AsyncSession, campaign_id: int) -> list[int]:
    rows = await session.scalars(
        select(Delivery.contact_id)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == queue.QUEUED,
            Delivery.reason == EXPERIMENT_HOLD,
        )
        .order_by(Delivery.id)
    )
    return list(rows.all())


async def _release(session: AsyncSession, campaign_id: int, release: dict[int, str]) -> int:
    """Gives held deliveries their variant and lets the workers take them."""
    by_key: defaultdict[str, list[int]] = defaultdict(list)
    for contact_id, key in release.items():
        by_key[key].append(contact_id)
    now, done = clock.now(), 0
    for key, contact_ids in by_key.items():
        for chunk in in_chunks(contact_ids):
            result = await session.execute(
                update(Delivery)
                .where(
                    Delivery.campaign_id == campaign_id,
                    Delivery.contact_id.in_(chunk),
                    Delivery.status == queue.QUEUED,
                    Delivery.reason == EXPERIMENT_HOLD,
                )
                .values(variant_key=key, not_before=None, reason=None, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            done += int(result.rowcount or 0)  # type: ignore[attr-defined]
    if done:
        log.info("experiment.released", campaign_id=campaign_id, deliveries=done)
    return done


async def _pause_arms(
    session: AsyncSession, campaign_id: int, keys: frozenset[str], *, rehold: bool
) -> None:
    """Stops the unsent deliveries of paused arms: back to the experiment's hold (to be given
    another arm) or waiting with their arm."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.variant_key.in_(sorted(keys)),
            Delivery.status == queue.QUEUED,
            Delivery.reason.is_distinct_from(EXPERIMENT_HOLD),
        )
        .values(
            not_before=HELD_UNTIL,
            reason=EXPERIMENT_HOLD if rehold else VARIANT_PAUSED,
            updated_at=clock.now(),
        )
        .execution_options(synchronize_session=False)
    )
    log.warning(
        "experiment.arms_paused",
        campaign_id=campaign_id,
        arms=sorted(keys),
        deliveries=int(result.rowcount or 0),  # type: ignore[attr-defined]
    )


async def _resume_arms(session: AsyncSession, campaign_id: int, keys: frozenset[str]) -> None:
    """Lets the waiting deliveries of resumed arms go (the worker checks everything again)."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.variant_key.in_(sorted(keys)),
            Delivery.status == queue.QUEUED,
            Delivery.reason == VARIANT_PAUSED,
        )
        .values(not_before=None, reason=None, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )

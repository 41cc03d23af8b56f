"""A bandit can re-weight every N outcomes as well as every so many minutes: a burst of
conversions sends the next batch before the interval ends."""

from __future__ import annotations

from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from tests.experiments.test_rollout import (
    audited,
    convert,
    deliveries,
    new_campaign,
    send_what_is_due,
)


async def test_enough_new_conversions_send_the_next_batch_before_the_interval_ends(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    campaign_id = await new_campaign(
        db,
        settings,
        variants=2,
        contacts=120,
        mode="bandit",
        batch_size=30,
        interval_minutes=60,
        reweight_every_outcomes=5,
        delay_mean_minutes=2,
        burn_in_per_arm=5,
        guardrail_check_minutes=5,
        stop_at_winner=False,
    )
    await send_what_is_due(db)
    first = [d for d in await deliveries(db, campaign_id) if d.status == "sent"]
    assert len(first) == 30

    virtual_clock.advance(5 * 60)  # 4 conversions: fewer than 5, and the hour is not over
    await convert(db, campaign_id, [d for d in first if d.variant_key == "B"][:4], "converted")
    await send_what_is_due(db)
    assert len([d for d in await deliveries(db, campaign_id) if d.status == "sent"]) == 30

    virtual_clock.advance(5 * 60)  # a fifth: the next batch goes 10 minutes in
    await convert(db, campaign_id, [d for d in first if d.variant_key == "B"][4:5], "converted")
    await send_what_is_due(db)
    assert len([d for d in await deliveries(db, campaign_id) if d.status == "sent"]) == 60
    [batch] = await audited(db, campaign_id, "experiment.reweighted")
    assert batch["trigger"] == "5 new rewards"
    assert "(5 new converted since the last)" in str(batch["summary"])

    virtual_clock.advance(5 * 60)  # nothing new: the next batch waits for the hour
    await send_what_is_due(db)
    assert len([d for d in await deliveries(db, campaign_id) if d.status == "sent"]) == 60
    [set_] = await audited(db, campaign_id, "experiment.rollout_set")
    assert "every 60 min or every 5 new converted" in str(set_["summary"])

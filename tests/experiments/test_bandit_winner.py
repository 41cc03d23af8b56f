"""A bandit campaign's winner is the one the experiment's statistics name at their stated
certainty, even while the bandit's own mature-send evidence favours another variant."""

from __future__ import annotations

from datetime import timedelta

from marketing_agent.analytics import service as analytics
from marketing_agent.core import clock
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.experiments import service as experiments
from marketing_agent.experiments.analysis import DecisionRule
from marketing_agent.experiments.bandit import chance_of_best
from marketing_agent.experiments.stats import ArmCounts
from tests.experiments.test_rollout import (
    audited,
    convert,
    deliveries,
    new_campaign,
    send_what_is_due,
)

RULE = {"min_trials_per_arm": 20, "chance_to_win": 0.95}


async def bandit_where_the_rules_disagree(
    db: Database, settings: Settings, virtual_clock: VirtualClock, **rollout: object
) -> tuple[int, set[int]]:
    """Two batches of 100 (the second 30 min after the first); A's first-batch recipients convert
    a little, B's second-batch recipients a lot (enough for the sequential engine to agree), and
    5 min later the next check: only the first batch is old enough for the bandit's evidence (it
    favours A), every send counts for the statistics (they favour B). Returns the campaign and
    the contacts sent so far."""
    campaign_id = await new_campaign(
        db,
        settings,
        variants=2,
        contacts=400,
        mode="bandit",
        batch_size=100,
        interval_minutes=30,
        feedback="mature",
        maturity_minutes=60,
        burn_in_per_arm=5,
        guardrail_check_minutes=5,
        **RULE,
        **rollout,
    )
    await send_what_is_due(db)
    first = [d for d in await deliveries(db, campaign_id) if d.status == "sent"]
    virtual_clock.advance(30 * 60)
    await send_what_is_due(db)
    sent = [d for d in await deliveries(db, campaign_id) if d.status == "sent"]
    second = [d for d in sent if d.contact_id not in {f.contact_id for f in first}]
    assert len(first) == len(second) == 100
    await convert(db, campaign_id, [d for d in first if d.variant_key == "A"][:2], "converted")
    await convert(db, campaign_id, [d for d in second if d.variant_key == "B"][:40], "converted")
    virtual_clock.advance(5 * 60)
    return campaign_id, {d.contact_id for d in sent}


async def bandit_evidence_now(db: Database, campaign_id: int) -> dict[str, float]:
    """The bandit's chance to be best from the sends its maturity rule counts at this moment
    (35 min after the start: sends at least 17.5 min old)."""
    async with db.session() as session:
        mature = await analytics.mature_variant_counts(
            session=session,
            campaign_id=campaign_id,
            sent_before=clock.now() - timedelta(minutes=17.5),
            reward=analytics.EventType.CONVERTED,
        )
    return chance_of_best([ArmCounts(m.variant_key, m.sent, m.rewarded) for m in mature])


async def test_a_bandit_sends_the_rest_the_winner_its_statistics_name_not_its_mature_favourite(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    campaign_id, sent = await bandit_where_the_rules_disagree(db, settings, virtual_clock)
    assert (await bandit_evidence_now(db, campaign_id))["A"] > 0.8  # the maturity rule: A
    async with db.session() as session:
        results = await experiments.campaign_results(
            session=session, campaign_id=campaign_id, rule=DecisionRule(**RULE)
        )
    assert results.verdict.value == "winner" and results.leader == "B"  # the statistics: B
    stated = next(arm.chance_to_be_best for arm in results.arms if arm.key == "B")
    assert stated is not None and stated >= 0.95

    await send_what_is_due(db)

    rows = await deliveries(db, campaign_id)
    rest = [d for d in rows if d.contact_id not in sent]
    assert len(rest) == 200
    assert all(d.status == "sent" and d.variant_key == "B" for d in rest)
    [chosen] = await audited(db, campaign_id, "experiment.winner_chosen")
    assert chosen["winner"] == "B" and chosen["released"] == 200
    assert chosen["sequential_agrees"] is True
    arms = {arm["key"]: arm for arm in chosen["arms"]}  # type: ignore[attr-defined]
    assert arms["B"]["chance_to_be_best"] == stated  # the confidence the statistics stated
    assert "(the rule needs 95.0%)" in str(chosen["summary"])
    assert "stops exploring" in str(chosen["summary"])
    assert "The sequential engine agrees" in str(chosen["summary"])
    async with db.session() as session:
        rollout = await experiments.get_rollout(session=session, campaign_id=campaign_id)
    assert rollout.winner == "B" and rollout.phase == "rolled_out"
    assert rollout.weights == {"A": 0.0, "B": 1.0}


async def test_a_bandit_told_not_to_stop_keeps_re_weighting_by_its_own_evidence(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    campaign_id, sent = await bandit_where_the_rules_disagree(
        db, settings, virtual_clock, stop_at_winner=False
    )
    await send_what_is_due(db)  # 5 min after the second batch: no batch due yet
    assert await audited(db, campaign_id, "experiment.winner_chosen") == []
    rows = await deliveries(db, campaign_id)
    assert len([d for d in rows if d.status == "sent"]) == len(sent)
    async with db.session() as session:
        rollout = await experiments.get_rollout(session=session, campaign_id=campaign_id)
    assert rollout.winner is None and rollout.phase == "bandit"

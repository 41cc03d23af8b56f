"""A live bandit campaign weighs its sends by how much of their conversion can have come
(delay-weighted evidence, attributed by delivery time): the variant it sent to most recently is
not punished for conversions still on their way, as the maturity rule punishes it."""

from __future__ import annotations

import random

from marketing_agent.analytics import service as analytics
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.experiments.bandit import (
    BanditPolicy,
    Send,
    delay_adjusted,
    mature_counts,
    thompson_weights,
)
from marketing_agent.orchestrator.models import Delivery
from marketing_agent.telegram.simulator import BehaviourModel, RecipientBehaviour
from tests.experiments.test_rollout import audited, deliveries, new_campaign, send_what_is_due
from tests.factories import make_sender, simulator_of

RATES = {"A": 0.15, "B": 0.45}  # the simulated audiences below: B is the best variant
DELAY_MEAN_MIN = 60  # conversions come an hour after the send on average; the bandit is told so


async def convert_at(db: Database, campaign_id: int, rows: list[Delivery]) -> None:
    """The contacts of `rows` converted just now."""
    async with db.session() as session:
        await analytics.record_events(
            session=session,
            events=[
                analytics.EventCreate(
                    type=analytics.EventType.CONVERTED,
                    campaign_id=campaign_id,
                    contact_id=row.contact_id,
                )
                for row in rows
            ],
        )


async def test_recent_sends_of_the_best_variant_without_conversions_yet_barely_cut_its_share(
    db: Database, settings: Settings, virtual_clock: VirtualClock
) -> None:
    sender_id = await make_sender(db)
    silent = RecipientBehaviour(read_p=0.0)  # only the conversions below happen
    (await simulator_of(db, sender_id)).configure(behaviour=BehaviourModel(default=silent))
    campaigns = {
        feedback: await new_campaign(
            db,
            settings,
            variants=2,
            contacts=contacts,  # the second campaign goes to the same 200 people
            mode="bandit",
            batch_size=80,
            interval_minutes=10,
            burn_in_per_arm=3,
            stop_at_winner=False,
            feedback=feedback,
            delay_mean_minutes=DELAY_MEAN_MIN,
            maturity_minutes=DELAY_MEAN_MIN,
        )
        for feedback, contacts in (("delay_weighted", 200), ("mature", 0))
    }
    await send_what_is_due(db)  # 00:00 batch 1, split equally
    first = {c: await deliveries(db, c) for c in campaigns.values()}

    async def batch_one_converts(variant: str, start: int, stop: int) -> None:
        for campaign_id, rows in first.items():
            sent = [d for d in rows if d.status == "sent" and d.variant_key == variant]
            await convert_at(db, campaign_id, sent[start:stop])

    virtual_clock.advance(10 * 60)  # 00:10: batch 1's first conversions, B's far ahead
    await batch_one_converts("A", 0, 1)
    await batch_one_converts("B", 0, 6)
    await send_what_is_due(db)  # batch 2: almost all B
    virtual_clock.advance(11 * 60)  # 00:21: more of batch 1's; none of batch 2's can have come
    await batch_one_converts("A", 1, 3)
    await batch_one_converts("B", 6, 10)
    await send_what_is_due(db)  # batch 3

    b_share = {}
    for feedback, campaign_id in campaigns.items():
        second, third = await audited(db, campaign_id, "experiment.reweighted")
        assert second["feedback"] == third["feedback"] == feedback
        b_share[feedback] = (second["weights"]["B"], third["weights"]["B"])  # type: ignore[index]
    (delay_second, delay_third), (mature_second, mature_third) = b_share.values()
    assert delay_second > 0.9 and mature_second > 0.9  # batch 2 went almost all to B in both
    # At 00:21 batch 2 is 11 minutes old. The maturity rule (half the elapsed time until a send
    # can be 60 min old: 10.5 min) counts each of its B sends as a failure and cuts B's share;
    # weighted, each counts as 17% of a trial (1 - exp(-11 / 60)), and B keeps most of its share.
    assert mature_third < 0.7 < 0.8 < delay_third
    third = (await audited(db, campaigns["delay_weighted"], "experiment.reweighted"))[1]
    assert "1 - exp(-age / 60 min)" in str(third["summary"])
    assert third["delay_mean_minutes"] == DELAY_MEAN_MIN


def test_over_many_seeded_campaigns_the_weighted_evidence_cuts_the_best_arms_share_less() -> None:
    """300 seeded audiences (15% and 45% conversion, 60 min mean delay, batches of 60 at 00:00,
    00:20 and 00:45), each run by both rules with the same luck: how often the third batch's
    share of the best variant falls by more than 10 points from the second's."""
    cuts = {"delay_weighted": 0, "mature": 0}
    third = {"delay_weighted": 0.0, "mature": 0.0}
    for seed in range(300):
        for rule in cuts:
            shares = simulate(seed, rule)
            cuts[rule] += shares[2] < shares[1] - 0.1
            third[rule] += shares[2] / 300
    assert cuts["mature"] >= 3 * cuts["delay_weighted"] > 0
    assert third["delay_weighted"] > third["mature"] + 0.02


def simulate(seed: int, rule: str) -> list[float]:
    """Returns the best variant's share of each batch, the sends delivered 5 s into each."""
    rng = random.Random(seed)
    policy = BanditPolicy(
        burn_in_per_arm=3,
        delay_mean_s=DELAY_MEAN_MIN * 60 if rule == "delay_weighted" else None,
    )
    sends: list[Send] = []
    b_shares = []
    for now_s in (0.0, 20 * 60.0, 45 * 60.0):
        if not sends:
            b_share = 0.5
        elif policy.delay_mean_s is not None:
            evidence = delay_adjusted(
                sends, ["A", "B"], now_s=now_s, delay_mean_s=policy.delay_mean_s
            )
            b_share = thompson_weights(evidence, policy)["B"]
        else:
            maturity_s = min(DELAY_MEAN_MIN * 60.0, now_s / 2)
            counts = mature_counts(sends, ["A", "B"], now_s=now_s, maturity_s=maturity_s)
            b_share = thompson_weights(counts, policy)["B"]
        b_shares.append(b_share)
        for _ in range(60):
            key = "B" if rng.random() < b_share else "A"
            draw, delay_s = rng.random(), rng.expovariate(1 / (DELAY_MEAN_MIN * 60))
            at = now_s + 5
            sends.append(Send(key, at, at + delay_s if draw < RATES[key] else None))
    return b_shares

"""Chance to win over time: the experiment's analysis recomputed at moments of the campaign,
each from the recipients first sent to by then and those of them who had done the metric by then.

Nothing is stored for it: the events carry their times, so any moment can be recounted. The
points are evenly spaced from the first send to the latest send or success, so the last point is
the counts as they stand now.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime

from marketing_agent.core.events import EventType
from marketing_agent.experiments.analysis import ENGINE_BAYESIAN, DecisionRule, analyse
from marketing_agent.experiments.schemas import (
    ChanceArmRead,
    ChanceHistoryRead,
    ChancePointRead,
    DecisionRuleRead,
)
from marketing_agent.experiments.stats import ArmCounts

Times = dict[str, tuple[Sequence[datetime], Sequence[datetime]]]  # key: (sent_at, succeeded_at)


def moments(times: Times, points: int) -> list[datetime]:
    """Returns `points` evenly spaced moments from the first send to the latest event (one
    when they coincide); none before any send."""
    sends = [sent[0] for sent, _ in times.values() if sent]
    if not sends:
        return []
    start = min(sends)
    end = max(max(sent[-1], won[-1] if won else sent[-1]) for sent, won in times.values() if sent)
    if end <= start or points < 2:
        return [end]
    step = (end - start) / (points - 1)
    return [start + step * i for i in range(points - 1)] + [end]


def counts_at(times: Times, keys: Sequence[str], at: datetime) -> list[ArmCounts]:
    """Returns each arm's recipients sent to by `at` and those of them who did the metric by
    then (the stored times are sorted)."""
    out = []
    for key in keys:
        sent, won = times.get(key, ((), ()))
        out.append(ArmCounts(key, bisect_right(sent, at), bisect_right(won, at)))
    return out


def chance_history(
    *,
    campaign_id: int,
    times: Times,
    keys: Sequence[str],
    control_key: str,
    metric: EventType,
    rule: DecisionRule,
    points: int,
) -> ChanceHistoryRead:
    """Returns the analysis at each of `points` moments of the campaign, oldest first."""
    history = []
    for at in moments(times, points):
        analysis = analyse(counts_at(times, keys, at), control_key, rule=rule)
        history.append(
            ChancePointRead(
                at=at,
                verdict=analysis.verdict,
                leader=analysis.leader,
                arms=[
                    ChanceArmRead(
                        key=arm.bayesian.key,
                        trials=arm.bayesian.trials,
                        successes=arm.bayesian.successes,
                        chance_to_be_best=arm.bayesian.chance_to_be_best,
                        chance_to_beat_control=arm.bayesian.chance_to_beat_control,
                    )
                    for arm in analysis.arms
                ],
            )
        )
    return ChanceHistoryRead(
        campaign_id=campaign_id,
        metric=metric,
        exposure=EventType.SENT,
        control_key=control_key,
        engine=ENGINE_BAYESIAN,
        rule=DecisionRuleRead(
            min_trials_per_arm=rule.min_trials_per_arm, chance_to_win=rule.chance_to_win
        ),
        points=history,
    )

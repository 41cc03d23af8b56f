from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from marketing_agent.experiments.bandit import (
    BanditPolicy,
    Evidence,
    Send,
    delay_adjusted,
    mature_counts,
    thompson_weights,
    warm_start,
)
from marketing_agent.experiments.schemas import Arm
from marketing_agent.experiments.splitter import assign_arm
from marketing_agent.experiments.stats import ArmCounts, chance_to_be_best, chance_to_be_best_of


def test_weights_stay_equal_until_every_arm_has_its_burn_in() -> None:
    arms = [ArmCounts("A", 500, 10), ArmCounts("B", 99, 20)]

    assert thompson_weights(arms, BanditPolicy(burn_in_per_arm=100)) == {"A": 0.5, "B": 0.5}


def test_the_likely_best_arm_gets_most_traffic_and_the_rest_keep_their_floor() -> None:
    arms = [ArmCounts("A", 2000, 40), ArmCounts("B", 2000, 50), ArmCounts("C", 2000, 90)]

    weights = thompson_weights(arms, BanditPolicy(floor_weight=0.05))

    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["C"] > 0.85
    assert min(weights.values()) >= 0.05


def test_top_two_keeps_a_share_on_the_runner_up() -> None:
    arms = [ArmCounts("A", 2000, 40), ArmCounts("B", 2000, 70), ArmCounts("C", 2000, 90)]

    plain = thompson_weights(arms, BanditPolicy(floor_weight=0.0))
    top_two = thompson_weights(arms, BanditPolicy(floor_weight=0.0, top_two=True))

    assert top_two["B"] > plain["B"]
    assert top_two["C"] < plain["C"]
    assert sum(top_two.values()) == pytest.approx(1.0)


def test_sharpening_moves_traffic_to_the_likely_best_sooner_but_keeps_the_ranking() -> None:
    arms = [ArmCounts("A", 400, 8), ArmCounts("B", 400, 10), ArmCounts("C", 400, 14)]

    matched = thompson_weights(arms, BanditPolicy(floor_weight=0.0, sharpen=1.0))
    sharpened = thompson_weights(arms, BanditPolicy(floor_weight=0.0, sharpen=1.5))

    best = chance_to_be_best(arms)
    assert matched == pytest.approx(best, abs=1e-5)  # plain Thompson: the chance to be best
    assert sharpened["C"] > matched["C"]
    assert sorted(sharpened, key=sharpened.__getitem__) == ["A", "B", "C"]
    assert sum(sharpened.values()) == pytest.approx(1.0)


def test_recent_sends_are_no_evidence_against_their_arm() -> None:
    # B was sent just now: its conversions cannot have come yet, so its sends do not count.
    sends = [
        *(
            Send("A", delivered_at_s=0.0, converted_at_s=600.0 if i < 5 else None)
            for i in range(100)
        ),
        *(Send("B", delivered_at_s=7000.0, converted_at_s=None) for _ in range(100)),
        Send("A", delivered_at_s=0.0, converted_at_s=9000.0),  # converts after "now"
    ]

    counts = mature_counts(sends, ["A", "B"], now_s=7200.0, maturity_s=3600.0)

    assert counts == [ArmCounts("A", 101, 5), ArmCounts("B", 0, 0)]


def test_the_bandit_finds_the_best_arm_even_after_an_unlucky_start() -> None:
    # 6000 sends, re-weighted every 200 on the conversions so far (no delay). With this seed
    # C (5%) converts 3 of its first 181: Thompson sampling starves it for a while, then the
    # floor and the posterior's width bring it back.
    rng = np.random.default_rng(5)
    rates = {"A": 0.02, "B": 0.025, "C": 0.05}
    trials = dict.fromkeys(rates, 0)
    successes = dict.fromkeys(rates, 0)
    policy = BanditPolicy(burn_in_per_arm=50)
    weights: dict[str, float] = {}
    for _ in range(30):
        counts = [ArmCounts(k, trials[k], successes[k]) for k in rates]
        weights = thompson_weights(counts, policy)
        sent = rng.multinomial(200, [weights[k] for k in rates])
        for key, n in zip(rates, sent, strict=True):
            trials[key] += int(n)
            successes[key] += int(rng.binomial(n, rates[key]))

    assert weights["C"] > 0.9
    assert min(trials.values()) >= 50  # burn-in and the floor keep every arm learning


def test_arms_with_the_same_counts_get_exactly_the_same_share() -> None:
    tied = [ArmCounts(key, 3000, 96) for key in "ABCDE"]
    two_tied = [ArmCounts("A", 800, 20), ArmCounts("B", 800, 20), ArmCounts("C", 800, 31)]

    for policy in (BanditPolicy(), BanditPolicy(top_two=True), BanditPolicy(sharpen=1.0)):
        [share] = set(thompson_weights(tied, policy).values())
        assert share == pytest.approx(0.2)
        weights = thompson_weights(two_tied, policy)
        assert weights["A"] == weights["B"] < weights["C"]
        assert sum(weights.values()) == pytest.approx(1.0)


def test_a_batch_of_tied_arms_is_split_equally_among_them() -> None:
    # Five close arms with the same mature counts, as in the fastest send of close arms: the
    # next batch of 5,000 goes to each about equally (each share within 4 standard deviations).
    counts = [ArmCounts(key, 900, 27) for key in "ABCDE"]
    weights = thompson_weights(counts, BanditPolicy())
    arms = [Arm(key=key, weight=weight) for key, weight in weights.items()]

    batch = Counter(assign_arm(experiment_id="7:batch3", unit_id=u, arms=arms) for u in range(5000))

    assert len(set(weights.values())) == 1
    assert all(abs(batch[key] - 1000) < 4 * (5000 * 0.2 * 0.8) ** 0.5 for key in "ABCDE")


def test_delay_weighted_sends_count_by_the_share_of_conversions_that_can_have_come() -> None:
    # Mean delay 1 h. A's 100 sends are 1 h old (63% of their conversions can have come), B's
    # were sent a second ago: B's conversions are not missing, they are not due yet.
    sends = [
        *(Send("A", 0.0, 1000.0 if i < 3 else None) for i in range(100)),
        *(Send("B", 3599.0, None) for _ in range(100)),
    ]

    a, b = delay_adjusted(sends, ["A", "B"], now_s=3600.0, delay_mean_s=3600.0)

    assert a.trials == pytest.approx(100 * (1 - np.exp(-1)))
    assert a.successes == 3
    assert b.trials == pytest.approx(100 * (1 - np.exp(-1 / 3600)))  # about 0.03 of a trial
    assert b.successes == 0


def test_an_earlier_run_counts_discounted_and_capped_with_its_rate_kept() -> None:
    now = [ArmCounts("A", 100, 3), ArmCounts("B", 100, 4), ArmCounts("C", 0, 0)]
    earlier = {"A": (1000, 20), "B": (10_000, 500)}

    a, b, c = warm_start(now, earlier, discount=0.5, cap_per_arm=1000)

    assert (a.trials, a.successes) == (100 + 500, 3 + 10)  # half of each earlier send
    # B's 5,000 discounted sends are capped at 1,000 with their 5% rate: 50 conversions.
    assert (b.trials, b.successes) == pytest.approx((100 + 1000, 4 + 50))
    assert (c.trials, c.successes) == (0, 0)  # a variant new in this run starts from nothing


def test_weighted_evidence_gives_the_same_chances_as_whole_counts() -> None:
    whole = [ArmCounts("A", 400, 8), ArmCounts("B", 400, 10), ArmCounts("C", 400, 14)]
    weighted = [Evidence(a.key, float(a.trials), float(a.successes)) for a in whole]

    assert thompson_weights(weighted, BanditPolicy()) == pytest.approx(
        thompson_weights(whole, BanditPolicy()), abs=1e-9
    )
    two = chance_to_be_best_of([9.0, 11.0], [393.0, 391.0])
    assert two == pytest.approx(list(chance_to_be_best(whole[:2]).values()), abs=1e-12)
    with pytest.raises(ValueError):
        chance_to_be_best_of([1.0, 0.0], [1.0, 1.0])

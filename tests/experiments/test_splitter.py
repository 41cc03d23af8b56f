from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketing_agent.core.errors import ValidationFailed
from marketing_agent.experiments.schemas import Arm
from marketing_agent.experiments.splitter import assign_arm, unit_point, validate_arms

ONE_TO_THREE = [Arm(key="A", weight=1), Arm(key="B", weight=3)]
units = st.one_of(st.integers(min_value=1, max_value=2**63), st.text(min_size=1, max_size=40))


@given(experiment_id=st.integers(min_value=1, max_value=10**9), unit_id=units)
def test_a_unit_always_lands_in_the_same_arm(experiment_id: int, unit_id: int | str) -> None:
    first = assign_arm(experiment_id=experiment_id, unit_id=unit_id, arms=ONE_TO_THREE)

    again = [
        assign_arm(experiment_id=experiment_id, unit_id=unit_id, arms=list(ONE_TO_THREE))
        for _ in range(3)
    ]

    assert first in {"A", "B"}
    assert again == [first] * 3


@settings(max_examples=5, deadline=None)
@given(experiment_id=st.integers(min_value=1, max_value=10**9))
def test_weights_one_to_three_give_a_quarter_of_units_to_the_first_arm(experiment_id: int) -> None:
    arms = [
        assign_arm(experiment_id=experiment_id, unit_id=u, arms=ONE_TO_THREE) for u in range(20_000)
    ]

    share_a = arms.count("A") / len(arms)

    assert share_a == pytest.approx(0.25, abs=0.015)  # about five standard errors


def test_units_spread_uniformly_and_independently_between_experiments() -> None:
    first = [unit_point(experiment_id=1, unit_id=u) for u in range(20_000)]
    second = [unit_point(experiment_id=2, unit_id=u) for u in range(20_000)]

    deciles = [0] * 10
    for point in first:
        assert 0.0 <= point < 1.0
        deciles[int(point * 10)] += 1
    same_half = sum((a < 0.5) == (b < 0.5) for a, b in zip(first, second, strict=True))

    assert all(abs(n - 2000) < 200 for n in deciles)
    assert same_half / 20_000 == pytest.approx(0.5, abs=0.02)


def test_a_single_arm_takes_everyone() -> None:
    arms = [Arm(key="A", weight=0.1)]

    assert {assign_arm(experiment_id=3, unit_id=u, arms=arms) for u in range(500)} == {"A"}


def test_bad_arms_are_refused_with_every_problem_at_once() -> None:
    bad = [
        Arm(key="A"),
        Arm.model_construct(key="B", weight=0.0),
        Arm(key="A"),
        Arm.model_construct(key="C", weight=float("nan")),
    ]

    with pytest.raises(ValidationFailed) as refused:
        validate_arms(bad)
    with pytest.raises(ValidationFailed):
        assign_arm(experiment_id=1, unit_id=1, arms=[])

    assert [e["loc"] for e in refused.value.errors] == [
        ["arms", 1, "weight"],
        ["arms", 2, "key"],
        ["arms", 3, "weight"],
    ]

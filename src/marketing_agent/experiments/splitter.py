"""Deterministic traffic splitting: a unit's arm is a pure function of the experiment and unit.

The same unit always lands in the same arm (sticky across processes and restarts), and arms get
traffic in proportion to their weights, because SHA-256 spreads units uniformly over [0, 1).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

from marketing_agent.core.errors import ValidationFailed, field_error
from marketing_agent.experiments.schemas import Arm

_MANTISSA_BITS = 53  # a float holds 53 bits exactly, so every point is equally likely
_SCALE = float(1 << _MANTISSA_BITS)


def unit_point(*, experiment_id: int | str, unit_id: int | str) -> float:
    """Returns the unit's uniform position in [0, 1) for this experiment."""
    digest = hashlib.sha256(f"{experiment_id}:{unit_id}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> (64 - _MANTISSA_BITS)) / _SCALE


def assign_arm(*, experiment_id: int | str, unit_id: int | str, arms: Sequence[Arm]) -> str:
    """Returns the key of the arm the unit belongs to, with probability proportional to weight."""
    validate_arms(arms)
    threshold = unit_point(experiment_id=experiment_id, unit_id=unit_id) * sum(
        arm.weight for arm in arms
    )
    cumulative = 0.0
    for arm in arms:
        cumulative += arm.weight
        if threshold < cumulative:
            return arm.key
    return arms[-1].key  # the sum's rounding can leave the top sliver past the last bound


def validate_arms(arms: Sequence[Arm]) -> None:
    """Raises ValidationFailed listing every problem: no arms, bad weights, repeated keys."""
    if not arms:
        raise ValidationFailed([field_error(("arms",), "an experiment needs at least one arm")])
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, arm in enumerate(arms):
        if not (math.isfinite(arm.weight) and arm.weight > 0):
            errors.append(field_error(("arms", i, "weight"), "weight must be a positive number"))
        if arm.key in seen:
            errors.append(field_error(("arms", i, "key"), f"arm key '{arm.key}' is repeated"))
        seen.add(arm.key)
    if errors:
        raise ValidationFailed(errors)

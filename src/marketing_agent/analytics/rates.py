"""Rates shown with their uncertainty: the Wilson score interval (95 %) of a proportion.

Wilson rather than the normal approximation: it stays inside [0, 1] and is honest for small
counts and rates near 0 (a campaign's conversion rate usually is).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

Z95 = 1.959963984540054


class Rate(BaseModel):
    """successes / trials, with its 95 % Wilson interval; value None when there were no trials."""

    successes: int
    trials: int
    value: float | None
    low: float | None = Field(description="Lower end of the 95 % Wilson score interval.")
    high: float | None = Field(description="Upper end of the 95 % Wilson score interval.")


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of successes/trials (trials > 0)."""
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(successes: int, trials: int) -> Rate:
    if trials <= 0:
        return Rate(successes=successes, trials=trials, value=None, low=None, high=None)
    successes = min(successes, trials)  # a person counted in both never exceeds the trials
    low, high = wilson(successes, trials)
    return Rate(successes=successes, trials=trials, value=successes / trials, low=low, high=high)

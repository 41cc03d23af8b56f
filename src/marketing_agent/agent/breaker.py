"""A circuit breaker for one LLM provider: after repeated failures, calls are refused for a
while (no 60 s timeouts piling up), then one trial call decides whether it closes again.

One breaker per provider lives in the process's `Strategist` (built once per process), never in
a module global.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from marketing_agent.core import clock


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Opens after `failure_threshold` failures in a row; lets one trial through after
    `reset_after_s`; a success closes it, a failed trial opens it again."""

    failure_threshold: int = 3
    reset_after_s: float = 60.0
    failures: int = 0
    opened_at: float | None = field(default=None)
    trial_in_flight: bool = False

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.CLOSED
        if clock.get_clock().monotonic() - self.opened_at >= self.reset_after_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def retry_in_s(self) -> float:
        """Seconds until a trial call is allowed (0 when closed or half-open)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.reset_after_s - (clock.get_clock().monotonic() - self.opened_at))

    def allow(self) -> bool:
        """Whether a call may go to the provider now (a half-open breaker lets one through)."""
        state = self.state
        if state == BreakerState.CLOSED:
            return True
        if state == BreakerState.HALF_OPEN and not self.trial_in_flight:
            self.trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.trial_in_flight = False

    def record_failure(self) -> None:
        self.failures += 1
        self.trial_in_flight = False
        if self.opened_at is not None or self.failures >= self.failure_threshold:
            self.opened_at = clock.get_clock().monotonic()

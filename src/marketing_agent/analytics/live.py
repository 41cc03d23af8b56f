"""In-process live counters of events per campaign, variant and type, for the live dashboard.

Increments are staged on the recording session and applied only when it commits, so a rolled
back send never shows. Counts are events (not distinct contacts) seen by this process since it
started; the database stays the source of truth.
"""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

CounterKey = tuple[int, str | None, str]  # (campaign_id, variant_key, event type)

_STAGED = "analytics.live_staged"


class LiveCounters:
    """Thread-safe event counts keyed by (campaign_id, variant_key, type)."""

    def __init__(self) -> None:
        self._counts: Counter[CounterKey] = Counter()
        self._lock = threading.Lock()

    def increment(self, key: CounterKey, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    def add(self, increments: Counter[CounterKey]) -> None:
        with self._lock:
            self._counts.update(increments)

    def snapshot(self, campaign_id: int) -> dict[str | None, dict[str, int]]:
        """Returns {variant_key: {type: count}} for one campaign."""
        with self._lock:
            items = [(k, n) for k, n in self._counts.items() if k[0] == campaign_id]
        result: dict[str | None, dict[str, int]] = {}
        for (_, variant_key, event_type), n in items:
            result.setdefault(variant_key, {})[event_type] = n
        return result

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


counters = LiveCounters()


def stage(session: AsyncSession, increments: Counter[CounterKey]) -> None:
    """Queues increments on `session`; they reach `counters` when its transaction commits."""
    sync_session = session.sync_session
    staged: Counter[CounterKey] | None = sync_session.info.get(_STAGED)
    if staged is None:
        staged = Counter()
        sync_session.info[_STAGED] = staged
        event.listen(sync_session, "after_commit", _apply_staged)
        event.listen(sync_session, "after_rollback", _discard_staged)
    staged.update(increments)


def _apply_staged(sync_session: Session) -> None:
    staged: Counter[CounterKey] = sync_session.info[_STAGED]
    counters.add(staged)
    staged.clear()


def _discard_staged(sync_session: Session) -> None:
    sync_session.info[_STAGED].clear()

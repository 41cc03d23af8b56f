"""Prometheus metrics of the telegram module: every FloodWait a sender is asked to observe."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

FLOOD_WAITS = Counter(
    "ma_telegram_flood_waits_total",
    "FloodWaits (and slow-mode waits) Telegram asked a sender to observe",
    ["sender_id", "transport"],
)
FLOOD_WAIT_SECONDS = Histogram(
    "ma_telegram_flood_wait_seconds",
    "Seconds each FloodWait asked the sender to pause",
    ["transport"],
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 21600, 86400),
)

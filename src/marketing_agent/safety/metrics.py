"""Prometheus gauges of the senders' health: score, cool-down and FloodWaits in the window,
set from the database at each scrape (any process answers for every sender, whoever sent)."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Gauge

from marketing_agent.safety.schemas import SenderHealthRead

SCORE = Gauge("ma_sender_health_score", "A sender's health score (0-100)", ["sender_id"])
COOLING_DOWN = Gauge(
    "ma_sender_cooling_down", "1 while a sender rests in a cool-down, else 0", ["sender_id"]
)
FLOOD_WAITS_24H = Gauge(
    "ma_sender_flood_waits_24h", "FloodWaits a sender met in its health window", ["sender_id"]
)
SPAM_REPLIES_24H = Gauge(
    "ma_sender_spam_replies_24h",
    "Spam-like replies a sender got in its health window",
    ["sender_id"],
)
_GAUGES = (SCORE, COOLING_DOWN, FLOOD_WAITS_24H, SPAM_REPLIES_24H)


def export(senders: Sequence[SenderHealthRead]) -> None:
    """Sets the gauges to `senders`' health; a deleted sender's series go away."""
    for gauge in _GAUGES:
        gauge.clear()
    for sender in senders:
        label = str(sender.sender_id)
        SCORE.labels(label).set(sender.score)
        COOLING_DOWN.labels(label).set(1 if sender.cooling_down else 0)
        FLOOD_WAITS_24H.labels(label).set(sender.flood_waits)
        SPAM_REPLIES_24H.labels(label).set(sender.spam_replies)

"""Per-person journeys and per-campaign counts kept at write time (funnels and stats at scale);
the existing events are folded in.

Revision ID: 0023_analytics
Revises: 0026_trust
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from marketing_agent.core.db import IdType

revision: str = "0023_analytics"
down_revision: str | Sequence[str] | None = "0026_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES = ("sent", "delivered", "read", "clicked", "replied", "converted", "unsubscribed", "failed")


def upgrade() -> None:
    times = [
        sa.Column(f"{edge}_{kind}", sa.BigInteger(), nullable=True)
        for kind in TYPES
        for edge in ("first", "last")
    ]
    op.create_table(
        "analytics_journeys",
        sa.Column("campaign_id", IdType, primary_key=True, autoincrement=False),
        sa.Column("variant_key", sa.String(length=16), primary_key=True),
        sa.Column("person", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("sender_id", IdType, nullable=True),
        sa.Column("revenue_usd_micros", sa.BigInteger(), nullable=False),
        *times,
        sqlite_with_rowid=False,
    )
    op.create_table(
        "analytics_campaign_counts",
        sa.Column("campaign_id", IdType, primary_key=True, autoincrement=False),
        sa.Column("variant_key", sa.String(length=16), primary_key=True),
        sa.Column("type", sa.String(length=16), primary_key=True),
        sa.Column("people", sa.BigInteger(), nullable=False),
        sa.Column("revenue_usd_micros", sa.BigInteger(), nullable=False),
    )
    _fold_existing_events()


def _fold_existing_events() -> None:
    """Folds the events already recorded into journeys and counts, 50,000 events at a time,
    with the module's own `fold` (the rules the writers follow)."""
    from marketing_agent.analytics import journeys

    bind = op.get_bind()
    events = sa.table(
        "analytics_events",
        *(sa.column(c) for c in ("id", "type", "campaign_id", "variant_key", "contact_id",
                                 "sender_id", "occurred_at", "value_usd_micros", "anonymous_id")),
    )  # fmt: skip
    folded: dict[tuple[int, str, int], dict[str, Any]] = {}
    last_id = 0
    while True:
        rows = [
            dict(r)
            for r in bind.execute(
                sa.select(events)
                .where(events.c.id > last_id, events.c.campaign_id.is_not(None))
                .order_by(events.c.id)
                .limit(50_000)
            ).mappings()
        ]
        if not rows:
            break
        last_id = rows[-1]["id"]
        for row in rows:
            row["occurred_at"] = _aware(row["occurred_at"])
        for key, change in journeys.fold(rows).items():
            into = folded.setdefault(key, {"sender_id": None, "revenue_usd_micros": 0})
            into["sender_id"] = into["sender_id"] or change["sender_id"]
            into["revenue_usd_micros"] += change["revenue_usd_micros"]
            for name, value in change.items():
                if name.startswith("first_"):
                    into[name] = min(value, into.get(name, value))
                elif name.startswith("last_"):
                    into[name] = max(value, into.get(name, value))
    if not folded:
        return
    journey_rows = [
        {"campaign_id": c, "variant_key": v, "person": p,
         **{f"{e}_{k}": None for k in TYPES for e in ("first", "last")}, **change}
        for (c, v, p), change in folded.items()
    ]  # fmt: skip
    counts: dict[tuple[int, str, str], list[int]] = {}
    for row in journey_rows:
        for kind in TYPES:
            if row[f"first_{kind}"] is not None:
                counts.setdefault((row["campaign_id"], row["variant_key"], kind), [0, 0])[0] += 1
        if row["revenue_usd_micros"]:
            counts.setdefault((row["campaign_id"], row["variant_key"], "converted"), [0, 0])[1] += (
                row["revenue_usd_micros"]
            )
    journeys_table = sa.table("analytics_journeys", *(sa.column(c) for c in journey_rows[0]))
    for start in range(0, len(journey_rows), 10_000):
        bind.execute(sa.insert(journeys_table), journey_rows[start : start + 10_000])
    counts_table = sa.table(
        "analytics_campaign_counts",
        *(sa.column(c) for c in ("campaign_id", "variant_key", "type", "people",
                                 "revenue_usd_micros")),
    )  # fmt: skip
    bind.execute(
        sa.insert(counts_table),
        [{"campaign_id": c, "variant_key": v, "type": t, "people": n, "revenue_usd_micros": r}
         for (c, v, t), (n, r) in counts.items()],
    )  # fmt: skip


def _aware(at: Any) -> Any:
    from datetime import UTC, datetime

    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def downgrade() -> None:
    op.drop_table("analytics_campaign_counts")
    op.drop_table("analytics_journeys")

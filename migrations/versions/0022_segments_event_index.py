"""segments: an index of events by (type, contact, time, value) for rules such as "clicked in
the last 30 days" or "spent over $100", so they seek instead of scanning every event

Revision ID: 0022_segments
Revises: 0023_analytics
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_segments"
down_revision: str | Sequence[str] | None = "0023_analytics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_analytics_events_type_contact_time",
        "analytics_events",
        ["type", "contact_id", "occurred_at", "value_usd_micros"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_analytics_events_type_contact_time", table_name="analytics_events")

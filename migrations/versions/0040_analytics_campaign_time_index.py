"""analytics: events indexed by (campaign, time), so a campaign's latest event (the stats'
`last_event_at`) is one seek; in place of the index by (campaign, type), a prefix of the
(campaign, type, contact, ...) index that serves the same lookups

Revision ID: 0040_campaign_time
Revises: 0039_contact_tags
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0040_campaign_time"
down_revision: str | Sequence[str] | None = "0039_contact_tags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_analytics_events_campaign_time",
        "analytics_events",
        ["campaign_id", "occurred_at"],
        unique=False,
    )
    op.drop_index("ix_analytics_events_campaign_id_type", table_name="analytics_events")


def downgrade() -> None:
    op.create_index(
        "ix_analytics_events_campaign_id_type",
        "analytics_events",
        ["campaign_id", "type"],
        unique=False,
    )
    op.drop_index("ix_analytics_events_campaign_time", table_name="analytics_events")

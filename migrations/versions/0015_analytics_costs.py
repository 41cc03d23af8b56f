"""Costs a user enters for a campaign's ROI; a covering index for stats and funnels.

Revision ID: 0015_analytics
Revises: 0014_compliance
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marketing_agent.core.db import IdType, UtcDateTime

revision: str = "0015_analytics"
down_revision: str | Sequence[str] | None = "0014_compliance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_costs",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column("campaign_id", IdType, nullable=False),
        sa.Column("variant_key", sa.String(length=16), nullable=True),
        sa.Column("amount_usd_micros", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_analytics_costs_campaign_id", "analytics_costs", ["campaign_id"])
    op.create_index(
        "ix_analytics_events_campaign_type_contact",
        "analytics_events",
        ["campaign_id", "type", "contact_id", "occurred_at", "variant_key", "anonymous_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_analytics_events_campaign_type_contact", table_name="analytics_events")
    op.drop_index("ix_analytics_costs_campaign_id", table_name="analytics_costs")
    op.drop_table("analytics_costs")

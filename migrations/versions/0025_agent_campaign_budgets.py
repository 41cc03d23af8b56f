"""agent: each campaign's own cap on LLM spend

Revision ID: 0025_agent
Revises: 0027_review_status
Create Date: 2026-12-01 16:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketing_agent.core.db

revision: str = "0025_agent"
down_revision: str | Sequence[str] | None = "0027_review_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agent_campaign_budgets",
        sa.Column("campaign_id", ID, autoincrement=False, nullable=False),
        sa.Column("limit_usd_micros", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_agent_campaign_budgets")),
    )


def downgrade() -> None:
    op.drop_table("agent_campaign_budgets")

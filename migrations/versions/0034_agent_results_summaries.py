"""agent: the results summary written when a campaign finishes

Revision ID: 0034_summaries
Revises: 0035_lawful_basis
Create Date: 2026-12-01 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import marketing_agent.core.db

revision: str = "0034_summaries"
down_revision: str | Sequence[str] | None = "0035_lawful_basis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "agent_results_summaries",
        sa.Column("campaign_id", ID, autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Text(), nullable=False),
        sa.Column("sources", JSON, nullable=False),
        sa.Column("notes", JSON, nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("ai_generated", sa.Boolean(), nullable=False),
        sa.Column("written_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_agent_results_summaries")),
    )


def downgrade() -> None:
    op.drop_table("agent_results_summaries")

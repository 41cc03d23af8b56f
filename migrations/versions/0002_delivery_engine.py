"""delivery engine: leases, random_id, learned sender rates

Revision ID: 0002_delivery_engine
Revises: 0001
Create Date: 2026-11-25 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketing_agent.core.db

revision: str = "0002_delivery_engine"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orchestrator_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "lease_until", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("random_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_delivery_lease", ["status", "lease_until"], unique=False)

    op.create_table(
        "safety_learned_rates",
        sa.Column(
            "sender_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("rate_share", sa.Float(), nullable=False),
        sa.Column("flood_waits", sa.Integer(), nullable=False),
        sa.Column("learned_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name=op.f("pk_safety_learned_rates")),
    )


def downgrade() -> None:
    op.drop_table("safety_learned_rates")
    with op.batch_alter_table("orchestrator_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_lease")
        batch_op.drop_column("random_id")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")

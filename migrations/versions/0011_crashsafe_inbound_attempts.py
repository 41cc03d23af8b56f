"""crash safety: the inbound update store, and the attempt journal of deliveries

Revision ID: 0011_crashsafe
Revises: 0010_safety
Create Date: 2026-12-01 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_crashsafe"
down_revision: str | None = "0010_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_inbound_updates",
        sa.Column(
            "sender_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("update_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "event",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_inbound_updates")),
        sa.UniqueConstraint(
            "sender_id", "update_id", name=op.f("uq_telegram_inbound_updates_sender_id_update_id")
        ),
    )
    op.create_index(
        "ix_inbound_pending", "telegram_inbound_updates", ["applied_at", "id"], unique=False
    )
    with op.batch_alter_table("orchestrator_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orchestrator_deliveries", schema=None) as batch_op:
        batch_op.drop_column("attempted_at")
    op.drop_index("ix_inbound_pending", table_name="telegram_inbound_updates")
    op.drop_table("telegram_inbound_updates")

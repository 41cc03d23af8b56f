"""campaign scheduling: send windows, quiet hours, time zone, recurrence

Revision ID: 0003_campaign_scheduling
Revises: 0001
Create Date: 2026-11-25 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketing_agent.core.db

revision: str = "0003_campaign_scheduling"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orchestrator_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_window", sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column("quiet_hours", sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("recurrence", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column(
                "recurrence_until",
                marketing_agent.core.db.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("recurrence_max_runs", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "next_run_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("runs", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column(
                "parent_campaign_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("occurrence", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_orchestrator_campaigns_parent_campaign_id"),
            ["parent_campaign_id"],
            unique=False,
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_orchestrator_campaigns_parent_campaign_id_occurrence"),
            ["parent_campaign_id", "occurrence"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_orchestrator_campaigns_parent_campaign_id_orchestrator_campaigns"),
            "orchestrator_campaigns",
            ["parent_campaign_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("orchestrator_campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_orchestrator_campaigns_parent_campaign_id_orchestrator_campaigns"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("uq_orchestrator_campaigns_parent_campaign_id_occurrence"), type_="unique"
        )
        batch_op.drop_index(batch_op.f("ix_orchestrator_campaigns_parent_campaign_id"))
        batch_op.drop_column("occurrence")
        batch_op.drop_column("parent_campaign_id")
        batch_op.drop_column("runs")
        batch_op.drop_column("next_run_at")
        batch_op.drop_column("recurrence_max_runs")
        batch_op.drop_column("recurrence_until")
        batch_op.drop_column("recurrence")
        batch_op.drop_column("timezone")
        batch_op.drop_column("quiet_hours")
        batch_op.drop_column("send_window")

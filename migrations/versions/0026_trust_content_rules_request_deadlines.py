"""trust: the admin's content rules in safety settings, privacy requests' extensions and
reminders

Revision ID: 0026_trust
Revises: 0025_agent
Create Date: 2026-12-01 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketing_agent.core.db

revision: str = "0026_trust"
down_revision: str | None = "0025_agent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("safety_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opt_out", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("link_allowlist", sa.Text(), nullable=True))
    with op.batch_alter_table("compliance_requests", schema=None) as batch_op:
        for name in ("original_due_at", "extended_at"):
            batch_op.add_column(
                sa.Column(name, marketing_agent.core.db.UtcDateTime(timezone=True), nullable=True)
            )
        batch_op.add_column(sa.Column("extended_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("extension_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "reminded_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("compliance_requests", schema=None) as batch_op:
        for name in (
            "reminded_at",
            "extension_reason",
            "extended_by",
            "extended_at",
            "original_due_at",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("safety_settings", schema=None) as batch_op:
        batch_op.drop_column("link_allowlist")
        batch_op.drop_column("opt_out")

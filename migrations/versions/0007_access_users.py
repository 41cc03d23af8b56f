"""access: token version, one-time password flag, last login and soft delete of users

Revision ID: 0007_access
Revises: 0006_merge_heads
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marketing_agent.core.db import UtcDateTime

revision: str = "0007_access"
down_revision: str | None = "0006_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gateway_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("last_login_at", UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gateway_users", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("last_login_at")
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("token_version")

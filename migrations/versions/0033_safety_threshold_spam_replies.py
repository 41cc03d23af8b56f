"""safety: the workspace's review threshold, and spam-like replies in the senders' tallies

Revision ID: 0033_safety
Revises: 0034_summaries
Create Date: 2026-12-01 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033_safety"
down_revision: str | None = "0034_summaries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("safety_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_threshold", sa.Float(), nullable=True))
    with op.batch_alter_table("safety_sender_tallies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("spam_replies", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("safety_sender_tallies", schema=None) as batch_op:
        batch_op.drop_column("spam_replies")
    with op.batch_alter_table("safety_settings", schema=None) as batch_op:
        batch_op.drop_column("review_threshold")

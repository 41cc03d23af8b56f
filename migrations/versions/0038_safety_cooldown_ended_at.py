"""safety: when a sender's cool-down ended (by time or by a person), so its end is audited once

Revision ID: 0038_safety_cooldown_end
Revises: 0033_safety
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketing_agent.core.db

revision: str = "0038_safety_cooldown_end"
down_revision: str | None = "0033_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Left empty for existing rows: a cool-down that ran out before this column existed is
    # audited as ended by the next health job, with the time it really ended.
    with op.batch_alter_table("safety_sender_cooldowns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ended_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("safety_sender_cooldowns", schema=None) as batch_op:
        batch_op.drop_column("ended_at")

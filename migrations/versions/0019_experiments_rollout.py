"""experiments: a rollout mode per experiment (fixed, test-then-send, bandit) and its state

Revision ID: 0019_experiments
Revises: 0018_ui
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import marketing_agent.core.db

revision: str = "0019_experiments"
down_revision: str | Sequence[str] | None = "0018_ui"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("experiments_experiments") as batch:
        batch.add_column(
            sa.Column("mode", sa.String(length=16), nullable=False, server_default="fixed")
        )
        batch.add_column(sa.Column("rollout", _JSON, nullable=True))
        batch.add_column(sa.Column("rollout_state", _JSON, nullable=True))
        batch.add_column(
            sa.Column("next_check_at", marketing_agent.core.db.UtcDateTime(), nullable=True)
        )
        batch.create_index(
            "ix_experiments_experiments_next_check_at", ["next_check_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("experiments_experiments") as batch:
        batch.drop_index("ix_experiments_experiments_next_check_at")
        batch.drop_column("next_check_at")
        batch.drop_column("rollout_state")
        batch.drop_column("rollout")
        batch.drop_column("mode")

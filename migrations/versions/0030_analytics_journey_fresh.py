"""analytics: journeys say which types their latest write gave them first (`fresh`), so that
PostgreSQL keeps the counts with one upsert a batch, no read of the journeys first

Revision ID: 0030_fresh
Revises: 0028_prompts
Create Date: 2026-12-01 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_fresh"
down_revision: str | Sequence[str] | None = "0028_prompts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("analytics_journeys") as batch:
        batch.add_column(sa.Column("fresh", sa.SmallInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("analytics_journeys") as batch:
        batch.drop_column("fresh")

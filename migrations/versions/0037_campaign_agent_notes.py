"""orchestrator: what the strategist said about the variants it wrote (the plan's notes)

Revision ID: 0037_agent_notes
Revises: 0038_safety_cooldown_end
Create Date: 2026-12-02 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0037_agent_notes"
down_revision: str | None = "0038_safety_cooldown_end"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("orchestrator_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_notes", _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orchestrator_campaigns", schema=None) as batch_op:
        batch_op.drop_column("agent_notes")

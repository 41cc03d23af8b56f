"""ui: campaigns can be archived (hidden from the default list)

Revision ID: 0012_ui
Revises: 0011_crashsafe
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marketing_agent.core.db import UtcDateTime

revision: str = "0012_ui"
down_revision: str | None = "0011_crashsafe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orchestrator_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orchestrator_campaigns", schema=None) as batch_op:
        batch_op.drop_column("archived_at")

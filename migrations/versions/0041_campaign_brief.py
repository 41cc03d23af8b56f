"""orchestrator: the brief a campaign was planned from, to show it and re-plan a clone from it

Revision ID: 0041_campaign_brief
Revises: 0040_campaign_time
Create Date: 2026-12-02 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0041_campaign_brief"
down_revision: str | None = "0040_campaign_time"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("orchestrator_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brief", _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orchestrator_campaigns", schema=None) as batch_op:
        batch_op.drop_column("brief")

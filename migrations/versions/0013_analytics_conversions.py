"""Events remember where an external one came from and its id there (idempotent ingestion).

Revision ID: 0013_analytics
Revises: 0012_ui
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_analytics"
down_revision: str | Sequence[str] | None = "0012_ui"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("analytics_events") as batch:
        batch.add_column(sa.Column("source", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("external_id", sa.String(length=128), nullable=True))
        batch.create_unique_constraint(
            "uq_analytics_events_source_external_id", ["source", "external_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("analytics_events") as batch:
        batch.drop_constraint("uq_analytics_events_source_external_id", type_="unique")
        batch.drop_column("external_id")
        batch.drop_column("source")

"""ui: a variant may carry an image (its text becomes the caption) and inline link buttons

Revision ID: 0018_ui
Revises: 0017_safety
Create Date: 2026-12-01 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018_ui"
down_revision: str | None = "0017_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orchestrator_variants") as batch:
        batch.add_column(sa.Column("image_url", sa.String(2048), nullable=True))
        batch.add_column(
            sa.Column(
                "buttons",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default=sa.text("'[]'"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("orchestrator_variants") as batch:
        batch.drop_column("buttons")
        batch.drop_column("image_url")

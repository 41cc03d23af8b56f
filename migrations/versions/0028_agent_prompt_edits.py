"""agent: the strategist's prompts edited in the UI, each save a version

Revision ID: 0028_prompts
Revises: 0022_segments
Create Date: 2026-12-01 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketing_agent.core.db

revision: str = "0028_prompts"
down_revision: str | Sequence[str] | None = "0022_segments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agent_prompt_edits",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("edit", sa.Integer(), nullable=False),
        sa.Column("shipped_version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_prompt_edits")),
        sa.UniqueConstraint("name", "edit", name=op.f("uq_agent_prompt_edits_name_edit")),
    )


def downgrade() -> None:
    op.drop_table("agent_prompt_edits")

"""safety phrase lists: named, categorised, versioned lists of phrases with severities

Revision ID: 0010_safety
Revises: 0009_simulator
Create Date: 2026-12-01 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketing_agent.core.db

revision: str = "0010_safety"
down_revision: str | None = "0009_simulator"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "safety_phrase_lists",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("default_severity", sa.String(length=8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("created_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_phrase_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_safety_phrase_lists_name")),
    )
    op.create_table(
        "safety_phrases",
        sa.Column("list_id", _ID, nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("created_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["safety_phrase_lists.id"],
            name=op.f("fk_safety_phrases_list_id_safety_phrase_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_phrases")),
        sa.UniqueConstraint("list_id", "key", name=op.f("uq_safety_phrases_list_id_key")),
    )
    with op.batch_alter_table("safety_phrases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_phrases_list_id"), ["list_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safety_phrases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_phrases_list_id"))
    op.drop_table("safety_phrases")
    op.drop_table("safety_phrase_lists")

"""telegram: the chats each bot has received an update from (who started it)

Revision ID: 0009_simulator
Revises: 0008_strategist
Create Date: 2026-12-01 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketing_agent.core.db

revision: str = "0009_simulator"
down_revision: str | None = "0008_strategist"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_bot_chats",
        sa.Column(
            "sender_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "first_seen_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_seen_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["sender_id"], ["telegram_senders.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sender_id", "chat_id"),
    )


def downgrade() -> None:
    op.drop_table("telegram_bot_chats")

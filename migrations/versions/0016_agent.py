"""agent: the reply inbox; the prompt version on each usage record

Revision ID: 0016_agent
Revises: 0015_analytics
Create Date: 2026-12-01 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketing_agent.core.db

revision: str = "0016_agent"
down_revision: str | None = "0015_analytics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agent_inbox_replies",
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("sender_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=32), nullable=False),
        sa.Column("matched", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("suggested_answer", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("business_connection", sa.Boolean(), nullable=False),
        sa.Column(
            "received_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("answered_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("answer_text", sa.Text(), nullable=True),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_inbox_replies")),
    )
    with op.batch_alter_table("agent_inbox_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_inbox_replies_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agent_inbox_replies_status"), ["status"], unique=False)
    with op.batch_alter_table("agent_llm_usage", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("prompt_version", sa.String(length=120), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_llm_usage", schema=None) as batch_op:
        batch_op.drop_column("prompt_version")
    with op.batch_alter_table("agent_inbox_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_inbox_replies_status"))
        batch_op.drop_index(batch_op.f("ix_agent_inbox_replies_contact_id"))
    op.drop_table("agent_inbox_replies")

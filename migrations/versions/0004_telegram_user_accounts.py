"""telegram user accounts: api_id, encrypted api_hash, and why a sender is held back

Revision ID: 0004_telegram_user_accounts
Revises: 0003_campaign_scheduling
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_telegram_user_accounts"
down_revision: str | None = "0003_campaign_scheduling"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("telegram_senders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_reason", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("api_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("api_hash_encrypted", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("telegram_senders", schema=None) as batch_op:
        batch_op.drop_column("api_hash_encrypted")
        batch_op.drop_column("api_id")
        batch_op.drop_column("status_reason")

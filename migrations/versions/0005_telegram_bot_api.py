"""telegram bot api: server url, username, consent settings and webhook of bot senders

Revision ID: 0005_telegram_bot_api
Revises: 0004_telegram_user_accounts
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_telegram_bot_api"
down_revision: str | None = "0004_telegram_user_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("telegram_senders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bot_api_url", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("bot_username", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("double_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("opt_in_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("webhook_url", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("webhook_secret_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("telegram_senders", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret_sha256")
        batch_op.drop_column("webhook_url")
        batch_op.drop_column("opt_in_text")
        batch_op.drop_column("double_opt_in")
        batch_op.drop_column("bot_username")
        batch_op.drop_column("bot_api_url")

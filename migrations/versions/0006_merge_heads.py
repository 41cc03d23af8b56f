"""Merge the delivery-engine and Telegram-layer branches of the schema.

Revision ID: 0006_merge_heads
Revises: 0002_delivery_engine, 0005_telegram_bot_api
"""

from collections.abc import Sequence

revision: str = "0006_merge_heads"
down_revision: str | Sequence[str] | None = ("0002_delivery_engine", "0005_telegram_bot_api")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

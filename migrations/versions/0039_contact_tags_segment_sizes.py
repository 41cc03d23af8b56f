"""orchestrator: contacts' tags as rows (a tag rule seeks an index) and segments' cached sizes

Revision ID: 0039_contact_tags
Revises: 0037_agent_notes
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039_contact_tags"
down_revision: str | None = "0037_agent_notes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_BACKFILL = {
    "sqlite": (
        "INSERT INTO orchestrator_contact_tags (contact_id, tag) "
        "SELECT DISTINCT c.id, j.value FROM orchestrator_contacts AS c, json_each(c.tags) AS j "
        "WHERE json_type(c.tags) = 'array' AND j.type = 'text'"
    ),
    "postgresql": (
        "INSERT INTO orchestrator_contact_tags (contact_id, tag) "
        "SELECT DISTINCT c.id, e #>> '{}' FROM orchestrator_contacts AS c, "
        "jsonb_array_elements(CASE WHEN jsonb_typeof(c.tags) = 'array' THEN c.tags "
        "ELSE '[]'::jsonb END) AS e WHERE jsonb_typeof(e) = 'string'"
    ),
}


def upgrade() -> None:
    op.create_table(
        "orchestrator_contact_tags",
        sa.Column("contact_id", _ID, nullable=False),
        sa.Column("tag", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["orchestrator_contacts.id"],
            name=op.f("fk_orchestrator_contact_tags_contact_id_orchestrator_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "tag", name=op.f("pk_orchestrator_contact_tags")),
    )
    op.create_index(
        "ix_orchestrator_contact_tags_tag",
        "orchestrator_contact_tags",
        ["tag", "contact_id"],
        unique=False,
    )
    op.execute(_BACKFILL[op.get_bind().dialect.name])
    with op.batch_alter_table("orchestrator_segments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("size_counted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orchestrator_segments", schema=None) as batch_op:
        batch_op.drop_column("size_counted_at")
        batch_op.drop_column("size")
    op.drop_index("ix_orchestrator_contact_tags_tag", table_name="orchestrator_contact_tags")
    op.drop_table("orchestrator_contact_tags")

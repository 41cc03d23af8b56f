"""compliance: a lawful basis and the consent text's version on each consent record; the
evidence of each contacts import (file hash, uploader, time, declared basis)

Existing records are backfilled: basis "consent" (the only one recorded until now) and, where
the proof keeps the opt-in text the bot showed, that text's version.

Revision ID: 0035_lawful_basis
Revises: 0030_fresh
Create Date: 2026-12-01 19:20:00
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketing_agent.core.db

revision: str = "0035_lawful_basis"
down_revision: str | Sequence[str] | None = "0030_fresh"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def _version_of(text: str) -> str:
    # The same as compliance.consent_texts.version_of, frozen here as migrations must be.
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def upgrade() -> None:
    op.create_table(
        "compliance_import_batches",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_bytes", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=128), nullable=False),
        sa.Column(
            "uploaded_at", marketing_agent.core.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("declared_basis", sa.String(length=32), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("sender_id", ID, nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("consents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_import_batches")),
    )
    op.create_index(
        op.f("ix_compliance_import_batches_file_sha256"),
        "compliance_import_batches",
        ["file_sha256"],
    )
    with op.batch_alter_table("compliance_consent_records") as batch_op:
        batch_op.add_column(
            sa.Column(
                "lawful_basis", sa.String(length=32), server_default="consent", nullable=False
            )
        )
        batch_op.add_column(sa.Column("consent_text_version", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("import_batch_id", ID, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_compliance_consent_records_import_batch_id"), ["import_batch_id"]
        )
    records = sa.table(
        "compliance_consent_records",
        sa.column("id", ID),
        sa.column("proof", JSON),
        sa.column("consent_text_version", sa.String),
    )
    bind = op.get_bind()
    versions: dict[str, list[int]] = {}
    for record_id, proof in bind.execute(sa.select(records.c.id, records.c.proof)):
        text = (proof or {}).get("opt_in_text") if isinstance(proof, dict) else None
        if isinstance(text, str) and text:
            versions.setdefault(_version_of(text), []).append(record_id)
    for version, ids in versions.items():
        for start in range(0, len(ids), 500):
            bind.execute(
                records.update()
                .where(records.c.id.in_(ids[start : start + 500]))
                .values(consent_text_version=version)
            )


def downgrade() -> None:
    with op.batch_alter_table("compliance_consent_records") as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_consent_records_import_batch_id"))
        batch_op.drop_column("import_batch_id")
        batch_op.drop_column("consent_text_version")
        batch_op.drop_column("lawful_basis")
    op.drop_index(
        op.f("ix_compliance_import_batches_file_sha256"), table_name="compliance_import_batches"
    )
    op.drop_table("compliance_import_batches")

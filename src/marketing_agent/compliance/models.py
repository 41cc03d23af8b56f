"""Tables of the compliance module: consent records, the hash-chained audit log, the
suppression list of erased people and data-subject requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core import clock
from marketing_agent.core.db import Base, IdMixin, IdType, JsonType, UtcDateTime


class ConsentRecord(IdMixin, Base):
    """One consent decision. The newest record for (contact, sender, purpose) is in force."""

    __tablename__ = "compliance_consent_records"
    __table_args__ = (Index("ix_consent_lookup", "contact_id", "sender_id", "purpose", "id"),)

    contact_id: Mapped[int] = mapped_column(IdType)
    sender_id: Mapped[int] = mapped_column(IdType)
    purpose: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # granted | withdrawn
    source: Mapped[str] = mapped_column(String(64))
    proof: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=lambda: clock.now())
    # GDPR art. 6(1): consent, or e.g. legitimate interests for an existing customer's soft
    # opt-in; the text version names the exact wording agreed to (consent_texts.version_of).
    lawful_basis: Mapped[str] = mapped_column(String(32), default="consent")
    consent_text_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    import_batch_id: Mapped[int | None] = mapped_column(IdType, nullable=True, index=True)


class ImportBatch(IdMixin, Base):
    """The evidence of one contacts import: the file's SHA-256 (the operator keeps the file; its
    hash proves which one it was), who uploaded it and when, and the lawful basis declared."""

    __tablename__ = "compliance_import_batches"

    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[str] = mapped_column(String(128))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    declared_basis: Mapped[str | None] = mapped_column(String(32), nullable=True)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    sender_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    purpose: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    consents: Mapped[int] = mapped_column(Integer)


class AuditHead(Base):
    """The chain's tip. Updating it first serialises appenders on every backend."""

    __tablename__ = "compliance_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)


class AuditEntry(IdMixin, Base):
    """One state change or decision; `hash` covers its content and the previous entry's hash."""

    __tablename__ = "compliance_audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Suppression(IdMixin, Base):
    """An erased person, as an HMAC of their Telegram id only (compliance/suppression.py)."""

    __tablename__ = "compliance_suppressions"

    digest: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(32))  # erasure
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=lambda: clock.now())


class PrivacyRequest(IdMixin, Base):
    """A data-subject request (GDPR art. 15-21, CCPA): who asked what, its identity check, its
    deadline and its outcome. `details` and `export` hold personal data and are cleared when the
    request ends in an erasure (or by retention); the rest is the accountability trail."""

    __tablename__ = "compliance_requests"
    __table_args__ = (Index("ix_compliance_requests_status_due", "status", "due_at"),)

    kind: Mapped[str] = mapped_column(String(32))
    regime: Mapped[str] = mapped_column(String(8))  # gdpr | ccpa
    status: Mapped[str] = mapped_column(String(16))  # received | verified | completed | rejected
    contact_id: Mapped[int | None] = mapped_column(IdType, nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    verification: Mapped[str | None] = mapped_column(String(255), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    export: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    created_by: Mapped[str] = mapped_column(String(128))
    # An extension of the deadline (GDPR art. 12(3): by two further months; CCPA: by 45 more
    # days), with the reason the requester is told; `due_at` is then the extended deadline.
    original_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    extended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    extended_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    extension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

"""Tables of the compliance module: consent records and the hash-chained audit log."""

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

"""Pydantic schemas of the compliance module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from marketing_agent.core.validation import DbId, TelegramChatId


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class LawfulBasis(StrEnum):
    """GDPR art. 6(1); marketing rests on consent, or legitimate interests for the soft opt-in
    of existing customers (ePrivacy art. 13(2))."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class ConsentCreate(BaseModel):
    contact_id: DbId
    sender_id: DbId
    purpose: str = Field("marketing", min_length=1, max_length=64)
    status: ConsentStatus = ConsentStatus.GRANTED
    source: str = Field(min_length=1, max_length=64, description="Where the decision was made.")
    proof: dict[str, Any] = Field(
        default_factory=dict, description="What the person saw and did, e.g. the opt-in text."
    )
    lawful_basis: LawfulBasis = Field(
        LawfulBasis.CONSENT, description="The GDPR art. 6(1) basis the processing rests on."
    )
    consent_text_version: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="The version of the text agreed to; when absent, that of the proof's "
        "opt_in_text (sha256:<16 hex digits>).",
    )
    import_batch_id: DbId | None = Field(None, description="The import batch it came in.")


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    sender_id: int
    purpose: str
    status: ConsentStatus
    source: str
    proof: dict[str, Any]
    recorded_at: datetime
    lawful_basis: LawfulBasis = LawfulBasis.CONSENT
    consent_text_version: str | None = Field(
        None, description="The version of the exact text agreed to, when known."
    )
    import_batch_id: int | None = Field(
        None, description="The import batch it came in (GET /compliance/import-batches/{id})."
    )
    import_batch: ImportBatchRead | None = Field(
        None, description="That batch's evidence: file hash, uploader, time, declared basis."
    )
    join_request: JoinRequestEvidence | None = Field(
        None,
        description="For consent given by asking to join a channel or group through an invite "
        "link: the chat, the link and when (Telegram's time of the request).",
    )


class JoinRequestEvidence(BaseModel):
    """The join request a consent came from, as Telegram delivered it to the bot."""

    chat_id: int = Field(description="The channel's or group's Telegram id.")
    chat_title: str | None = None
    chat_type: str | None = Field(None, description="channel, supergroup or group")
    invite_link_name: str | None = Field(None, description="The invite link's name, if any.")
    invite_link: str | None = Field(
        None, description="The link as Telegram shows it to the bot (partly hidden unless ours)."
    )
    requested_at: datetime


class ImportBatchRead(BaseModel):
    """The evidence of one contacts import."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    file_sha256: str = Field(description="SHA-256 of the file as uploaded.")
    file_name: str | None
    file_bytes: int
    uploaded_by: str
    uploaded_at: datetime
    declared_basis: LawfulBasis | None = Field(
        None, description="The lawful basis declared for the whole file (rows may name theirs)."
    )
    evidence: str | None = Field(None, description="Where the consents were collected.")
    sender_id: int | None
    purpose: str
    rows: int = Field(description="Rows imported.")
    consents: int = Field(description="Consent decisions recorded from it.")


class ImportBatchCheck(BaseModel):
    batch_id: int
    matches: bool = Field(description="Whether the file is byte for byte the one imported.")
    file_sha256: str = Field(description="SHA-256 of the file checked.")
    expected_sha256: str


class ConsentReceipt(BaseModel):
    """What a person agreed to, when and how, and how to withdraw: shown to the person."""

    contact_id: int
    sender_id: int
    purpose: str
    status: ConsentStatus
    lawful_basis: LawfulBasis
    given_at: datetime
    source: str
    text: str | None = Field(None, description="The exact text agreed to, when kept.")
    consent_text_version: str | None
    how_to_withdraw: str


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class AuditVerification(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None
    head_hash: str | None = Field(None, description="The hash the verified chain ends with.")
    anchors_checked: int = Field(
        0, description="Entries whose hash matched a head hash exported earlier."
    )


class RequestKind(StrEnum):
    """GDPR art. 15/20 (access, portability), 16, 17, 18, 21; CCPA's opt-out of sale/sharing."""

    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    CCPA_OPT_OUT = "ccpa_opt_out"


class Regime(StrEnum):
    GDPR = "gdpr"  # answer within one month (art. 12(3))
    CCPA = "ccpa"  # answer within 45 days (Cal. Civ. Code 1798.130)


class RequestStatus(StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"
    COMPLETED = "completed"
    REJECTED = "rejected"


class PrivacyRequestCreate(BaseModel):
    kind: RequestKind
    regime: Regime = Regime.GDPR
    contact_id: DbId = Field(description="The contact the request is about.")
    channel: str = Field("api", min_length=1, max_length=32, description="How it reached us.")
    details: dict[str, Any] = Field(
        default_factory=dict,
        description='What was asked; rectification: {"changes": {"first_name": "..."}}.',
    )


class IdentityVerification(BaseModel):
    method: str = Field(
        min_length=3,
        max_length=255,
        description="How the requester proved to be the person, e.g. 'message from their "
        "Telegram account to our bot'.",
    )


class PrivacyRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: RequestKind
    regime: Regime
    status: RequestStatus
    contact_id: int | None
    channel: str
    details: dict[str, Any]
    received_at: datetime
    due_at: datetime
    verified_at: datetime | None
    verified_by: str | None
    verification: str | None
    completed_at: datetime | None
    completed_by: str | None
    outcome: str | None
    result: dict[str, Any]
    created_by: str
    original_due_at: datetime | None = Field(
        None, description="The legal deadline before its one extension; None: not extended."
    )
    extended_at: datetime | None = None
    extended_by: str | None = None
    extension_reason: str | None = Field(None, description="Told to the requester.")
    reminded_at: datetime | None = Field(
        None, description="When the reminder before the (current) deadline went out."
    )
    overdue: bool = False
    days_left: int | None = Field(None, description="Whole days to the deadline while open.")


class RequestExtension(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=10,
        max_length=1000,
        description="Why more time is needed (GDPR art. 12(3): complexity and number of "
        "requests); told to the requester.",
    )


class RequestRejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=10,
        max_length=1000,
        description="Why the request is not acted on (identity not proven, manifestly "
        "unfounded or excessive); told to the requester with their right to complain.",
    )


class SuppressionSummary(BaseModel):
    count: int = Field(description="Erased people on the suppression list.")


class SuppressionCheck(BaseModel):
    telegram_id: TelegramChatId = Field(description="The Telegram id to look up.")


class SuppressionCheckResult(BaseModel):
    suppressed: bool


ConsentRead.model_rebuild()  # its import_batch and join_request name models defined after it

"""Consent receipts: what a person agreed to, when, on which basis and how to withdraw, per
sender and purpose, from the decision in force (the newest), for the person to keep (the bot's
/myconsent answer) and for an operator to show them (the API)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance.models import ConsentRecord
from marketing_agent.compliance.schemas import ConsentReceipt, ConsentStatus, LawfulBasis

HOW_TO_WITHDRAW = (
    "Send STOP to the bot (or press Unsubscribe) to withdraw at once; /mydata sends you what we "
    "hold about you and /forgetme erases it."
)
RECEIPT_HEADER = "Your consent receipt"
NO_CONSENT_TEXT = "We hold no consent of yours: we send you no marketing messages."


async def receipts_of(
    *, session: AsyncSession, contact_id: int, sender_id: int | None = None
) -> list[ConsentReceipt]:
    """Returns, per sender and purpose, the receipt of the decision in force."""
    query = select(ConsentRecord).where(ConsentRecord.contact_id == contact_id)
    if sender_id is not None:
        query = query.where(ConsentRecord.sender_id == sender_id)
    newest: dict[tuple[int, str], ConsentRecord] = {}
    for record in await session.scalars(query.order_by(ConsentRecord.id)):
        newest[(record.sender_id, record.purpose)] = record
    return [_receipt(r) for r in newest.values()]


def _receipt(record: ConsentRecord) -> ConsentReceipt:
    proof = record.proof or {}
    text = proof.get("opt_in_text")
    return ConsentReceipt(
        contact_id=record.contact_id,
        sender_id=record.sender_id,
        purpose=record.purpose,
        status=ConsentStatus(record.status),
        lawful_basis=LawfulBasis(record.lawful_basis),
        given_at=_given_at(record),
        source=record.source,
        text=text if isinstance(text, str) else None,
        consent_text_version=record.consent_text_version,
        how_to_withdraw=HOW_TO_WITHDRAW,
    )


def _given_at(record: ConsentRecord) -> datetime:
    """Returns when the person decided: the time the proof names, else when it was recorded."""
    for key in ("consent_at", "at"):
        value = (record.proof or {}).get(key)
        if isinstance(value, str):
            try:
                at = datetime.fromisoformat(value)
            except ValueError:
                continue
            if at.tzinfo is not None:
                return at.astimezone(UTC)
    return record.recorded_at


def receipt_text(receipts: list[ConsentReceipt]) -> str:
    """Returns the receipts as the bot's message to the person."""
    if not receipts:
        return NO_CONSENT_TEXT
    parts = [RECEIPT_HEADER]
    for r in receipts:
        verb = "agreed" if r.status == ConsentStatus.GRANTED else "withdrew"
        lines = [
            f"You {verb} to {r.purpose} messages on {r.given_at:%Y-%m-%d %H:%M} UTC "
            f"(via {r.source}; lawful basis: {r.lawful_basis.value}).",
        ]
        if r.status == ConsentStatus.GRANTED and r.text:
            lines.append(f"What you agreed to: “{r.text}”")
        if r.consent_text_version:
            lines.append(f"Text version: {r.consent_text_version}")
        parts.append("\n".join(lines))
    parts.append(HOW_TO_WITHDRAW)
    return "\n\n".join(parts)

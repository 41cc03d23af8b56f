"""CSV export of contacts and of a campaign's deliveries, safe to open in a spreadsheet: a text
cell that starts with = + - @ (or a tab or carriage return) is prefixed with ' so it is never run
as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.orchestrator.models import Contact, Delivery

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("telegram_id", "username", "first_name", "language", "timezone", "tags", "consent")


def safe_cell(value: Any) -> Any:
    """Returns the value as a spreadsheet will show it and never evaluate it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Returns CSV text with every text cell made formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


async def export_contacts(*, session: AsyncSession, masked: bool = False) -> str:
    """Returns every contact as CSV, attributes as extra columns, the import's format; `masked`
    (a role without personal_data:read): Telegram ids, names and attributes' personal data
    masked as in the API."""
    contacts = (await session.scalars(select(Contact).order_by(Contact.id))).all()
    states = await compliance.consent_states(session=session, contact_ids=None)
    attribute_keys = sorted({k for c in contacts for k in (c.attributes or {})} - set(COLUMNS))
    rows = (
        [
            _shown_id(c.telegram_id, masked),
            (compliance.mask_text(c.username) if masked else c.username) or "",
            (compliance.mask_text(c.first_name, keep_last=False) if masked else c.first_name) or "",
            c.language or "",
            c.timezone or "",
            ";".join(c.tags or ()),
            states.get(c.id, "none"),
            *[_attribute(c.attributes or {}, k, masked) for k in attribute_keys],
        ]
        for c in contacts
    )
    return write_csv([*COLUMNS, *attribute_keys], rows)


DELIVERY_COLUMNS = (
    "delivery_id",
    "contact_id",
    "telegram_id",
    "first_name",
    "variant",
    "status",
    "reason",
    "attempts",
    "sent_at",
)


async def export_deliveries(
    *, session: AsyncSession, campaign_id: int, masked: bool = False
) -> str:
    """Returns a campaign's deliveries as CSV: who got which variant, and what became of it;
    `masked`: the Telegram ids and names masked."""
    rows = await session.execute(
        select(Delivery, Contact.telegram_id, Contact.first_name)
        .join(Contact, Contact.id == Delivery.contact_id, isouter=True)
        .where(Delivery.campaign_id == campaign_id)
        .order_by(Delivery.id)
    )
    return write_csv(
        DELIVERY_COLUMNS,
        (
            [
                d.id,
                d.contact_id,
                _shown_id(telegram_id, masked),
                (compliance.mask_text(first_name, keep_last=False) if masked else first_name) or "",
                d.variant_key,
                d.status,
                d.reason or "",
                d.attempts,
                d.sent_at.isoformat() if d.sent_at else "",
            ]
            for d, telegram_id, first_name in rows
        ),
    )


def _shown_id(telegram_id: int | None, masked: bool) -> int | str:
    if telegram_id is None:
        return ""
    return (compliance.mask_telegram_id(telegram_id) or "") if masked else telegram_id


def _attribute(attributes: dict[str, Any], key: str, masked: bool) -> str:
    value = str(attributes.get(key, ""))
    return compliance.mask_attributes({key: value})[key] if masked else value

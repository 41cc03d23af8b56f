"""CSV import of contacts: every row is checked first and every error reported at once, with its
row and column, so a file is imported whole or not at all."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.schemas import ConsentCreate
from marketing_agent.compliance.suppression import SuppressionKey
from marketing_agent.core import clock
from marketing_agent.core.errors import ValidationFailed, field_error
from marketing_agent.orchestrator.models import Contact
from marketing_agent.orchestrator.schemas import ContactCreate, ImportResult

KNOWN = {"telegram_id", "username", "first_name", "language", "timezone", "tags"}
CONSENT_COLUMNS = {"consent_at", "consent_proof"}
MAX_ROWS = 200_000


def parse_rows(
    data: bytes,
) -> tuple[list[tuple[ContactCreate, datetime | None, str]], list[dict[str, Any]]]:
    """Returns the valid rows and the errors of the invalid ones (row numbers count the header)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [field_error(("body", "file"), "the file is not UTF-8 text")]
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "telegram_id" not in reader.fieldnames:
        return [], [field_error(("body", "file"), "the header must include a telegram_id column")]
    rows: list[tuple[ContactCreate, datetime | None, str]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    try:
        _parse_all(reader, rows, errors, seen)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        errors.append(field_error(("body", "file"), f"not a readable CSV file: {exc}"))
    return rows, errors


def _parse_all(
    reader: csv.DictReader[str],
    rows: list[tuple[ContactCreate, datetime | None, str]],
    errors: list[dict[str, Any]],
    seen: dict[int, int],
) -> None:
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            errors.append(field_error(("body", "file"), f"more than {MAX_ROWS} rows"))
            break
        parsed = _parse_row(raw, line, errors)
        if parsed is None:
            continue
        contact, _, _ = parsed
        if contact.telegram_id in seen:
            errors.append(
                field_error(
                    ("body", "rows", line, "telegram_id"),
                    f"duplicate of row {seen[contact.telegram_id]}",
                )
            )
            continue
        seen[contact.telegram_id] = line
        rows.append(parsed)


def _parse_row(
    raw: dict[str, Any], line: int, errors: list[dict[str, Any]]
) -> tuple[ContactCreate, datetime | None, str] | None:
    values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
    attributes = {k: v for k, v in values.items() if k not in KNOWN | CONSENT_COLUMNS and v}
    # Only the file's own columns are set, so re-importing a narrower file keeps the rest.
    payload: dict[str, Any] = {k: values[k] or None for k in KNOWN - {"tags"} if k in values}
    if "tags" in values:
        payload["tags"] = [t.strip() for t in values["tags"].split(";") if t.strip()]
    if attributes:
        payload["attributes"] = attributes
    consent_at = None
    if values.get("consent_at"):
        try:
            consent_at = datetime.fromisoformat(values["consent_at"].replace("Z", "+00:00"))
            if consent_at.tzinfo is None:
                raise ValueError
        except ValueError:
            errors.append(
                field_error(
                    ("body", "rows", line, "consent_at"),
                    "must be an ISO time with a zone, e.g. 2026-05-01T10:00:00Z",
                )
            )
    try:
        contact = ContactCreate.model_validate(payload)
    except ValidationError as exc:
        for err in exc.errors():
            column = err["loc"][0] if err["loc"] else "row"
            errors.append(field_error(("body", "rows", line, str(column)), err["msg"]))
        return None
    # A row with a bad consent_at still takes part in the duplicate check (errors stop the import).
    return contact, consent_at, values.get("consent_proof", "")


async def import_contacts(
    *,
    session: AsyncSession,
    data: bytes,
    sender_id: int | None,
    purpose: str,
    actor: str,
    suppression_key: SuppressionKey | None,
) -> ImportResult:
    """Imports a CSV whole or not at all; rows with `consent_at` record consent for `sender_id`.
    Rows of erased people (the suppression list) are left out and reported; `suppression_key`
    is None only for a database known to hold no suppressions (the demo's fresh one)."""
    rows, errors = parse_rows(data)
    wants_consent = any(consent_at for _, consent_at, _ in rows)
    if wants_consent and sender_id is None:
        errors.append(
            field_error(
                ("query", "sender_id"),
                "the file has consent_at values: name the sender they were given to",
            )
        )
    if errors:
        raise ValidationFailed(
            errors, detail=f"{len(errors)} problem(s) in the file; nothing imported"
        )
    rows, suppressed_rows = await _drop_suppressed(session, rows, suppression_key)
    existing = (
        {
            tg: cid
            for cid, tg in await session.execute(
                select(Contact.id, Contact.telegram_id).where(
                    Contact.telegram_id.in_([c.telegram_id for c, _, _ in rows])
                )
            )
        }
        if len(rows) <= 900
        else {tg: cid for cid, tg in await session.execute(select(Contact.id, Contact.telegram_id))}
    )
    created = updated = 0
    by_tg: dict[int, Contact] = {}
    for contact_in, _, _ in rows:
        if contact_in.telegram_id in existing:
            contact = await session.get_one(Contact, existing[contact_in.telegram_id])
            for field, value in contact_in.model_dump(exclude_unset=True).items():
                if field == "attributes":
                    value = {**(contact.attributes or {}), **value}
                setattr(contact, field, value)
            updated += 1
        else:
            contact = Contact(**contact_in.model_dump(), created_at=clock.now())
            session.add(contact)
            created += 1
        by_tg[contact_in.telegram_id] = contact
    await session.flush()
    consents = [
        ConsentCreate(
            contact_id=by_tg[c.telegram_id].id,
            sender_id=sender_id,
            purpose=purpose,
            source="import",
            proof={"consent_at": consent_at.isoformat(), "proof": proof},
        )
        for c, consent_at, proof in rows
        if consent_at is not None and sender_id is not None
    ]
    recorded = await compliance.record_consents(session=session, consents=consents, actor=actor)
    await compliance.audit(
        session=session,
        actor=actor,
        action="contacts.imported",
        entity_type="contacts",
        entity_id="import",
        data={
            "created": created,
            "updated": updated,
            "consents": recorded,
            "suppressed": len(suppressed_rows),
        },
    )
    return ImportResult(
        created=created,
        updated=updated,
        consents_recorded=recorded,
        suppressed=len(suppressed_rows),
        suppressed_rows=suppressed_rows,
    )


async def _drop_suppressed(
    session: AsyncSession,
    rows: list[tuple[ContactCreate, datetime | None, str]],
    key: SuppressionKey | None,
) -> tuple[list[tuple[ContactCreate, datetime | None, str]], list[int]]:
    """Returns the rows that may be imported and the line numbers of erased people's rows.
    Someone who came back through a bot on their own is a contact again and not suppressed."""
    if key is None or not rows:
        return rows, []
    suppressed = await compliance.suppressed_among(
        session=session, key=key, telegram_ids=[c.telegram_id for c, _, _ in rows]
    )
    if suppressed:
        returned = set(
            await session.scalars(
                select(Contact.telegram_id).where(Contact.telegram_id.in_(list(suppressed)))
            )
        )
        suppressed -= returned
    # Without errors every row was kept in order, so row i is line i + 2 (after the header).
    lines = [i + 2 for i, (c, _, _) in enumerate(rows) if c.telegram_id in suppressed]
    return [r for r in rows if r[0].telegram_id not in suppressed], lines

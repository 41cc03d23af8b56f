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
from marketing_agent.core import clock
from marketing_agent.core.errors import ValidationFailed, field_error
from marketing_agent.orchestrator.models import Contact
from marketing_agent.orchestrator.schemas import (
    ContactCreate,
    ImportColumn,
    ImportPreview,
    ImportResult,
)

KNOWN = {"telegram_id", "username", "first_name", "language", "timezone", "tags"}
CONSENT_COLUMNS = {"consent_at", "consent_proof"}
MAX_ROWS = 200_000


Row = tuple[ContactCreate, datetime | None, str]
PREVIEW_ROWS = 10


def parse_rows(data: bytes) -> tuple[list[Row], list[dict[str, Any]]]:
    """Returns the valid rows and the errors of the invalid ones (row numbers count the header)."""
    rows, errors = _parse_numbered(data)
    return [row for _, row in rows], errors


def _parse_numbered(data: bytes) -> tuple[list[tuple[int, Row]], list[dict[str, Any]]]:
    """parse_rows, with each parsed row's line number."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [field_error(("body", "file"), "the file is not UTF-8 text")]
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "telegram_id" not in reader.fieldnames:
        return [], [field_error(("body", "file"), "the header must include a telegram_id column")]
    rows: list[tuple[int, Row]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    try:
        _parse_all(reader, rows, errors, seen)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        errors.append(field_error(("body", "file"), f"not a readable CSV file: {exc}"))
    return rows, errors


def _parse_all(
    reader: csv.DictReader[str],
    rows: list[tuple[int, Row]],
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
        rows.append((line, parsed))


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


def _error_lines(errors: list[dict[str, Any]]) -> set[int] | None:
    """Returns the row numbers the errors name, or None when an error is about the whole file."""
    lines = set()
    for error in errors:
        loc = error.get("loc", ())
        if len(loc) < 3 or loc[1] != "rows":
            return None
        lines.add(int(loc[2]))
    return lines


def preview_import(data: bytes, *, sender_id: int | None) -> ImportPreview:
    """Returns how the file's columns map, its first rows and every error; writes nothing."""
    numbered, errors = _parse_numbered(data)
    errors += _consent_errors([row for _, row in numbered], sender_id)
    columns: list[ImportColumn] = []
    sample: list[dict[str, str]] = []
    total = 0
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        for name in reader.fieldnames or []:
            maps_to = name if name in KNOWN | CONSENT_COLUMNS else "attribute"
            columns.append(ImportColumn(name=name, maps_to=maps_to))
        for raw in reader:
            total += 1
            if len(sample) < PREVIEW_ROWS:
                sample.append({k: v or "" for k, v in raw.items() if k is not None})
    except (UnicodeDecodeError, csv.Error):
        pass
    bad = _error_lines(errors)
    valid = 0 if bad is None else sum(1 for line, _ in numbered if line not in bad)
    return ImportPreview(
        columns=columns, sample=sample, rows=total, valid_rows=valid, errors=errors
    )


def _consent_errors(rows: list[Row], sender_id: int | None) -> list[dict[str, Any]]:
    if sender_id is None and any(consent_at for _, consent_at, _ in rows):
        return [
            field_error(
                ("query", "sender_id"),
                "the file has consent_at values: name the sender they were given to",
            )
        ]
    return []


async def import_contacts(
    *,
    session: AsyncSession,
    data: bytes,
    sender_id: int | None,
    purpose: str,
    actor: str,
    valid_only: bool = False,
) -> ImportResult:
    """Imports a CSV whole or not at all; rows with `consent_at` record consent for `sender_id`.
    With `valid_only` the rows with errors are left out and the others imported whole (an error
    about the whole file still stops it)."""
    numbered, errors = _parse_numbered(data)
    skipped = 0
    bad = _error_lines(errors) if valid_only else None
    if bad is not None and errors:
        skipped = len(bad)
        numbered = [(line, row) for line, row in numbered if line not in bad]
        errors = []
    rows = [row for _, row in numbered]
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
        data={"created": created, "updated": updated, "consents": recorded},
    )
    return ImportResult(
        created=created, updated=updated, consents_recorded=recorded, skipped_rows=skipped
    )

"""CSV import of contacts: every row is checked first and every error reported at once, with its
row and column, so a file is imported whole or not at all. A row that records consent needs a
lawful basis (its own `lawful_basis` column, or the one declared for the file); each upload is
kept as evidence (compliance's import batch: the file's hash, uploader, time, declared basis)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime
from typing import Any, NamedTuple, cast

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.db import in_chunks
from marketing_agent.core.errors import Conflict, ValidationFailed, field_error
from marketing_agent.orchestrator import contact_tags
from marketing_agent.orchestrator.models import Contact
from marketing_agent.orchestrator.schemas import (
    ContactCreate,
    ImportColumn,
    ImportPreview,
    ImportResult,
)
from marketing_agent.telegram import service as telegram

KNOWN = {"telegram_id", "username", "first_name", "language", "timezone", "tags"}
CONSENT_COLUMNS = {"consent_at", "consent_proof", "lawful_basis", "consent_text_version"}
BASES = ", ".join(b.value for b in compliance.LawfulBasis)
MAX_ROWS = 200_000


class Row(NamedTuple):
    contact: ContactCreate
    consent_at: datetime | None
    proof: str
    basis: compliance.LawfulBasis | None  # the row's own, else the file's declared one
    text_version: str | None


PREVIEW_ROWS = 10


def _parse_numbered(
    data: bytes, declared: compliance.LawfulBasis | None = None
) -> tuple[list[tuple[int, Row]], list[dict[str, Any]]]:
    """Returns the valid rows with their line numbers, and the errors of the invalid ones (row
    numbers count the header); `declared` is the lawful basis of rows that name none."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [field_error(("body", "file"), "the file is not UTF-8 text")]
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames
    except csv.Error as exc:  # e.g. a NUL byte or an oversized field in the header line
        return [], [field_error(("body", "file"), f"not a readable CSV file: {exc}")]
    if not header or "telegram_id" not in header:
        return [], [field_error(("body", "file"), "the header must include a telegram_id column")]
    rows: list[tuple[int, Row]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    try:
        _parse_all(reader, rows, errors, seen, declared)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        errors.append(field_error(("body", "file"), f"not a readable CSV file: {exc}"))
    return rows, errors


def _parse_all(
    reader: csv.DictReader[str],
    rows: list[tuple[int, Row]],
    errors: list[dict[str, Any]],
    seen: dict[int, int],
    declared: compliance.LawfulBasis | None,
) -> None:
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            errors.append(field_error(("body", "file"), f"more than {MAX_ROWS} rows"))
            break
        parsed = _parse_row(raw, line, errors, declared)
        if parsed is None:
            continue
        contact = parsed.contact
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
    raw: dict[str, Any],
    line: int,
    errors: list[dict[str, Any]],
    declared: compliance.LawfulBasis | None,
) -> Row | None:
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
    basis = _basis_of_row(values, line, errors, declared)
    version = values.get("consent_text_version") or None
    if version is not None and len(version) > 64:
        errors.append(
            field_error(("body", "rows", line, "consent_text_version"), "at most 64 characters")
        )
    try:
        contact = ContactCreate.model_validate(payload)
    except ValidationError as exc:
        for err in exc.errors():
            column = err["loc"][0] if err["loc"] else "row"
            errors.append(field_error(("body", "rows", line, str(column)), err["msg"]))
        return None
    # A row with a bad consent_at still takes part in the duplicate check (errors stop the import).
    return Row(contact, consent_at, values.get("consent_proof", ""), basis, version)


def _basis_of_row(
    values: dict[str, str],
    line: int,
    errors: list[dict[str, Any]],
    declared: compliance.LawfulBasis | None,
) -> compliance.LawfulBasis | None:
    """Returns the lawful basis a row's consent rests on; a row giving consent (consent_at)
    without one, or naming a basis without the time it began, is an error of that row."""
    own = values.get("lawful_basis", "")
    basis = declared
    if own:
        try:
            basis = compliance.LawfulBasis(own.lower())
        except ValueError:
            errors.append(
                field_error(
                    ("body", "rows", line, "lawful_basis"),
                    f"'{own[:40]}' is no lawful basis (one of: {BASES})",
                )
            )
            return None
        if not values.get("consent_at"):
            errors.append(
                field_error(
                    ("body", "rows", line, "consent_at"),
                    f"a row with a lawful basis ({basis.value}) needs consent_at: when the "
                    "person agreed, or the relationship it rests on began",
                )
            )
    elif values.get("consent_at") and basis is None:
        errors.append(
            field_error(
                ("body", "rows", line, "lawful_basis"),
                f"no lawful basis for this consent: fill the lawful_basis column ({BASES}) "
                "or declare one for the whole file",
            )
        )
    return basis


def _error_lines(errors: list[dict[str, Any]]) -> set[int] | None:
    """Returns the row numbers the errors name, or None when an error is about the whole file."""
    lines = set()
    for error in errors:
        loc = error.get("loc", ())
        if len(loc) < 3 or loc[1] != "rows":
            return None
        lines.add(int(loc[2]))
    return lines


def preview_import(
    data: bytes, *, sender_id: int | None, lawful_basis: compliance.LawfulBasis | None = None
) -> ImportPreview:
    """Returns how the file's columns map, its first rows and every error; writes nothing."""
    numbered, errors = _parse_numbered(data, lawful_basis)
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
    if sender_id is None and any(row.consent_at for row in rows):
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
    suppression_key: compliance.SuppressionKey | None,
    valid_only: bool = False,
    lawful_basis: compliance.LawfulBasis | None = None,
    evidence: str | None = None,
    file_name: str | None = None,
) -> ImportResult:
    """Imports a CSV whole or not at all; rows with `consent_at` record consent for `sender_id`.

    Parsing runs in a thread and rows are written in batches, so a large file does not hold up
    the event loop (the API's other requests, /healthz). With `valid_only` the rows with errors
    are left out and the others imported whole (an error about the whole file still stops it).
    Rows of erased people (the suppression list) are left out and reported; `suppression_key`
    is None only for a database known to hold no suppressions (the demo's fresh one).
    `lawful_basis` is the basis declared for rows that name none; it, `evidence` (where the
    consents were collected), the file's hash and the uploader are kept as the import batch."""
    numbered, errors = await asyncio.to_thread(_parse_numbered, data, lawful_basis)
    skipped = 0
    bad = _error_lines(errors) if valid_only else None
    if bad is not None and errors:
        skipped = len(bad)
        numbered = [(line, row) for line, row in numbered if line not in bad]
        errors = []
    wants_consent = any(row.consent_at for _, row in numbered)
    if wants_consent and sender_id is None:
        errors.append(
            field_error(
                ("query", "sender_id"),
                "the file has consent_at values: name the sender they were given to",
            )
        )
    if (
        sender_id is not None
        and await telegram.get_sender(session=session, sender_id=sender_id) is None
    ):
        errors.append(field_error(("query", "sender_id"), f"sender {sender_id} does not exist"))
    if errors:
        raise ValidationFailed(
            errors, detail=f"{len(errors)} problem(s) in the file; nothing imported"
        )
    numbered, suppressed_rows = await _drop_suppressed(session, numbered, suppression_key)
    rows = [row for _, row in numbered]
    batch_id = await compliance.record_import_batch(
        session=session,
        data=data,
        file_name=file_name,
        uploaded_by=actor,
        declared_basis=lawful_basis,
        evidence=evidence,
        sender_id=sender_id,
        purpose=purpose,
    )
    ids, created, updated = await _write_contacts(session, [row.contact for row in rows])
    consents: list[compliance.ConsentCreate] = []
    for chunk in in_chunks(rows if sender_id is not None else []):
        consents += [
            compliance.ConsentCreate(
                contact_id=ids[row.contact.telegram_id],
                sender_id=sender_id,
                purpose=purpose,
                source="import",
                proof={"consent_at": row.consent_at.isoformat(), "proof": row.proof},
                lawful_basis=row.basis,
                consent_text_version=row.text_version,
                import_batch_id=batch_id,
            )
            for row in chunk
            if row.consent_at is not None and row.basis is not None and sender_id is not None
        ]
        await asyncio.sleep(0)  # let the API's other requests in between batches
    recorded = await compliance.record_consents(session=session, consents=consents, actor=actor)
    await compliance.finish_import_batch(
        session=session, batch_id=batch_id, rows=len(rows), consents=recorded
    )
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
            "import_batch_id": batch_id,
        },
    )
    return ImportResult(
        import_batch_id=batch_id,
        created=created,
        updated=updated,
        consents_recorded=recorded,
        skipped_rows=skipped,
        suppressed=len(suppressed_rows),
        suppressed_rows=suppressed_rows,
    )


async def _write_contacts(
    session: AsyncSession, contacts: list[ContactCreate]
) -> tuple[dict[int, int], int, int]:
    """Inserts the new contacts and updates the known ones (only the file's columns) in batches;
    returns contact ids by telegram id, and how many were created and updated."""
    table = cast(Table, Contact.__table__)
    ids: dict[int, int] = {}
    created = updated = 0
    now = clock.now()
    for chunk in in_chunks(contacts):
        known = {
            tg: (cid, attributes)
            for cid, tg, attributes in await session.execute(
                select(Contact.id, Contact.telegram_id, Contact.attributes).where(
                    Contact.telegram_id.in_([c.telegram_id for c in chunk])
                )
            )
        }
        new_rows: list[dict[str, Any]] = []
        changes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for contact_in in chunk:
            if contact_in.telegram_id not in known:
                new_rows.append({**contact_in.model_dump(), "created_at": now})
                continue
            contact_id, attributes = known[contact_in.telegram_id]
            ids[contact_in.telegram_id] = contact_id
            values = contact_in.model_dump(exclude_unset=True, exclude={"telegram_id"})
            if "attributes" in values:
                values["attributes"] = {**(attributes or {}), **values["attributes"]}
            if values:
                changes.setdefault(tuple(sorted(values)), []).append({"_id": contact_id, **values})
        for columns, params in changes.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values({column: bindparam(column) for column in columns})
            )
            await session.execute(statement, params)
            if "tags" in columns:
                await contact_tags.replace_tags(session, {p["_id"]: p["tags"] for p in params})
        updated += len(chunk) - len(new_rows)
        if new_rows:
            try:
                await session.execute(insert(table), new_rows)
            except IntegrityError:
                raise Conflict(
                    "Another import added some of these contacts at the same time; "
                    "import the file again (nothing of this one was kept)"
                ) from None
            created += len(new_rows)
            added = await session.execute(
                select(Contact.id, Contact.telegram_id).where(
                    Contact.telegram_id.in_([row["telegram_id"] for row in new_rows])
                )
            )
            new_ids = {tg: cid for cid, tg in added}
            ids.update(new_ids)
            await contact_tags.replace_tags(
                session,
                {new_ids[row["telegram_id"]]: row["tags"] for row in new_rows},
                new=True,
            )
    return ids, created, updated


async def _drop_suppressed(
    session: AsyncSession, numbered: list[tuple[int, Row]], key: compliance.SuppressionKey | None
) -> tuple[list[tuple[int, Row]], list[int]]:
    """Returns the rows that may be imported and the line numbers of erased people's rows.
    Someone who came back through a bot on their own is a contact again and not suppressed."""
    if key is None or not numbered:
        return numbered, []
    suppressed = await compliance.suppressed_among(
        session=session, key=key, telegram_ids=[row.contact.telegram_id for _, row in numbered]
    )
    if suppressed:
        returned = set(
            await session.scalars(
                select(Contact.telegram_id).where(Contact.telegram_id.in_(list(suppressed)))
            )
        )
        suppressed -= returned
    lines = [line for line, row in numbered if row.contact.telegram_id in suppressed]
    return [
        (line, row) for line, row in numbered if row.contact.telegram_id not in suppressed
    ], lines

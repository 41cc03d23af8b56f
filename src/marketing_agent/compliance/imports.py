"""The evidence of contacts imports: each upload's SHA-256, who uploaded it, when, the lawful
basis declared for it and where its consents were collected. The consent records an import
creates name their batch, so "how do you know they agreed?" is answered by the batch and the
file the operator kept, which `check_file` proves to be the same bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import audit as audit_log
from marketing_agent.compliance.models import ImportBatch
from marketing_agent.compliance.schemas import ImportBatchCheck, LawfulBasis
from marketing_agent.core import clock
from marketing_agent.core.errors import NotFound


def sha256_of(data: bytes) -> str:
    """Returns the hex SHA-256 of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


async def record_batch(
    *,
    session: AsyncSession,
    data: bytes,
    file_name: str | None,
    uploaded_by: str,
    declared_basis: LawfulBasis | None,
    evidence: str | None,
    sender_id: int | None,
    purpose: str,
) -> int:
    """Records the evidence of an upload before its rows are written (they name it); returns
    its id. `finish_batch` sets the counts in the same transaction."""
    batch = ImportBatch(
        file_sha256=sha256_of(data),
        file_name=(file_name or "")[:255] or None,
        file_bytes=len(data),
        uploaded_by=uploaded_by[:128],
        uploaded_at=clock.now(),
        declared_basis=declared_basis.value if declared_basis else None,
        evidence=evidence,
        sender_id=sender_id,
        purpose=purpose,
        rows=0,
        consents=0,
    )
    session.add(batch)
    await session.flush()
    return batch.id


async def finish_batch(*, session: AsyncSession, batch_id: int, rows: int, consents: int) -> None:
    """Sets what an import wrote and audits the batch with its evidence."""
    batch = await get_or_raise(session=session, batch_id=batch_id)
    batch.rows = rows
    batch.consents = consents
    await session.flush()
    await audit_log.append(
        session=session,
        actor=batch.uploaded_by,
        action="import_batch.recorded",
        entity_type="import_batch",
        entity_id=batch.id,
        data={
            "file_sha256": batch.file_sha256,
            "file_bytes": batch.file_bytes,
            "declared_basis": batch.declared_basis,
            "sender_id": batch.sender_id,
            "purpose": batch.purpose,
            "rows": rows,
            "consents": consents,
        },
    )


async def get_or_raise(*, session: AsyncSession, batch_id: int) -> ImportBatch:
    """Returns an import batch, or raises NotFound."""
    batch = await session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"No import batch {batch_id}")
    return batch


async def batches_by_id(
    *, session: AsyncSession, batch_ids: Collection[int]
) -> dict[int, ImportBatch]:
    """Returns the import batches of `batch_ids` by id."""
    if not batch_ids:
        return {}
    rows = await session.scalars(select(ImportBatch).where(ImportBatch.id.in_(list(batch_ids))))
    return {b.id: b for b in rows}


async def check_file(*, session: AsyncSession, batch_id: int, data: bytes) -> ImportBatchCheck:
    """Says whether `data` is byte for byte the file imported as batch `batch_id`."""
    batch = await get_or_raise(session=session, batch_id=batch_id)
    digest = sha256_of(data)
    return ImportBatchCheck(
        batch_id=batch.id,
        matches=digest == batch.file_sha256,
        file_sha256=digest,
        expected_sha256=batch.file_sha256,
    )

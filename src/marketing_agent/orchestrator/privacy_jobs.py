"""The scheduler's privacy jobs, each on its own interval: apply the retention rules, export the
audit chain's head hash, delete export documents the bots have long since sent; and, every
tick, remind of data-subject requests whose deadline is near. When a job last
ran is read from the audit log (each run is audited), so a restart or a new leader does not run
it again early."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.db import Database
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import privacy, privacy_bot

if TYPE_CHECKING:
    from marketing_agent.runtime import Runtime

log = get_logger(__name__)


async def run_due_jobs(runtime: Runtime) -> None:
    """Runs each privacy job whose interval has passed; one job's failure is logged and does
    not hold up the others (it is tried again next tick)."""
    await run_due(runtime.database, runtime.settings)


async def run_due(db: Database, settings: Settings) -> None:
    """Runs the due jobs on `db` under `settings` (run_due_jobs' work)."""
    try:
        privacy_bot.sweep_exports(settings)
    except OSError:
        log.exception("privacy.sweep_failed")
    try:
        await purge_if_due(db, settings)
    except Exception:
        log.exception("retention.purge_failed")
    try:
        await export_head_if_due(db, settings)
    except Exception:
        log.exception("audit.head_export_failed")
    try:
        await remind_requests(db, settings)
    except Exception:
        log.exception("privacy_request.reminders_failed")


async def remind_requests(db: Database, settings: Settings) -> list[int]:
    """Reminds once of each open data-subject request due within
    MA_PRIVACY_REQUEST_REMINDER_DAYS (again after an extension); returns the requests."""
    if not settings.privacy_request_reminder_days:
        return []
    within = timedelta(days=settings.privacy_request_reminder_days)
    async with db.session() as session:
        reminded = await compliance.remind_due_requests(session=session, within=within)
    if reminded:
        log.warning("privacy_request.deadline_near", requests=reminded)
    return reminded


async def purge_if_due(db: Database, settings: Settings) -> privacy.RetentionReport | None:
    """Applies the retention rules when MA_RETENTION_PURGE_INTERVAL_HOURS have passed since the
    last run; returns the report, or None when it was not due."""
    if not settings.retention_purge_interval_hours:
        return None
    every = timedelta(hours=settings.retention_purge_interval_hours)
    async with db.session() as session:
        if not await _due(session, privacy.RETENTION_ACTION, every):
            return None
        report = await privacy.purge_expired(session=session, settings=settings, always_audit=True)
    if report.contacts_erased:
        await privacy.flush_erased_pages(db)
    return report


async def export_head_if_due(db: Database, settings: Settings) -> bool:
    """Exports the audit chain's head to MA_AUDIT_HEAD_EXPORT when its interval has passed;
    returns whether it did."""
    if not settings.audit_head_export:
        return False
    every = timedelta(hours=settings.audit_head_export_interval_hours)
    async with db.session() as session:
        if not await _due(session, compliance.HEAD_EXPORTED_ACTION, every):
            return False
        await compliance.export_audit_head(session=session, target=settings.audit_head_export)
    return True


async def _due(session: AsyncSession, action: str, every: timedelta) -> bool:
    last = await compliance.last_audited(session=session, action=action)
    return last is None or clock.now() - last >= every

"""Start-up work shared by the CLI's commands: migrate, the first admin, demo data."""

from __future__ import annotations

from collections.abc import Sequence

from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.audit import HeadAnchor
from marketing_agent.compliance.schemas import AuditVerification
from marketing_agent.core.db import Database, make_data_dir
from marketing_agent.core.settings import Settings
from marketing_agent.gateway import service as gateway
from marketing_agent.migrate import upgrade
from marketing_agent.telegram.service import TransportPool


async def prepare(
    settings: Settings,
    *,
    demo: bool,
    admin_password: str | None,
    transports: TransportPool | None = None,
) -> str | None:
    """Migrates, makes sure an admin exists and seeds the demo (its simulated bot configured
    in `transports`, the pool the server's runtime is then given, when it runs in this
    process); returns a new admin password."""
    make_data_dir(settings.data_dir)
    await upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            # The demo's generated password is not one-time: `make run` is a local sandbox whose
            # admin logs straight in. Elsewhere it must be changed at the first login.
            password = await gateway.ensure_admin(
                session=session, password=admin_password, must_change=not demo
            )
        if demo:
            from marketing_agent.demo import seed_demo

            # None: the demo's server runs elsewhere (its simulator learns nothing from here).
            pool = transports or TransportPool()
            await seed_demo(db, transports=pool, settings=settings, history=True)
    finally:
        await db.dispose()
    return password


async def verify_audit(settings: Settings, anchors: Sequence[HeadAnchor] = ()) -> AuditVerification:
    """Verifies the chain against the given head hashes and those of MA_AUDIT_HEAD_EXPORT's
    file."""
    db = Database(settings.resolved_database_url)
    every = [*anchors, *compliance.load_head_anchors(settings.audit_head_export)]
    try:
        async with db.session() as session:
            return await compliance.verify_audit_chain(session=session, anchors=every)
    finally:
        await db.dispose()

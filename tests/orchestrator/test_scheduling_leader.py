"""One active scheduler on PostgreSQL: two real `marketing-agent scheduler` processes, the leader
killed with SIGKILL, the standby taking over and starting due campaigns within seconds. On
SQLite (one process) the scheduler simply runs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator.leader import LEADER_LOCK_KEY, SchedulerLease
from marketing_agent.orchestrator.scheduler_role import run_scheduler
from tests.factories import campaign, launch, make_contacts, make_sender, runtime_of
from tests.waits import seconds_until, wait_until

TAKEOVER_LIMIT_S = 5.0


class Scheduler:
    """A `marketing-agent scheduler` process with its JSON log in a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "marketing_agent.cli", "scheduler"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def events(self) -> list[str]:
        found = []
        for line in self.log_path.read_text().splitlines():
            try:
                found.append(json.loads(line)["event"])
            except (ValueError, KeyError, TypeError):
                continue
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.mark.postgres
async def test_standby_takes_over_when_the_leader_is_killed(
    pg_db: Database, settings: Settings, tmp_path: Path
) -> None:
    db = pg_db
    sender_id = await make_sender(db)
    await make_contacts(db, 3, sender_id=sender_id)
    env = {
        **os.environ,
        "MA_DATABASE_URL": db.url,
        "MA_DATA_DIR": str(tmp_path),
        "MA_LOG_JSON": "true",
        "MA_LOG_LEVEL": "INFO",
        "MA_SCHEDULER_POLL_S": "0.2",
        "MA_SCHEDULER_LEADER_RETRY_S": "0.5",
    }
    schedulers = [Scheduler(env, tmp_path / f"scheduler{n}.log") for n in range(2)]
    try:

        def roles() -> list[str]:
            return [
                "leading" if "scheduler.leading" in s.events() else
                "standby" if "scheduler.standby" in s.events() else "?"
                for s in schedulers
            ]  # fmt: skip

        await seconds_until(
            lambda: sorted(roles()) == ["leading", "standby"], timeout_s=90, what="one leads"
        )
        leader, standby = sorted(schedulers, key=lambda s: roles()[schedulers.index(s)])

        async def running(campaign_id: int) -> bool:
            return (await campaign(db, campaign_id)).status == "running"

        first = await launch(db, settings, sender_id=sender_id, quiet_hours=None)
        await seconds_until(
            lambda: running(first), timeout_s=5, what="the leader starts a due campaign"
        )

        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait()
        second = await launch(db, settings, sender_id=sender_id, quiet_hours=None)
        took_s = await seconds_until(
            lambda: running(second), timeout_s=15, what="the standby starts it"
        )
        print(f"standby took over and started a due campaign in {took_s:.2f} s")

        assert took_s < TAKEOVER_LIMIT_S
        assert standby.process.poll() is None
        assert "scheduler.leading" in standby.events()
    finally:
        for scheduler in schedulers:
            scheduler.stop()


@pytest.mark.postgres
async def test_lost_lock_connection_ends_the_lead_and_frees_it(pg_db: Database) -> None:
    first, second = SchedulerLease(pg_db.url), SchedulerLease(pg_db.url)
    try:
        assert await first.try_acquire()
        assert await first.still_held()
        assert not await second.try_acquire()  # exactly one leads

        async with pg_db.engine.connect() as conn:  # the leader's session dies (network, admin)
            terminated = await conn.scalar(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND granted AND objid::bigint = :low"
                ),
                {"low": LEADER_LOCK_KEY & 0xFFFFFFFF},
            )
        assert terminated

        async def released() -> bool:
            return not await first.still_held()

        await wait_until(released, timeout_s=5, what="the killed session's lock is gone")
        assert await second.try_acquire()
    finally:
        await first.release()
        await second.release()


async def test_scheduler_on_sqlite_runs_without_an_election(
    db: Database, settings: Settings
) -> None:
    sender_id = await make_sender(db)
    await make_contacts(db, 2, sender_id=sender_id)
    stop = asyncio.Event()
    loop = asyncio.create_task(run_scheduler(runtime_of(db), stop, poll_s=0.05))
    try:
        campaign_id = await launch(db, settings, sender_id=sender_id, quiet_hours=None)

        async def running() -> bool:
            return (await campaign(db, campaign_id)).status == "running"

        await seconds_until(running, timeout_s=5, what="the scheduler starts a due campaign")
    finally:
        stop.set()
        await loop

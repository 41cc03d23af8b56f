"""API overhead: `GET /api/v1/orchestrator/campaigns` at 16 connections against a running
`marketing-agent api` (one process, SQLite, no worker or scheduler), measured with `wrk`
(Debian's package). The database holds one sender and 50 draft campaigns; the page lists them.
Target: at least 500 requests/s. MA_BENCH_DURATION_S sets the run length (default 15 s);
MA_BENCH_AUTH=api_key sends an API key (X-API-Key) instead of the admin's JWT (the default, jwt).
MA_BENCH_COMMITS_PER_S=N commits to a table of the benchmark's own N times a second meanwhile
(another process's writes, as a sending worker's: the list's kept page is then read afresh
after each); MA_BENCH_PROFILE=FILE samples the server with py-spy (`--gil`, raw stacks; a
profiled run's figures are not for comparison).
Run it with PYTHONPATH set to another checkout's src to measure that version side by side."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import TEXT

from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.schemas import CampaignCreate, VariantIn
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.schemas import SenderCreate, SenderKind, TransportKind

CAMPAIGNS = 50
CONNECTIONS = 16
DURATION_S = int(os.environ.get("MA_BENCH_DURATION_S", "15"))
AUTH = os.environ.get("MA_BENCH_AUTH", "jwt")
COMMITS_PER_S = float(os.environ.get("MA_BENCH_COMMITS_PER_S", "0"))
PROFILE = os.environ.get("MA_BENCH_PROFILE")
PASSWORD = "bench-password-1"
CLI = str(Path(sys.executable).with_name("marketing-agent"))


async def _seed(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir, llm_provider="offline")  # type: ignore[call-arg]
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            sender = await telegram.create_sender(
                session=session,
                sender_in=SenderCreate(
                    name="bench-bot",
                    kind=SenderKind.BOT,
                    transport=TransportKind.SIMULATOR,
                    profile="bot",
                ),
            )
        for n in range(CAMPAIGNS):
            async with db.session() as session:
                await flows.create_campaign(
                    session=session,
                    settings=settings,
                    campaign_in=CampaignCreate(
                        name=f"Bench {n}",
                        goal="Winter boots sale",
                        sender_id=sender.id,
                        variants=[VariantIn(text=TEXT)],
                    ),
                    actor="bench",
                )
    finally:
        await db.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far; NaN where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _commit_meanwhile(database: Path, per_s: float, stop: threading.Event) -> list[int]:
    """Commits a change to the benchmark's own table `per_s` times a second until `stop`, from a
    connection of its own (as another process would); returns [commits made] when done."""
    made = [0]

    def run() -> None:
        conn = sqlite3.connect(database, isolation_level=None, timeout=30)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_ticks (n INTEGER NOT NULL)")
        conn.execute("INSERT INTO bench_ticks VALUES (0)")
        next_at = time.monotonic()
        while not stop.is_set():
            conn.execute("UPDATE bench_ticks SET n = n + 1")
            made[0] += 1
            next_at += 1 / per_s
            stop.wait(max(next_at - time.monotonic(), 0))
        conn.close()

    threading.Thread(target=run, daemon=True).start()
    return made


def _profile(pid: int, path: str) -> subprocess.Popen[bytes] | None:
    """Starts py-spy sampling the server for the run (the thread holding the GIL), if found;
    without pausing it (--nonblocking): paused 200 times a second, it took 3.68 ms a request
    against 1.39-2.12 ms unprofiled (1.39 ms profiled so, load 12-14)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("  (py-spy not found: no profile)")
        return None
    command = [spy, "record", "-p", str(pid), "-d", str(DURATION_S), "-r", "200", "--gil"]
    return subprocess.Popen(
        [*command, "--nonblocking", "-f", "raw", "-o", path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    data_dir = Path(tempfile.mkdtemp())
    env = {
        **os.environ,
        "MA_DATA_DIR": str(data_dir),
        "MA_ADMIN_PASSWORD": PASSWORD,
        "MA_LLM_PROVIDER": "offline",
        "MA_LOG_LEVEL": "WARNING",
        "MA_API_RATE_PER_MIN": "100000000",
    }
    subprocess.run([CLI, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([CLI, "users", "create-admin"], env=env, check=True, capture_output=True)
    asyncio.run(_seed(data_dir))
    port = _free_port()
    server = subprocess.Popen(
        [CLI, "api", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # imports are slow on a busy machine
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("the API did not start")
            time.sleep(0.1)
        token = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        if AUTH == "api_key":
            keys = f"{base}/api/v1/auth/api-keys"
            created = httpx.post(keys, json={"name": "bench"}, headers=auth)
            auth = {"X-API-Key": created.json()["key"]}
        url = f"{base}/api/v1/orchestrator/campaigns"
        page = httpx.get(url, headers=auth)
        assert page.status_code == 200, page.text
        header = ["-H", "{}: {}".format(*next(iter(auth.items())))]
        subprocess.run(  # warm-up
            [wrk, "-t2", f"-c{CONNECTIONS}", "-d3s", *header, url], check=True, capture_output=True
        )
        stop = threading.Event()
        commits = [0]
        if COMMITS_PER_S > 0:
            commits = _commit_meanwhile(data_dir / "marketing_agent.db", COMMITS_PER_S, stop)
        profiler = _profile(server.pid, PROFILE) if PROFILE else None
        cpu_before = _cpu_s(server.pid)
        try:
            out = subprocess.run(
                [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--latency", *header, url],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            cpu_s = _cpu_s(server.pid) - cpu_before
            stop.set()
        if profiler is not None:
            profiler.wait(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)  # the distribution, not a +/- %
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    print(
        f"GET /api/v1/orchestrator/campaigns ({CAMPAIGNS} campaigns), {CONNECTIONS} connections,"
        f" auth {AUTH}"
    )
    print(f"  requests/s   {float(rate.group(1)) if rate else float('nan'):.0f}  (target >= 500)")
    print(f"  latency p50  {p50.group(1) if p50 else '?'}   p99 {p99.group(1) if p99 else '?'}")
    print(f"  non-2xx      {non_2xx.group(1) if non_2xx else 0}")
    if COMMITS_PER_S > 0:
        print(f"  commits      {commits[0]} by another connection meanwhile")
    served = re.search(r"(\d+) requests in", out)
    if served and cpu_s == cpu_s:  # not NaN
        # The server's own CPU time per request (all its threads): a figure the machine's
        # load distorts far less than the rate, for comparing two versions on a busy machine.
        print(f"  server CPU   {cpu_s * 1000 / int(served.group(1)):.2f} ms per request")
    print(f"  load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

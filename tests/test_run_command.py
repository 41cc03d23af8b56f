"""`marketing-agent run` from a terminal user's side: a busy port is one clear line before any
start-up work, the login banner comes once the server listens, the password last, and on a
terminal the requests of the UI's polling do not push it off the screen."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXE = str(ROOT / ".venv" / "bin" / "marketing-agent")


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "MA_DATA_DIR": str(tmp_path / "data"), "MA_LOG_JSON": "true"}


def test_a_busy_port_fails_with_one_line_before_the_banner(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [EXE, "run", "--host", "127.0.0.1", "--port", str(port), "--no-demo"],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stdout
    assert "log in" not in done.stdout and "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists(), (
        "nothing should be prepared for a server that cannot start"
    )


def test_the_banner_comes_once_listening_with_the_password_last(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "stdout.txt"
    with out.open("w") as stdout:
        server = subprocess.Popen(
            [EXE, "run", "--host", "127.0.0.1", "--port", str(port), "--no-demo"],
            env=_env(tmp_path),
            stdout=stdout,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while "one-time password" not in out.read_text() and time.monotonic() < deadline:
                assert server.poll() is None, out.read_text()
                time.sleep(0.2)
            # By the time the banner is printed the server answers.
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = [line for line in out.read_text().splitlines() if line.strip()]
    assert "one-time password" in lines[-1], lines


def test_on_a_terminal_the_uis_polling_leaves_the_password_the_last_line(tmp_path: Path) -> None:
    import pty
    import select

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in _env(tmp_path).items() if k not in ("MA_LOG_JSON", "MA_LOG_LEVEL")}
    master, slave = pty.openpty()  # stdout and stderr a terminal, as in `make run`
    server = subprocess.Popen(
        [EXE, "run", "--host", "127.0.0.1", "--port", str(port), "--no-demo"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    output = b""

    def read(seconds: float) -> None:
        nonlocal output
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    output += os.read(master, 65536)
                except OSError:
                    return

    try:
        deadline = time.monotonic() + 60
        while b"one-time password" not in output and time.monotonic() < deadline:
            assert server.poll() is None, output.decode(errors="replace")
            read(0.5)
        assert b"one-time password" in output, output.decode(errors="replace")
        # What the UI's pages ask every few seconds, and a refused call.
        for _ in range(20):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            httpx.get(f"http://127.0.0.1:{port}/api/v1/orchestrator/overview", timeout=5)
        read(1.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
        os.close(master)
    lines = [line for line in output.decode(errors="replace").splitlines() if line.strip()]
    assert "one-time password" in lines[-1], lines[-5:]
    assert not [line for line in lines if "/healthz" in line or "/overview" in line], lines

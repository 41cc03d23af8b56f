"""Processes that start at once on a new data directory (the api, worker and scheduler roles of a
fresh deployment) end up with one secret key: each its own would leave the others' encrypted
secrets unreadable. Seen as a scheduler's crash at start-up when the key file was made twice."""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from marketing_agent.core.crypto import KEY_FILE, load_secret_key
from marketing_agent.core.settings import Settings

STARTERS = 8


def start(at: tuple[threading.Barrier, Settings]) -> str:
    together, settings = at
    together.wait()
    return load_secret_key(settings)


def test_starters_racing_on_a_new_data_directory_share_one_key(tmp_path: Path) -> None:
    for round_ in range(20):
        data_dir = tmp_path / f"data{round_}"
        settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
        together = threading.Barrier(STARTERS)
        with ThreadPoolExecutor(STARTERS) as pool:
            keys = set(pool.map(start, [(together, settings)] * STARTERS))
        assert keys == {(data_dir / KEY_FILE).read_text().strip()}
        assert os.listdir(data_dir) == [KEY_FILE]  # no temporary file left behind
        assert stat.S_IMODE((data_dir / KEY_FILE).stat().st_mode) == 0o600

"""The committed API schema (frontend/openapi.json, which the UI's types are generated from) is
the app's: `make openapi` regenerates it after an API change; and the committed TypeScript types
(frontend/src/api/schema.d.ts) are what the project's generator makes of it (`npm run gen:api`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from marketing_agent.core.settings import Settings
from marketing_agent.gateway.app import create_app

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"
COMMITTED = FRONTEND / "openapi.json"
TYPES = FRONTEND / "src" / "api" / "schema.d.ts"
GENERATOR = FRONTEND / "scripts" / "gen-api.mjs"


def test_the_committed_openapi_schema_is_the_apps() -> None:
    committed = json.loads(COMMITTED.read_text())
    assert committed == create_app(Settings()).openapi(), "run `make openapi` and commit it"


def _node() -> str:
    """Node.js with the front end's packages installed (`make test` installs them)."""
    node = shutil.which("node")
    missing = (
        "no node on PATH" if node is None
        else "no frontend/node_modules: cd frontend && npm ci"
        if not (FRONTEND / "node_modules" / "openapi-typescript").exists() else None
    )  # fmt: skip
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    assert node is not None
    return node


def test_the_committed_typescript_client_types_are_generated_from_the_schema(
    tmp_path: Path,
) -> None:
    fresh = tmp_path / "schema.d.ts"

    run = subprocess.run(
        [_node(), str(GENERATOR), str(COMMITTED), str(fresh)],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert fresh.read_text() == TYPES.read_text(), (
        "frontend/src/api/schema.d.ts is not what frontend/openapi.json generates: "
        "cd frontend && npm run gen:api, and commit it"
    )

"""The committed API schema (frontend/openapi.json, which the UI's types are generated from) is
the app's: `make openapi` regenerates it after an API change."""

from __future__ import annotations

import json
from pathlib import Path

from marketing_agent.core.settings import Settings
from marketing_agent.gateway.app import create_app

COMMITTED = Path(__file__).resolve().parents[1] / "frontend" / "openapi.json"


def test_the_committed_openapi_schema_is_the_apps() -> None:
    committed = json.loads(COMMITTED.read_text())
    assert committed == create_app(Settings()).openapi(), "run `make openapi` and commit it"

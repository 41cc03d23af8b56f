"""Imports every module's tables so that `Base.metadata` is complete (Alembic, tests)."""

from __future__ import annotations

import importlib

from marketing_agent.core.db import Base

MODULES = (
    "gateway",
    "orchestrator",
    "agent",
    "telegram",
    "safety",
    "analytics",
    "experiments",
    "compliance",
)


def load_all_models() -> type[Base]:
    for name in MODULES:
        try:
            importlib.import_module(f"marketing_agent.{name}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"marketing_agent.{name}.models":
                raise
    return Base

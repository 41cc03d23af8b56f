"""The README tells the truth about configuration."""

from __future__ import annotations

from pathlib import Path

from marketing_agent.core.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text()
    missing = [
        f"MA_{name.upper()}" for name in Settings.model_fields if f"`MA_{name.upper()}`" not in text
    ]
    assert missing == []

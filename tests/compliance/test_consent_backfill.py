"""Migration 0035 backfills the consent records made before it: lawful basis "consent" (the only
one recorded then) and, where the proof keeps the opt-in text the bot showed, its version."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from marketing_agent.compliance import service as compliance
from marketing_agent.migrate import upgrade

SHOWN = "Would you like news and offers from Shop here on Telegram?"


async def test_existing_consent_records_get_basis_consent_and_the_shown_texts_version(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await upgrade(url, "0028_prompts")
    engine = create_async_engine(url)
    insert = sa.text(
        "INSERT INTO compliance_consent_records "
        "(contact_id, sender_id, purpose, status, source, proof, recorded_at) "
        "VALUES (:c, 1, 'marketing', 'granted', :source, :proof, '2026-05-01 10:00:00')"
    )
    async with engine.begin() as connection:
        await connection.execute(
            insert, {"c": 1, "source": "bot:direct", "proof": json.dumps({"opt_in_text": SHOWN})}
        )
        await connection.execute(
            insert, {"c": 2, "source": "import", "proof": json.dumps({"proof": "form"})}
        )
    await upgrade(url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                sa.text(
                    "SELECT contact_id, lawful_basis, consent_text_version "
                    "FROM compliance_consent_records ORDER BY contact_id"
                )
            )
        ).all()
    await engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, "consent", compliance.consent_text_version(SHOWN)),
        (2, "consent", None),  # the text was never kept: unknown, not invented
    ]

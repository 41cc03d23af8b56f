"""Key rotation: every sender's secrets re-encrypted with the new key in one transaction, none
lost; the old key alone opens nothing afterwards; the previous keys bridge the switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from marketing_agent.compliance import service as compliance
from marketing_agent.core.crypto import SecretBox, SecretUnreadable, load_secret_box
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.accounts import rotate_secret_key
from marketing_agent.telegram.models import Sender
from tests.telegram.factories import sender_in

OLD = "old-secret-key-" + "o" * 32
NEW = "new-secret-key-" + "n" * 32
BOT_TOKEN = "123456:AAE-secret-bot-token"
SESSION = "1BVtsOK4Bu-user-account-session-string-secret"
API_HASH = "0123456789abcdef0123456789abcdef"


def settings_for(db: Database, tmp_path: Path, **fields: Any) -> Settings:
    """Returns settings on the test's database; keys only as given (not from the environment)."""
    keys = {"secret_key": None, "secret_key_previous": None, **fields}
    return Settings(data_dir=tmp_path / "data", database_url=db.url, **keys)


async def make_senders(db: Database, box: SecretBox) -> None:
    async with db.session() as session:
        await telegram.create_sender(
            session=session,
            sender_in=sender_in(name="Shop bot", transport="botapi", secret=BOT_TOKEN),
            secret_box=box,
        )
        await telegram.create_user_account(
            session=session,
            name="Sales account",
            api_id=12345,
            api_hash=API_HASH,
            session_string=SESSION,
            secret_box=box,
        )
        await telegram.create_sender(session=session, sender_in=sender_in(name="No secret"))


async def stored_secrets(db: Database) -> list[str]:
    async with db.session() as session:
        senders = (await session.scalars(select(Sender))).all()  # the stored rows
        return [
            token
            for sender in senders
            for token in (sender.secret_encrypted, sender.api_hash_encrypted)
            if token
        ]


async def test_rotation_re_encrypts_every_secret_so_only_the_new_key_opens_them(
    db: Database, tmp_path: Path
) -> None:
    await make_senders(db, SecretBox(OLD))
    settings = settings_for(db, tmp_path, secret_key=SecretStr(OLD))

    rotation = await rotate_secret_key(settings, new_key=NEW, actor="user:ops")

    tokens = await stored_secrets(db)
    assert (rotation.senders, rotation.secrets) == (3, 3)
    assert sorted(SecretBox(NEW).decrypt(t) for t in tokens) == sorted(
        [BOT_TOKEN, SESSION, API_HASH]
    )
    assert not any(SecretBox(OLD).can_decrypt(t) for t in tokens)
    assert rotation.key_file is None and not rotation.generated
    async with db.session() as session:
        entries, _ = await compliance.list_audit(session=session, entity_type="secret_key")
    assert [(e.action, e.actor, e.data) for e in entries] == [
        ("secrets.reencrypted", "user:ops", {"senders": 3, "secrets": 3})
    ]


async def test_a_secret_no_key_opens_stops_the_rotation_and_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    await make_senders(db, SecretBox(OLD))
    async with db.session() as session:
        await telegram.create_sender(
            session=session,
            sender_in=sender_in(name="Lost", secret="unrecoverable"),
            secret_box=SecretBox("a-key-nobody-has-anymore"),
        )
    before = await stored_secrets(db)

    with pytest.raises(SecretUnreadable, match="nothing was re-encrypted"):
        await rotate_secret_key(settings_for(db, tmp_path, secret_key=SecretStr(OLD)), new_key=NEW)

    assert await stored_secrets(db) == before


async def test_in_key_file_mode_the_new_key_is_written_and_the_old_one_kept_as_previous(
    db: Database, tmp_path: Path
) -> None:
    settings = settings_for(db, tmp_path)
    old_box = load_secret_box(settings)  # generates data/secret.key
    old_key = (tmp_path / "data" / "secret.key").read_text().strip()
    await make_senders(db, old_box)

    rotation = await rotate_secret_key(settings)

    new_key = (tmp_path / "data" / "secret.key").read_text().strip()
    assert rotation.generated and new_key == rotation.new_key != old_key
    assert (tmp_path / "data" / "secret.key.previous").read_text().split() == [old_key]
    assert oct((tmp_path / "data" / "secret.key").stat().st_mode & 0o777) == "0o600"
    tokens = await stored_secrets(db)
    assert all(SecretBox(new_key).can_decrypt(t) for t in tokens)
    assert not any(SecretBox(old_key).can_decrypt(t) for t in tokens)
    # A process restarted on these files opens old and new secrets, and writes new ones.
    box = load_secret_box(settings)
    assert SecretBox(new_key).decrypt(box.encrypt("x")) == "x"
    assert (
        box.decrypt(old_box.encrypt("written before the restart")) == "written before the restart"
    )


async def test_switching_first_then_rotating_keeps_every_secret_readable_throughout(
    db: Database, tmp_path: Path
) -> None:
    await make_senders(db, SecretBox(OLD))
    switched = settings_for(
        db, tmp_path, secret_key=SecretStr(NEW), secret_key_previous=SecretStr(f" {OLD} ,")
    )
    box = load_secret_box(switched)
    assert {box.decrypt(t) for t in await stored_secrets(db)} == {BOT_TOKEN, SESSION, API_HASH}

    await rotate_secret_key(switched, new_key=NEW)

    assert all(SecretBox(NEW).can_decrypt(t) for t in await stored_secrets(db))


async def test_a_too_short_new_key_is_refused(db: Database, tmp_path: Path) -> None:
    from marketing_agent.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        await rotate_secret_key(settings_for(db, tmp_path, secret_key=SecretStr(OLD)), new_key="x")


def test_a_sender_row_never_shows_its_secrets_in_its_repr() -> None:
    sender = Sender(name="x", secret_encrypted="gAAAA-token", api_hash_encrypted="gAAAA-hash")

    assert "gAAAA" not in repr(sender)


def test_the_keys_rotate_command_re_encrypts_and_says_where_the_key_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from typer.testing import CliRunner

    from marketing_agent.cli import app
    from marketing_agent.core.settings import get_settings

    data_dir = tmp_path / "cli"
    monkeypatch.setenv("MA_DATA_DIR", str(data_dir))
    for name in ("MA_SECRET_KEY", "MA_SECRET_KEY_PREVIOUS", "MA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["migrate"]).exit_code == 0
        settings = get_settings()
        database = Database(settings.resolved_database_url)
        asyncio.run(make_senders(database, load_secret_box(settings)))
        old_key = (data_dir / "secret.key").read_text().strip()

        result = runner.invoke(app, ["keys", "rotate"])

        new_key = (data_dir / "secret.key").read_text().strip()
        tokens = asyncio.run(stored_secrets(database))
        asyncio.run(database.dispose())
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 3 secrets of 3 senders" in result.output
    assert new_key != old_key and new_key not in result.output
    assert all(SecretBox(new_key).can_decrypt(t) for t in tokens)

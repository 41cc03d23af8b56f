"""The person's own data-subject requests inside Telegram (compliance/bot_requests.py says what
they are): /mydata completes an access request and sends the export as a JSON document, once a
day; /forgetme asks for a confirmation press, which completes an erasure request; /myconsent
answers with the consent receipt of this bot's consents (nothing is written). The first two are
recorded as requests (channel "telegram") with their identity check: the account that wrote.

The export document is a file the bot uploads after the inbound transaction commits; it lives
in `<data_dir>/subject-exports/` under a keyed hash of the person (never their id) and is
deleted by `sweep_exports` (every scheduler tick, after EXPORT_FILE_TTL) and by /forgetme.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.service import (
    PrivacyRequestCreate,
    RequestKind,
    SuppressionKey,
    bot_requests,
)
from marketing_agent.core import clock
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings, get_settings
from marketing_agent.orchestrator import privacy, service
from marketing_agent.telegram import service as telegram

log = get_logger(__name__)
EXPORTS_DIR = "subject-exports"
EXPORT_FILE_NAME = "my-data.json"
EXPORT_FILE_TTL = timedelta(minutes=10)  # the bot uploads it within seconds of the commit


@dataclass(frozen=True)
class PrivacyAnswer:
    """One answer of the bot: a text, with a button (its text, callback data) or a document (a
    file path); flows turns it into the transport's message."""

    chat_id: int
    text: str
    button: tuple[str, str] | None = None
    document: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: dict(bot_requests.REPLY_TAGS))


async def answer_command(
    *,
    session: AsyncSession,
    sender: telegram.SenderInfo,
    event: telegram.InboundEvent,
    settings: Settings | None = None,
) -> list[PrivacyAnswer] | None:
    """Carries out a privacy command in the caller's transaction and returns the bot's answers;
    None when the event is no privacy command (or the sender holds no conversation: only a Bot
    API bot does: SenderInfo.answers_people)."""
    if telegram.is_group_chat(event.chat_id) or not sender.answers_people:
        return None
    now = clock.now()
    command = bot_requests.command_of(
        kind=event.kind, text=event.text, data=event.payload.get("data"), now=now
    )
    if command is None:
        return None
    settings = settings or get_settings()  # the process's, when a caller has no runtime
    chat_id = event.chat_id
    contact = await service.get_contact_by_telegram_id(session=session, telegram_id=chat_id)
    if command == "forgetme_expired":
        return [_text(chat_id, bot_requests.EXPIRED_TEXT)]
    if contact is None:
        return [_text(chat_id, bot_requests.NOTHING_HELD_TEXT)]
    if command == "myconsent":
        receipts = await compliance.consent_receipts(
            session=session, contact_id=contact.id, sender_id=sender.id
        )
        return [_text(chat_id, compliance.consent_receipt_text(receipts))]
    if command == "forgetme":
        button = (bot_requests.FORGET_BUTTON, bot_requests.confirm_data(now))
        return [PrivacyAnswer(chat_id, bot_requests.FORGET_PROMPT_TEXT, button=button)]
    key = SuppressionKey.from_settings(settings)
    exports_dir = settings.data_dir / EXPORTS_DIR
    if command == "forgetme_confirm":
        await _complete(session, key, sender, contact.id, RequestKind.ERASURE, "/forgetme")
        _delete_exports_of(exports_dir, key, chat_id)
        log.info("privacy.erased_in_telegram", sender_id=sender.id)
        return [_text(chat_id, bot_requests.FORGOTTEN_TEXT)]
    last = await bot_requests.last_export_in_telegram(session=session, contact_id=contact.id)
    if last is not None and now - last < bot_requests.MYDATA_INTERVAL:
        return [_text(chat_id, bot_requests.too_soon_text(last))]
    request_id = await _complete(session, key, sender, contact.id, RequestKind.ACCESS, "/mydata")
    request = await compliance.get_request_or_raise(session=session, request_id=request_id)
    export = request.export or {}
    path = _write_export(exports_dir, key, chat_id, export)
    log.info("privacy.exported_in_telegram", sender_id=sender.id, request_id=request_id)
    caption = bot_requests.export_caption(str(export.get("summary", "")))
    return [PrivacyAnswer(chat_id, caption, document=str(path))]


async def _complete(
    session: AsyncSession,
    key: SuppressionKey,
    sender: telegram.SenderInfo,
    contact_id: int,
    kind: RequestKind,
    command: str,
) -> int:
    """Records the request, its identity check (the Telegram account itself) and carries it
    out; returns its id."""
    actor = f"contact:{contact_id}"
    bot = sender.display_name
    request = await compliance.create_request(
        session=session,
        request_in=PrivacyRequestCreate(
            kind=kind,
            contact_id=contact_id,
            channel=bot_requests.CHANNEL,
            details={"sender_id": sender.id, "command": command},
        ),
        actor=actor,
    )
    request_id = request.id
    await compliance.verify_request_identity(
        session=session,
        request_id=request_id,
        method=f"sent {command} from their own Telegram account to {bot}"[:255],
        actor=actor,
    )
    await privacy.complete_request(session=session, key=key, request_id=request_id, actor=actor)
    return request_id


def _text(chat_id: int, text: str) -> PrivacyAnswer:
    return PrivacyAnswer(chat_id, text)


def _write_export(exports_dir: Path, key: SuppressionKey, chat_id: int, export: object) -> Path:
    """Writes the export where only this process reads it; returns the file's path."""
    folder = exports_dir / f"{key.digest(chat_id)[:24]}-{secrets.token_hex(8)}"
    folder.mkdir(parents=True, mode=0o700)
    path = folder / EXPORT_FILE_NAME
    path.write_text(json.dumps(export, indent=2, ensure_ascii=False, default=str))
    path.chmod(0o600)
    return path


def _delete_exports_of(exports_dir: Path, key: SuppressionKey, chat_id: int) -> None:
    if not exports_dir.is_dir():
        return
    for digest in key.digests(chat_id):
        for folder in exports_dir.glob(f"{digest[:24]}-*"):
            shutil.rmtree(folder, ignore_errors=True)


def sweep_exports(settings: Settings) -> int:
    """Deletes export documents older than EXPORT_FILE_TTL (sent long since); returns how many."""
    exports_dir = settings.data_dir / EXPORTS_DIR
    if not exports_dir.is_dir():
        return 0
    # Files age in the machine's time, not the (possibly virtual) clock of the domain.
    cutoff = time.time() - EXPORT_FILE_TTL.total_seconds()
    removed = 0
    for folder in exports_dir.iterdir():
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed

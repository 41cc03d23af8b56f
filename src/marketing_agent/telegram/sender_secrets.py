"""The senders' encrypted secrets: key rotation re-encrypts every one of them, all or nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core.crypto import SecretBox, SecretUnreadable
from marketing_agent.core.logging import get_logger
from marketing_agent.telegram.models import Sender

log = get_logger(__name__)

# The columns of a sender holding SecretBox tokens (key rotation re-encrypts each of them).
ENCRYPTED_COLUMNS = ("secret_encrypted", "api_hash_encrypted")


async def reencrypt_secrets(
    *, session: AsyncSession, secret_box: SecretBox, actor: str = "system"
) -> tuple[int, int]:
    """Re-encrypts every sender's secrets with the box's newest key, all or nothing; returns
    (senders, secrets). Raises SecretUnreadable, changing nothing, if any secret resists."""
    senders = (await session.scalars(select(Sender).order_by(Sender.id).with_for_update())).all()
    unreadable = sorted(
        {
            sender.id
            for sender in senders
            for column in ENCRYPTED_COLUMNS
            if (token := getattr(sender, column)) and not secret_box.can_decrypt(token)
        }
    )
    if unreadable:
        raise SecretUnreadable(
            f"No known key opens the secrets of senders {unreadable}; nothing was re-encrypted"
        )
    secrets = 0
    for sender in senders:
        for column in ENCRYPTED_COLUMNS:
            token = getattr(sender, column)
            if token:
                setattr(sender, column, secret_box.rotate(token))
                secrets += 1
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="secrets.reencrypted",
        entity_type="secret_key",
        entity_id="senders",
        data={"senders": len(senders), "secrets": secrets},
    )
    log.info("secrets.reencrypted", senders=len(senders), secrets=secrets)
    return len(senders), secrets

"""The suppression list: people who were erased, kept only as a keyed hash of their Telegram id,
so an import cannot silently bring them back while nothing else about them is kept.

The hash is an HMAC-SHA256 under a key derived from the secret key: a stolen database alone
cannot test Telegram ids against it (the id space is small enough to try every id otherwise).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance.models import Suppression
from marketing_agent.core import clock
from marketing_agent.core.crypto import load_previous_secret_keys, load_secret_key
from marketing_agent.core.db import in_chunks
from marketing_agent.core.settings import Settings


@dataclass(frozen=True)
class SuppressionKey:
    """The HMAC keys of the suppression list: the newest writes, every one still matches (a
    secret-key rotation keeps old entries findable while MA_SECRET_KEY_PREVIOUS holds the old
    key; see docs/compliance.md)."""

    keys: tuple[bytes, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> SuppressionKey:
        secrets = [load_secret_key(settings), *load_previous_secret_keys(settings)]
        return cls.from_secrets(*dict.fromkeys(secrets))

    @classmethod
    def from_secrets(cls, *secrets: str) -> SuppressionKey:
        return cls(tuple(hashlib.sha256(f"suppression:{s}".encode()).digest() for s in secrets))

    def digest(self, telegram_id: int) -> str:
        """Returns the digest a new entry is stored under (the newest key)."""
        return _hmac(self.keys[0], telegram_id)

    def digests(self, telegram_id: int) -> list[str]:
        """Returns the digests `telegram_id` may be stored under, one per known key."""
        return [_hmac(key, telegram_id) for key in self.keys]


def _hmac(key: bytes, telegram_id: int) -> str:
    return hmac.new(key, str(int(telegram_id)).encode(), hashlib.sha256).hexdigest()


async def suppress(
    *, session: AsyncSession, key: SuppressionKey, telegram_id: int, reason: str
) -> None:
    """Adds a person to the suppression list (idempotent)."""
    if await suppressed_among(session=session, key=key, telegram_ids=[telegram_id]):
        return
    session.add(Suppression(digest=key.digest(telegram_id), reason=reason, created_at=clock.now()))
    await session.flush()


async def suppressed_among(
    *, session: AsyncSession, key: SuppressionKey, telegram_ids: Collection[int]
) -> set[int]:
    """Returns which of `telegram_ids` are on the suppression list."""
    by_digest: dict[str, int] = {}
    for telegram_id in telegram_ids:
        for digest in key.digests(telegram_id):
            by_digest[digest] = telegram_id
    found: set[int] = set()
    digests = list(by_digest)
    for chunk in in_chunks(digests):
        rows = await session.scalars(
            select(Suppression.digest).where(Suppression.digest.in_(chunk))
        )
        found.update(by_digest[d] for d in rows)
    return found


async def count(*, session: AsyncSession) -> int:
    """Returns how many entries the list holds."""
    return int(await session.scalar(select(func.count(Suppression.id))) or 0)

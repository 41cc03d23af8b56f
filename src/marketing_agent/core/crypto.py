"""Secrets at rest: Fernet encryption with a key derived from the settings' secret key."""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from marketing_agent.core.errors import MarketingAgentError
from marketing_agent.core.settings import Settings


class SecretUnreadable(MarketingAgentError):
    title = "Stored secret cannot be decrypted with the current key"
    type_slug = "secret-unreadable"


def load_secret_key(settings: Settings) -> str:
    """Returns the secret key: from settings, else from data_dir/secret.key (created once)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = Path(settings.data_dir) / "secret.key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _fernet_key(secret: str, purpose: str) -> bytes:
    digest = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


class SecretBox:
    """Encrypts with the newest key and decrypts with any of them (for key rotation)."""

    def __init__(self, secret: str, *older: str) -> None:
        keys = [Fernet(_fernet_key(s, "secret-box")) for s in (secret, *older)]
        self._box = MultiFernet(keys)

    def encrypt(self, plaintext: str) -> str:
        return self._box.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._box.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable() from exc

    def rotate(self, token: str) -> str:
        return self._box.rotate(token.encode()).decode()


def hash_token(token: str) -> str:
    """Returns a stable digest of a high-entropy token (API keys), for lookup without storing it."""
    return hashlib.sha256(token.encode()).hexdigest()

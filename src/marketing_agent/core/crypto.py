"""Secrets at rest: Fernet encryption with a key derived from the settings' secret key.

Rotation: a SecretBox encrypts with its first key and decrypts with any; the previous keys come
from MA_SECRET_KEY_PREVIOUS and data_dir/secret.key.previous while a rotation settles.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from marketing_agent.core.errors import MarketingAgentError
from marketing_agent.core.settings import Settings


class SecretUnreadable(MarketingAgentError):
    title = "Stored secret cannot be decrypted with the current key"
    type_slug = "secret-unreadable"


KEY_FILE = "secret.key"
PREVIOUS_KEYS_FILE = "secret.key.previous"


def load_secret_key(settings: Settings) -> str:
    """Returns the secret key: from settings, else from data_dir/secret.key (created once)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = Path(settings.data_dir) / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    return create_key_file(path, generate_secret_key())


def load_previous_secret_keys(settings: Settings) -> list[str]:
    """Returns the older keys that still decrypt: MA_SECRET_KEY_PREVIOUS (comma-separated),
    then the lines of data_dir/secret.key.previous (written by a rotation in key-file mode)."""
    keys: list[str] = []
    if settings.secret_key_previous is not None:
        keys += [k.strip() for k in settings.secret_key_previous.get_secret_value().split(",")]
    path = Path(settings.data_dir) / PREVIOUS_KEYS_FILE
    if path.exists():
        keys += [line.strip() for line in path.read_text().splitlines()]
    return list(dict.fromkeys(k for k in keys if k))


def load_secret_box(settings: Settings) -> SecretBox:
    """Returns a SecretBox that encrypts with the current key and decrypts with any known one."""
    current = load_secret_key(settings)
    older = [k for k in load_previous_secret_keys(settings) if k != current]
    return SecretBox(current, *older)


def generate_secret_key() -> str:
    """Returns a new random secret key."""
    return secrets.token_urlsafe(48)


def write_key_file(path: Path, content: str) -> None:
    """Writes a key file readable by its owner only, atomically (a crash leaves the old one)."""
    temporary = _written_temporary(path, content)
    os.replace(temporary, path)


def create_key_file(path: Path, content: str) -> str:
    """Creates a key file unless one exists, atomically, and returns the key the file holds:
    of processes starting at once on a new data directory, the first to link its file wins and
    the others read that key (each with its own would make the others' secrets unreadable)."""
    temporary = _written_temporary(path, content)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        temporary.unlink()
    return content


def _written_temporary(path: Path, content: str) -> Path:
    """A file beside `path`, of this writer alone, readable by its owner only, on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:  # mkstemp creates it 0600
        handle.write(content + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return Path(name)


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
        """Returns the token re-encrypted with the newest key; raises SecretUnreadable."""
        try:
            return self._box.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable() from exc

    def can_decrypt(self, token: str) -> bool:
        """Returns True when one of this box's keys opens `token`."""
        try:
            self.decrypt(token)
        except SecretUnreadable:
            return False
        return True


def hash_token(token: str) -> str:
    """Returns a stable digest of a high-entropy token (API keys), for lookup without storing it."""
    return hashlib.sha256(token.encode()).hexdigest()

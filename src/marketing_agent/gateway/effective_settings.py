"""The effective configuration as the Settings page shows it: each option's value and where it
came from (the environment, the `.env` file, the process's start, or the default), secrets
masked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values
from pydantic import SecretStr

from marketing_agent.core.settings import Settings
from marketing_agent.gateway.schemas import EffectiveSetting

MASK = "••••••"
# Secrets are typed SecretStr; a name that says secret is masked too, should one be typed plainly.
_SECRET_ENDINGS = ("secret", "secrets", "password", "api_key", "token")
# URLs may carry a password: it is masked, the rest shown.
_URL_SUFFIX = "_url"


def effective_settings(settings: Settings) -> list[EffectiveSetting]:
    """Returns every option, in the order Settings declares them, with its value's origin."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    file_values = _env_file_values(settings)
    rows = []
    for name, field in type(settings).model_fields.items():
        env_name = f"{prefix}{name}".upper()
        value = getattr(settings, name)
        if _in_environ(env_name):
            source = "env"
        elif env_name in file_values:
            source = "file"
        elif value != field.get_default(call_default_factory=True):
            source = "startup"
        else:
            source = "default"
        secret = "SecretStr" in str(field.annotation) or name.endswith(_SECRET_ENDINGS)
        rows.append(
            EffectiveSetting(
                name=name,
                env_var=env_name,
                value=_shown(name, value, secret=secret),
                source=source,
                secret=secret,
                description=field.description,
            )
        )
    return rows


def _in_environ(env_name: str) -> bool:
    return any(key.upper() == env_name for key in os.environ)


def _env_file_values(settings: Settings) -> dict[str, str]:
    env_file = settings.model_config.get("env_file")
    if not isinstance(env_file, str | Path) or not Path(env_file).is_file():
        return {}
    return {k.upper(): v or "" for k, v in dotenv_values(env_file).items()}


def _shown(name: str, value: Any, *, secret: bool) -> str | None:
    """The value as text; a secret only says whether it is set, a URL loses its password."""
    if value is None:
        return None
    if secret:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        return MASK if raw else ""
    if name.endswith(_URL_SUFFIX) and isinstance(value, str):
        return _without_password(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:{MASK}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))

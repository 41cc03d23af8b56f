"""All configuration, read once from the environment (prefix `MA_`) and an optional `.env` file.

Every option here is documented in the README's configuration table.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DAILY_WINDOW = re.compile(r"^((?:[01]\d|2[0-3]):[0-5]\d)-((?:[01]\d|2[0-3]):[0-5]\d)$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Where the SQLite file and keys live.")
    database_url: str = Field(
        "", description="SQLAlchemy async URL; empty means SQLite under data_dir."
    )
    redis_url: str | None = Field(None, description="Redis URL for scale mode; unset = in-process.")
    redis_prefix: str = Field("ma", description="Prefix of every Redis key of this deployment.")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    secret_key: SecretStr | None = Field(
        None,
        description="Signs JWTs and derives the encryption key; generated into data_dir if unset.",
    )
    secret_key_previous: SecretStr | None = Field(
        None,
        description="Older secret keys (comma-separated) still accepted for decrypting stored "
        "secrets while a key rotation settles (see docs/telegram.md).",
    )
    access_token_minutes: int = 60 * 12
    api_rate_per_min: float = Field(1200, description="Requests per minute per client address.")
    login_rate_per_min: float = Field(10, description="Login attempts per minute per address.")

    llm_provider: Literal["auto", "offline", "anthropic", "openai"] = "auto"
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-sonnet-5-5"
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4o-mini"
    agent_max_tool_rounds: int = 6

    review_risk_threshold: float = Field(0.5, ge=0.0, le=1.0)
    review_all: bool = Field(False, description="Send every campaign to human review.")

    worker_batch_size: int = 200
    worker_poll_s: float = 0.2
    worker_lease_s: float = Field(
        60.0, gt=0, description="How long a worker's claim lasts unrenewed before recovery."
    )
    worker_chunk_s: float = Field(
        1.0, gt=0, description="Seconds of sending at the sender's rate claimed at once."
    )
    simulator_ledger: bool = Field(
        False, description="Simulator senders record receipts in Redis (multi-process tests)."
    )
    scheduler_poll_s: float = 0.5
    run_worker: bool = True
    run_scheduler: bool = True
    scheduler_leader_retry_s: float = Field(
        1.0, gt=0, description="How often a standby scheduler tries to take over the lead."
    )

    telegram_bot_api_url: str = Field(
        "https://api.telegram.org",
        description="Bot API server of bots without their own: Telegram's, a self-hosted "
        "telegram-bot-api, or `marketing-agent simulator serve`.",
    )

    default_timezone: str = Field(
        "UTC", description="IANA zone of contacts without one, unless the campaign names one."
    )
    quiet_hours: str = Field(
        "21:00-09:00",
        description="Default quiet hours in each contact's local time (HH:MM-HH:MM); off = none.",
    )
    frequency_cap_count: int = Field(
        2, ge=0, description="Marketing messages per contact per rolling window; 0 = no cap."
    )
    frequency_cap_days: float = Field(
        7, ge=0, description="Length of the frequency cap's rolling window in days; 0 = no cap."
    )
    retention_inactive_contacts_days: int = Field(
        0,
        ge=0,
        description="Erase contacts with no message, event or consent decision for this many "
        "days; 0 = keep.",
    )
    retention_dsr_exports_days: int = Field(
        30, ge=0, description="Delete access-request exports this many days after; 0 = keep."
    )

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}', e.g. Europe/Berlin") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _daily_window(cls, value: str) -> str:
        value = value.strip()
        if value.lower() in ("", "off", "none", "false", "0"):
            return "off"
        match = _DAILY_WINDOW.match(value)
        if match is None or match[1] == match[2]:
            raise ValueError(f"'{value}' is not a window as HH:MM-HH:MM (e.g. 21:00-09:00) or off")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'marketing_agent.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""All configuration, read once from the environment (prefix `MA_`) and an optional `.env` file.

Every option here is documented in the README's configuration table.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Where the SQLite file and keys live.")
    database_url: str = Field(
        "", description="SQLAlchemy async URL; empty means SQLite under data_dir."
    )
    redis_url: str | None = Field(None, description="Redis URL for scale mode; unset = in-process.")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    secret_key: SecretStr | None = Field(
        None,
        description="Signs JWTs and derives the encryption key; generated into data_dir if unset.",
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
    scheduler_poll_s: float = 0.5
    run_worker: bool = True
    run_scheduler: bool = True

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'marketing_agent.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""All configuration, read once from the environment (prefix `MA_`) and an optional `.env` file.

Every option here is documented in the README's configuration table.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from marketing_agent.core.validation import check_zone_name, parse_optional_window

# The strategist's pieces of work, each of which may run on a model of its own (MA_AGENT_MODELS).
AgentTask = Literal["plan", "chat", "summary"]


def check_bot_api_url(url: str, *, allow_insecure: bool) -> None:
    """Raises ValueError unless the Bot API server is https or on a loopback address (plain
    http elsewhere would carry the bot's token, which is in every path, over the network)."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an http(s) URL, e.g. https://api.telegram.org")
    if parts.scheme == "https" or allow_insecure or parts.hostname == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            "must be https, or http on a loopback address (127.0.0.1, ::1, localhost); "
            "an admin can allow others with MA_ALLOW_INSECURE_BOT_API_URL"
        )


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
    login_lockout_s: float = Field(
        900, gt=0, description="Window over which failed logins are counted (and locked out)."
    )
    login_max_failures_per_account: int = Field(
        5, ge=0, description="Failed logins of one account in the window before it is locked."
    )
    login_max_failures_per_address: int = Field(
        30, ge=0, description="Failed logins from one address in the window before it is locked."
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For "
        "is believed; empty = the peer address is the client.",
    )
    user_state_cache_s: float = Field(
        5.0,
        ge=0,
        description="Seconds an API process trusts its copy of a user's state (disabled, role, "
        "token version) and of an API key (revoked or not) before re-reading it.",
    )
    max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest request body accepted (413 above it)."
    )
    max_import_bytes: int = Field(
        20_000_000, ge=1024, description="Largest CSV file the contacts import accepts."
    )

    llm_provider: Literal["auto", "offline", "anthropic", "openai"] = "auto"
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-sonnet-5-5"
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4o-mini"
    agent_max_tool_rounds: int = 6
    agent_budget_call_usd: float = Field(
        0.50, gt=0, description="Most one piece of LLM work (a plan, a chat answer) may cost."
    )
    agent_budget_day_usd: float = Field(
        5.0, gt=0, description="LLM spend per UTC day; at 100% every LLM call is refused."
    )
    agent_budget_month_usd: float = Field(
        50.0, gt=0, description="LLM spend per calendar month (UTC); at 100% calls are refused."
    )
    agent_budget_campaign_usd: float = Field(
        2.0,
        gt=0,
        description="LLM spend per campaign (chats about it), unless the campaign has its own "
        "budget; at 100% calls for it are refused.",
    )
    agent_models: dict[AgentTask, str] = Field(
        default_factory=dict,
        description="The model per task, over MA_ANTHROPIC_MODEL / MA_OPENAI_MODEL, as JSON: "
        '\'{"chat": "claude-haiku-4-5", "summary": "claude-haiku-4-5"}\' (tasks: plan, '
        "chat, summary).",
    )
    agent_prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="USD per million tokens (input, output) by model name prefix, over the "
        "built-in list prices, e.g. '{\"llama3.1\": [0.2, 0.2]}'; a model without a price "
        "costs 0 and the budgets cannot count it.",
    )
    agent_breaker_failures: int = Field(
        3, ge=1, description="Provider failures in a row that pause calls to it."
    )
    agent_breaker_reset_s: float = Field(
        60.0, gt=0, description="Seconds calls stay paused before one trial call is let through."
    )
    agent_llm_business_messages: bool = Field(
        False,
        description="Let the strategist's LLM read replies Telegram delivered through a "
        "business connection (Telegram's Bot Developer Terms forbid it unless allowed).",
    )
    agent_context_max_tokens: int = Field(
        16_000, ge=1000, description="Token budget of one request to an LLM; older turns are cut."
    )
    llm_fallback: Literal["offline", "none"] = Field(
        "offline",
        description="What plans when the LLM cannot be reached: the offline templates, or none "
        "(the request fails with a 503).",
    )

    review_risk_threshold: float = Field(0.5, ge=0.0, le=1.0)
    review_all: bool = Field(False, description="Send every campaign to human review.")
    review_ai_content: bool = Field(
        True, description="Send every campaign whose texts an LLM wrote to human review."
    )
    safety_opt_out: Literal["add", "block", "off"] = Field(
        "add", description="A bot's marketing message without a way out: add the line, block it."
    )
    safety_link_allowlist: str = Field(
        "", description="Comma-separated domains links may point to; empty allows any."
    )

    experiment_min_trials_per_arm: int = Field(
        100, ge=0, description="Trials every arm needs before any arm may be called the winner."
    )
    experiment_chance_to_win: float = Field(
        0.95, gt=0.5, lt=1, description="Chance to be best at which an arm is the winner."
    )
    experiment_opt_out_guardrail: float = Field(
        0.02, ge=0, le=1, description="Opt-out rate per arm above which its guardrail is breached."
    )
    experiment_failed_guardrail: float = Field(
        0.05, ge=0, le=1, description="Failed-send rate per arm above which it is breached."
    )

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

    allow_insecure_bot_api_url: bool = Field(
        False,
        description="Allow Bot API servers other than https or a loopback address "
        "(plain http reveals the bots' tokens on the network).",
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
    retention_events_days: int = Field(
        0,
        ge=0,
        description="Delete analytics events (deliveries' sent/read/clicked, opt-outs) older "
        "than this many days; the campaign totals stay; 0 = keep.",
    )
    retention_replies_days: int = Field(
        0,
        ge=0,
        description="Delete people's replies (the inbox's messages and their drafted answers) "
        "older than this many days; 0 = keep.",
    )
    retention_inbound_log_days: int = Field(
        30,
        ge=0,
        description="Delete the stored Telegram updates (the log of what people sent the bots: "
        "commands, button presses, replies' text) this many days after they were applied; "
        "0 = keep.",
    )
    privacy_request_reminder_days: int = Field(
        7,
        ge=0,
        le=44,
        description="Remind (audit log, Privacy page) this many days before a data-subject "
        "request's deadline while it is open; 0 = no reminders.",
    )
    retention_purge_interval_hours: float = Field(
        24, ge=0, description="How often the scheduler applies the retention rules; 0 = never."
    )
    audit_head_export: str = Field(
        "",
        max_length=2000,
        description="Where the scheduler exports the audit chain's head hash: a file (a line "
        "appended each time) or an http(s) URL (a JSON POST); empty = nowhere.",
    )
    audit_head_export_interval_hours: float = Field(
        24, gt=0, description="How often the audit chain's head hash is exported."
    )

    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Address people reach this deployment at; tracked links point to "
        "{public_url}/r/<token>.",
    )
    link_ttl_days: float = Field(
        90, gt=0, description="Days a tracked link keeps counting clicks and redirecting."
    )
    attribution_window_days: float = Field(
        7, gt=0, description="Days after a send within which a conversion is attributed to it."
    )
    conversion_webhook_secrets: SecretStr | None = Field(
        None,
        description="Per-source webhook secrets as source:secret pairs, comma-separated "
        "(e.g. shop:s3cret); a source without one is refused.",
    )
    webhook_tolerance_s: float = Field(
        300, gt=0, description="How far a signed webhook's timestamp may be from now."
    )

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone_name(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        import ipaddress

        for part in value.split(","):
            if not part.strip():
                continue
            try:
                ipaddress.ip_network(part.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"'{part.strip()}' is not an address or CIDR") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _daily_window(cls, value: str) -> str:
        value = value.strip()
        try:
            window = parse_optional_window(value)
        except ValueError as exc:
            raise ValueError(
                f"'{value}' is not a window as HH:MM-HH:MM (e.g. 21:00-09:00) or off"
            ) from exc
        return "off" if window is None else value

    @model_validator(mode="after")
    def _safe_bot_api_url(self) -> Settings:
        try:
            check_bot_api_url(
                self.telegram_bot_api_url, allow_insecure=self.allow_insecure_bot_api_url
            )
        except ValueError as exc:
            raise ValueError(f"telegram_bot_api_url: {exc}") from exc
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'marketing_agent.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""All of paperbot's settings, in one object.

Nothing below the entry point reads ``os.environ``: it is read here, once, from the
environment and ``.env``. Setting names are part of the public interface and are
documented in ``.env.example``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["zh", "en"]


def _env(name: str) -> AliasChoices:
    """Accept exactly one environment name for a field (no prefix guessing)."""
    return AliasChoices(name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # Storage
    db_path: Path = Field(Path("paperbot.db"), validation_alias=_env("PAPERBOT_DB_PATH"))

    # arXiv
    arxiv_api_url: str = Field(
        "https://export.arxiv.org/api/query", validation_alias=_env("PAPERBOT_ARXIV_API_URL")
    )
    arxiv_rss_url: str = Field("https://rss.arxiv.org/rss", validation_alias=_env("PAPERBOT_ARXIV_RSS_URL"))
    arxiv_pdf_url: str = Field("https://arxiv.org/pdf", validation_alias=_env("PAPERBOT_ARXIV_PDF_URL"))
    arxiv_delay_seconds: float = Field(3.0, ge=0, validation_alias=_env("PAPERBOT_ARXIV_DELAY_SECONDS"))
    arxiv_timeout_seconds: float = Field(30.0, gt=0, validation_alias=_env("PAPERBOT_ARXIV_TIMEOUT_SECONDS"))
    arxiv_retries: int = Field(4, ge=0, le=10, validation_alias=_env("PAPERBOT_ARXIV_RETRIES"))
    arxiv_batch_size: int = Field(100, ge=1, le=2000, validation_alias=_env("PAPERBOT_ARXIV_BATCH_SIZE"))

    # Behaviour
    language: Language = Field("zh", validation_alias=_env("PAPERBOT_LANGUAGE"))
    timezone: str = Field("UTC", validation_alias=_env("PAPERBOT_TIMEZONE"))
    digest_max_papers: int = Field(20, ge=1, le=200, validation_alias=_env("PAPERBOT_DIGEST_MAX_PAPERS"))
    catchup_grace_hours: float = Field(12.0, ge=0, validation_alias=_env("PAPERBOT_CATCHUP_GRACE_HOURS"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("PAPERBOT_LOG_LEVEL")
    )

    # Telegram
    telegram_bot_token: SecretStr | None = Field(None, validation_alias=_env("TELEGRAM_BOT_TOKEN"))
    telegram_api_url: str = Field("https://api.telegram.org", validation_alias=_env("PAPERBOT_TELEGRAM_API_URL"))
    telegram_webhook_url: str | None = Field(None, validation_alias=_env("PAPERBOT_TELEGRAM_WEBHOOK_URL"))
    telegram_webhook_listen: str = Field("0.0.0.0", validation_alias=_env("PAPERBOT_TELEGRAM_WEBHOOK_LISTEN"))
    telegram_webhook_port: int = Field(8443, ge=1, le=65535, validation_alias=_env("PAPERBOT_TELEGRAM_WEBHOOK_PORT"))

    # Discord
    discord_bot_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_BOT_TOKEN"))
    discord_api_url: str = Field("https://discord.com/api/v10", validation_alias=_env("PAPERBOT_DISCORD_API_URL"))

    # Summaries
    llm_backend: Literal["auto", "gemini", "openai", "extractive"] = Field(
        "auto", validation_alias=_env("PAPERBOT_LLM_BACKEND")
    )
    gemini_api_key: SecretStr | None = Field(None, validation_alias=_env("GEMINI_API_KEY"))
    gemini_model: str = Field("gemini-2.5-flash", validation_alias=_env("PAPERBOT_GEMINI_MODEL"))
    gemini_base_url: str | None = Field(None, validation_alias=_env("PAPERBOT_GEMINI_BASE_URL"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_model: str = Field("gpt-4o-mini", validation_alias=_env("PAPERBOT_OPENAI_MODEL"))
    openai_base_url: str | None = Field(None, validation_alias=_env("PAPERBOT_OPENAI_BASE_URL"))
    # Dense embeddings for relevance (Gemini or OpenAI-compatible, whichever backend is configured); empty = off
    embedding_model: str = Field("", max_length=200, validation_alias=_env("PAPERBOT_EMBEDDING_MODEL"))
    llm_timeout_seconds: float = Field(120.0, gt=0, validation_alias=_env("PAPERBOT_LLM_TIMEOUT_SECONDS"))
    llm_concurrency: int = Field(4, ge=1, le=64, validation_alias=_env("PAPERBOT_LLM_CONCURRENCY"))
    llm_requests_per_minute: int = Field(30, ge=1, validation_alias=_env("PAPERBOT_LLM_REQUESTS_PER_MINUTE"))
    llm_daily_budget: int = Field(500, ge=0, validation_alias=_env("PAPERBOT_LLM_DAILY_BUDGET"))
    pdf_max_bytes: int = Field(40_000_000, ge=1, validation_alias=_env("PAPERBOT_PDF_MAX_BYTES"))
    # A real 2000-entry API page is a few MB; an endless or gzip-bombed answer stops here (raw and decoded).
    arxiv_max_response_bytes: int = Field(
        32_000_000, ge=1024, validation_alias=_env("PAPERBOT_ARXIV_MAX_RESPONSE_BYTES")
    )
    arxiv_parse_timeout_seconds: float = Field(
        30.0, gt=0, validation_alias=_env("PAPERBOT_ARXIV_PARSE_TIMEOUT_SECONDS")
    )

    # Limits and safety (README "Limits and safety"): one member cannot drain the shared budget or flood a chat.
    quota_user_model_calls: int = Field(30, ge=0, validation_alias=_env("PAPERBOT_QUOTA_USER_MODEL_CALLS"))
    quota_admin_model_calls: int = Field(100, ge=0, validation_alias=_env("PAPERBOT_QUOTA_ADMIN_MODEL_CALLS"))
    quota_chat_model_calls: int = Field(150, ge=0, validation_alias=_env("PAPERBOT_QUOTA_CHAT_MODEL_CALLS"))
    digest_all_max_papers: int = Field(50, ge=1, le=500, validation_alias=_env("PAPERBOT_DIGEST_ALL_MAX_PAPERS"))
    max_topics_per_chat: int = Field(50, ge=0, validation_alias=_env("PAPERBOT_MAX_TOPICS_PER_CHAT"))
    max_topics_per_user: int = Field(100, ge=0, validation_alias=_env("PAPERBOT_MAX_TOPICS_PER_USER"))
    max_subscriptions_per_chat: int = Field(20, ge=0, validation_alias=_env("PAPERBOT_MAX_SUBSCRIPTIONS_PER_CHAT"))
    max_subscriptions_per_user: int = Field(50, ge=0, validation_alias=_env("PAPERBOT_MAX_SUBSCRIPTIONS_PER_USER"))
    max_filters_per_user: int = Field(50, ge=0, validation_alias=_env("PAPERBOT_MAX_FILTERS_PER_USER"))
    max_reading_per_chat: int = Field(500, ge=0, validation_alias=_env("PAPERBOT_MAX_READING_PER_CHAT"))
    # Commands one person may send a minute on Telegram and Discord (the console is the operator); 0: no limit.
    commands_per_minute: int = Field(20, ge=0, validation_alias=_env("PAPERBOT_COMMANDS_PER_MINUTE"))
    # Scheduled digests being planned and sent at once; Telegram's 30 messages/s is the real pace.
    delivery_concurrency: int = Field(64, ge=1, le=1024, validation_alias=_env("PAPERBOT_DELIVERY_CONCURRENCY"))

    # /ask: questions about one paper (README "/ask"). Calls are also charged to the quotas above.
    ask_user_calls_per_thread: int = Field(10, ge=0, validation_alias=_env("PAPERBOT_ASK_USER_CALLS_PER_THREAD"))
    ask_chat_calls: int = Field(60, ge=0, validation_alias=_env("PAPERBOT_ASK_CHAT_CALLS"))
    ask_history_turns: int = Field(4, ge=0, le=20, validation_alias=_env("PAPERBOT_ASK_HISTORY_TURNS"))
    # How much paper text an OpenAI-compatible model is given, in tokens (its window minus room to answer).
    ask_context_tokens: int = Field(8000, ge=500, le=1_000_000, validation_alias=_env("PAPERBOT_ASK_CONTEXT_TOKENS"))

    @field_validator(
        "arxiv_api_url", "arxiv_rss_url", "arxiv_pdf_url", "telegram_api_url", "discord_api_url",
        "gemini_base_url", "openai_base_url", "telegram_webhook_url",
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None if value == "" else value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL such as https://example.org/path")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Asia/Shanghai or UTC") from None
        return value

    def backend(self) -> Literal["gemini", "openai", "extractive"]:
        """The summary backend to use; ``auto`` picks the first one with a key."""
        if self.llm_backend != "auto":
            return self.llm_backend
        if self.gemini_api_key:
            return "gemini"
        if self.openai_api_key:
            return "openai"
        return "extractive"

    @property
    def secrets(self) -> list[str]:
        """Every secret value, so logging can redact them wherever they appear."""
        values = [self.telegram_bot_token, self.discord_bot_token, self.gemini_api_key, self.openai_api_key]
        return [v.get_secret_value() for v in values if v and v.get_secret_value()]


class ConfigError(Exception):
    """Bad configuration, phrased for a human: one line naming the setting."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first.get("loc") or ("?",)
        field = str(loc[0])
        env_name = _env_name(field)
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ConfigError(f"configuration error: {env_name}: {message}") from None


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, AliasChoices) and alias.choices:
        return str(alias.choices[0])
    return field

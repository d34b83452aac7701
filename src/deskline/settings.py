"""deskline's settings, read from the environment (``DESKLINE_*``) and an optional ``.env``.

Embedded defaults run deskline on SQLite in a data directory with an in-process worker; every
other deployment sets ``DESKLINE_DATABASE_URL`` (PostgreSQL) and ``DESKLINE_REDIS_URL``.
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from deskline.config_types import RegionCode, TimeZoneName
from deskline.errors import ConfigurationError


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every setting deskline reads, with its environment variable ``DESKLINE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="DESKLINE_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Field(
        default=Path("data"), description="Where SQLite, recordings and keys live."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default: SQLite in the data directory."
    )
    redis_url: str | None = Field(default=None, description="Redis for scale-out (optional).")
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = Field(
        default=None, description="The URL helpdesks and browsers use to reach deskline."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs links and encrypts secrets at rest; default: a key file in data_dir.",
    )
    admin_username: str = "admin"
    admin_password: SecretStr | None = Field(
        default=None, description="Password of the first admin; printed once when generated."
    )
    default_country: RegionCode = Field(default="US", description="Region for numbers without a +.")
    pbx_timezone: TimeZoneName = Field(
        default="UTC", description="Time zone of the PBX's local times."
    )
    in_process_worker: bool = Field(default=True, description="Run the outbox worker in serve.")
    pop_hold_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long a screen pop waits for an agent whose console is not connected "
        "(the console gets it when it connects); 0: not kept.",
    )
    worker_concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Jobs one worker (in serve or deskline worker) runs at the same time.",
    )
    read_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description=(
            "Longest a process keeps the helpdesk connection, bindings and index matches it read "
            "without seeing another process's change to them (its own are seen at once); 0: off."
        ),
    )
    sqlite_threads: bool = Field(
        default=False,
        description=(
            "Run SQLite statements on aiosqlite's thread instead of the event loop's (slower; "
            "for a database on a slow or network file system, where a statement can take long)."
        ),
    )
    sqlite_time_slice_ms: float = Field(
        default=2.0,
        ge=0,
        le=1000,
        description=(
            "With SQLite statements on the event loop: a task that has run statements for this "
            "long lets the loop go round before its next one, so ring-time pops do not wait "
            "behind long transactions; 0: never."
        ),
    )
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = Field(
        default="json", description="Log lines as JSON objects or as key=value text."
    )
    access_log_pbx_events: bool = Field(
        default=False,
        description=(
            "Write an access-log line for every PBX event post answered 2xx too (several per "
            "call); off: only the posts that failed are in the access log (every event is "
            "counted in /metrics and kept with its call)."
        ),
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for GET /metrics; unset: /metrics answers loopback only.",
    )
    budget_safety_margin: float = Field(
        default=0.9, gt=0, le=1, description="Share of a helpdesk plan's rate limit deskline uses."
    )
    budget_max_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        description="Longest a job waits for the request budget before it is rescheduled.",
    )
    index_refresh_interval_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How often the contact index is refreshed from the helpdesk; 0: never.",
    )
    index_refresh_batch: int = Field(
        default=100, ge=1, le=1000, description="Most contacts one index refresh run fetches."
    )
    budget_expected_processes: int = Field(
        default=1,
        ge=1,
        description="Processes sharing a budget; each uses 1/N of it while Redis is down.",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            if self.secret_key is None:
                raise ValueError("DESKLINE_SECRET_KEY must be set in production")
            if self.public_url is None or not self.public_url.startswith("https://"):
                raise ValueError("DESKLINE_PUBLIC_URL must be an https:// URL in production")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.pbx_timezone)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'deskline.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def effective_secret_key(self) -> bytes:
        """The configured key, or one generated once and kept in ``data_dir/secret.key``."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        key_file = self.data_dir / "secret.key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        try:
            return key_file.read_text().strip().encode()
        except OSError as exc:  # pragma: no cover - unreadable data dir
            raise ConfigurationError(f"cannot read the secret key file {key_file}: {exc}") from exc


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one plain ConfigurationError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from exc

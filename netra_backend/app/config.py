"""One typed Settings object, read from the environment and `.env`."""

from __future__ import annotations

import os
import re
import socket
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from netra_backend.errors import BadInputError
from netra_backend.redact import PLACEHOLDER_PASSWORDS, mask_secrets, mask_url, url_secrets


class Environment(StrEnum):
    """Where the service runs; timeouts and secret checks depend on it."""

    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


class SettingsError(BadInputError, ValueError):
    """The environment is malformed; the message is one line naming the variable (exit 2)."""


# A remote ClickHouse in production may sit behind a slow network; locally 3 s is plenty.
CLICKHOUSE_CONNECT_TIMEOUT_S = {
    Environment.DEVELOPMENT: 3.0,
    Environment.TEST: 3.0,
    Environment.STAGING: 3.0,
    Environment.PRODUCTION: 10.0,
}
CLICKHOUSE_SCHEMES = ("http", "https", "chdb")
# Variables that may be unset (a default applies) but never set to an empty value: an empty
# DATABASE_URL is a mistake, not "use localhost".
REQUIRED_NONEMPTY = ("DATABASE_URL",)
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024


def normalise_database_url(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg2 here (SQLAlchemy 2.1 would pick psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def _url_password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).password
    except ValueError:
        return None


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    netra_env: Environment = Field(default=Environment.DEVELOPMENT)
    database_url: str = "postgresql+psycopg2://postgres:postgres@localhost:5432/netra"
    clickhouse_url: str | None = None
    clickhouse_required: bool = False
    netra_host: str = "127.0.0.1"
    netra_port: int = Field(default=8000, ge=1, le=65535)
    # Largest request body the API reads (413 beyond it, counted while the body streams).
    netra_max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)

    # None means "the default for NETRA_ENV" (filled in by _environment_defaults).
    clickhouse_connect_timeout: float | None = Field(default=None, gt=0)
    clickhouse_send_receive_timeout: float = Field(default=10.0, gt=0)
    health_interval_s: float = Field(default=2.0, gt=0)
    health_probe_timeout_s: float = Field(default=2.0, gt=0)
    db_connect_retries: int = Field(default=5, ge=1)
    db_retry_backoff_s: float = Field(default=0.5, ge=0)
    db_connect_timeout_s: int = Field(default=3, ge=1)
    clickhouse_spool_dir: Path = Path(".netra/spool")
    clickhouse_spool_max_rows: int = Field(default=1_000_000, ge=0)
    clickhouse_spool_max_bytes: int = Field(default=256 * 1024 * 1024, ge=0)
    clickhouse_spool_policy: Literal["drop-newest", "drop-oldest"] = "drop-newest"
    # Longest wait between reconnect attempts while ClickHouse is away (backoff doubles up to it).
    clickhouse_retry_max_s: float = Field(default=30.0, gt=0)
    # Names this replica's spool directory under CLICKHOUSE_SPOOL_DIR (default: the hostname).
    netra_replica_id: str | None = None

    @field_validator("database_url")
    @classmethod
    def _psycopg2_driver(cls, value: str) -> str:
        url = normalise_database_url(value.strip())
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a non-numeric port
        except ValueError as exc:
            raise ValueError(f"malformed URL ({exc}): {mask_url(url)}") from None
        if not parts.scheme.startswith("postgresql") or not parts.hostname:
            raise ValueError(
                f"expected postgresql://user:pass@host:port/db, got {mask_url(url) or '(empty)'}"
            )
        return url

    @field_validator("clickhouse_url")
    @classmethod
    def _clickhouse_form(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # unset or empty: analytics disabled
        url = value.strip()
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018
        except ValueError as exc:
            raise ValueError(f"malformed URL ({exc}): {mask_url(url)}") from None
        if parts.scheme not in CLICKHOUSE_SCHEMES or (
            parts.scheme != "chdb" and not parts.hostname
        ):
            raise ValueError(
                f"expected http(s)://user:pass@host:port/db or chdb://PATH, got {mask_url(url)}"
            )
        return url

    @model_validator(mode="after")
    def _environment_defaults(self) -> Settings:
        if self.clickhouse_connect_timeout is None:
            self.clickhouse_connect_timeout = CLICKHOUSE_CONNECT_TIMEOUT_S[self.netra_env]
        if self.netra_env is not Environment.DEVELOPMENT:
            for name, url in (
                ("database_url", self.database_url),
                ("clickhouse_url", self.clickhouse_url),
            ):
                password = _url_password(url)
                if password is not None and password.lower() in PLACEHOLDER_PASSWORDS:
                    raise ValueError(
                        f"{name.upper()}: placeholder password refused outside development "
                        f"(NETRA_ENV={self.netra_env.value}); set a real secret"
                    )
        return self

    @property
    def connect_timeout_s(self) -> float:
        """ClickHouse connect timeout in seconds (always set after validation)."""
        return float(
            self.clickhouse_connect_timeout or CLICKHOUSE_CONNECT_TIMEOUT_S[self.netra_env]
        )

    @property
    def spool_dir(self) -> Path:
        """The parent directory of every replica's analytics spool (CLICKHOUSE_SPOOL_DIR)."""
        return self.clickhouse_spool_dir

    @property
    def replica_id(self) -> str:
        """NETRA_REPLICA_ID, else the hostname; made safe as a directory name."""
        raw = self.netra_replica_id or socket.gethostname() or "default"
        return re.sub(r"[^A-Za-z0-9._-]", "_", raw).strip(".") or "default"

    @property
    def replica_spool_dir(self) -> Path:
        """This replica's own spool: `<CLICKHOUSE_SPOOL_DIR>/<replica id>` (replicas sharing a
        volume never share a directory)."""
        return self.clickhouse_spool_dir / self.replica_id

    def secrets(self) -> tuple[str, ...]:
        """Every secret this configuration's URLs hold, for masking free text."""
        return tuple(sorted(url_secrets(f"{self.database_url} {self.clickhouse_url or ''}")))

    def masked_database_url(self) -> str:
        """DATABASE_URL with its password masked, for messages and logs."""
        return mask_url(self.database_url)

    def masked_clickhouse_url(self) -> str:
        """CLICKHOUSE_URL with its password masked ('' when unset)."""
        return mask_url(self.clickhouse_url or "")


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ()) if part != "__root__"]
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if first.get("type") == "enum":
        message = "must be one of development, test, staging, production"
    if not (message.split(":", 1)[0].isupper() or not location):
        message = f"{location[0].upper()}: {message}"  # else a model-level check named it
    # one line, even when the bad value itself holds line breaks: show them escaped
    return mask_secrets(message).replace("\r", "\\r").replace("\n", "\\n")


def _empty_required(env_file: Path = Path(".env")) -> str | None:
    """The first REQUIRED_NONEMPTY variable set to an empty value (environment, else `.env`)."""
    file_values: dict[str, str | None] = {}
    if env_file.is_file():
        from dotenv import dotenv_values

        file_values = dict(dotenv_values(env_file))
    for name in REQUIRED_NONEMPTY:
        value = os.environ.get(name, file_values.get(name))
        if value is not None and not value.strip():
            return name
    return None


def load_settings(**overrides: object) -> Settings:
    """Build Settings or raise SettingsError with one masked line naming the variable."""
    empty = _empty_required()
    if empty is not None and empty.lower() not in overrides:
        raise SettingsError(f"{empty} is set but empty: give it a value, or unset it")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None


@lru_cache
def get_settings() -> Settings:
    """The process-wide Settings (cached; tests build their own Settings instead)."""
    return load_settings()

"""One typed Settings object, read from the environment and `.env`."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from netra_devtools.redact import mask_url


class Environment(StrEnum):
    """Where the service runs; timeouts and secret checks depend on it."""

    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


def normalise_database_url(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg2 here (SQLAlchemy 2.1 would pick psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    netra_env: Environment = Field(default=Environment.DEVELOPMENT)
    database_url: str = "postgresql+psycopg2://postgres:postgres@localhost:5432/netra"
    clickhouse_url: str | None = None
    clickhouse_required: bool = False

    @field_validator("database_url")
    @classmethod
    def _psycopg2_driver(cls, value: str) -> str:
        return normalise_database_url(value)

    def masked_database_url(self) -> str:
        """DATABASE_URL with its password masked, for messages and logs."""
        return mask_url(self.database_url)


@lru_cache
def get_settings() -> Settings:
    """The process-wide Settings (cached; tests build their own Settings instead)."""
    return Settings()

"""ClickHouse settings and timeouts; nothing here touches the network at construction.

The schema lives in clickhouse_schema.py (one definition for the backend, tools and tests).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from netra_backend.app.analytics.schema import quote_identifier
from netra_backend.app.config import Settings
from netra_backend.redact import mask_url

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ClickHouseConfig:
    """Where ClickHouse is and how long to wait for it; `build_client()` is the only I/O."""

    url: str
    connect_timeout_s: float
    send_receive_timeout_s: float
    required: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ClickHouseConfig | None:
        """The config for CLICKHOUSE_URL, or None when analytics is disabled."""
        if not settings.clickhouse_url:
            return None
        return cls(
            url=settings.clickhouse_url,
            connect_timeout_s=settings.connect_timeout_s,
            send_receive_timeout_s=settings.clickhouse_send_receive_timeout,
            required=settings.clickhouse_required,
        )

    @property
    def embedded(self) -> bool:
        """True for chdb://PATH (the in-process engine)."""
        return self.url.startswith("chdb:")

    @property
    def database(self) -> str:
        """The database the events table lives in."""
        if self.embedded:
            return "default"
        name = unquote(urlsplit(self.url).path.strip("/")) or "default"
        if not _IDENTIFIER.match(name):
            raise ValueError(f"CLICKHOUSE_URL: database name {name!r} is not a plain identifier")
        return name

    @property
    def password(self) -> str | None:
        """The password in the URL (for masking), if any."""
        return urlsplit(self.url).password

    @property
    def masked_url(self) -> str:
        """The URL with its password masked."""
        return mask_url(self.url)

    @property
    def address(self) -> str:
        """host:port for messages (the path for chdb)."""
        parts = urlsplit(self.url)
        if self.embedded:
            return f"chdb:{parts.netloc}{parts.path}"
        port = parts.port or (8443 if parts.scheme == "https" else 8123)
        return f"{parts.hostname}:{port}"

    def build_client(self) -> Any:
        """Connect (clickhouse-connect's HttpClient talks to the server while it is built)."""
        import clickhouse_connect

        if self.embedded:
            return clickhouse_connect.get_client(dsn=self.url)
        parts = urlsplit(self.url)
        return clickhouse_connect.get_client(
            interface=parts.scheme,
            host=parts.hostname,
            port=parts.port or (8443 if parts.scheme == "https" else 8123),
            username=unquote(parts.username or "default"),
            password=unquote(parts.password or ""),
            database="default",  # ours may not exist yet; create_schema makes it
            # Whole seconds only here (the client truncates to int); the handshake query is held
            # to the connect timeout too, so a silent server costs one timeout, not ten seconds.
            connect_timeout=max(1, math.ceil(self.connect_timeout_s)),
            send_receive_timeout=max(1, math.ceil(self.connect_timeout_s)),
            autogenerate_session_id=False,  # sessions forbid concurrent queries (stats + inserts)
            query_retries=0,  # our circuit breaker decides when to try again
        )

    def qualified(self, table: str) -> str:
        """`db`.table for queries and inserts."""
        return f"{quote_identifier(self.database)}.{quote_identifier(table)}"

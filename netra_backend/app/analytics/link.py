"""The connection to ClickHouse behind a circuit breaker: connect, insert, ping, query, and what
the health check shows (state, reason, timing). Only the client's shipper thread connects,
inserts and pings; a failure of any of them is raised as ClickHouseDown and opens the circuit
(state `degraded`), and the next attempt waits out an exponential backoff with jitter.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import threading
import time
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.failures import describe_failure
from netra_backend.app.analytics.schema import EVENTS_TABLE, ensure_schema, insert_batch
from netra_backend.errors import NetraBackendError
from netra_backend.redact import mask_secrets, url_secrets

log = logging.getLogger("netra_backend.analytics")


class AnalyticsState(StrEnum):
    """Where the client stands with ClickHouse."""

    DISABLED = "disabled"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DEGRADED = "degraded"


class AnalyticsUnavailable(NetraBackendError):
    """ClickHouse cannot answer a read right now; the message says why."""


class ClickHouseDown(NetraBackendError):
    """ClickHouse (or its client library) failed; the message says why, secrets masked."""


class ClickHouseLink:
    """One ClickHouse connection, its circuit state, and its backoff."""

    def __init__(
        self, config: ClickHouseConfig | None, backoff_base_s: float, backoff_max_s: float
    ) -> None:
        self.config = config
        self.backoff_base_s, self.backoff_max_s = backoff_base_s, backoff_max_s
        self._lock = threading.Lock()  # one network call on the client at a time
        self._client: Any = None
        self.state = AnalyticsState.DISABLED if config is None else AnalyticsState.CONNECTING
        self.reason = "CLICKHOUSE_URL is not set" if config is None else "connecting"
        self.failures = 0
        self.observed_ms = 0.0
        self.checked_at = time.time()

    @property
    def connected(self) -> bool:
        """True while a connection is open (no I/O)."""
        return self._client is not None

    def health(self) -> dict[str, Any]:
        """State, reason and timing for the health check (no I/O)."""
        return {
            "state": self.state.value,
            "reason": self.reason,
            "observed_ms": self.observed_ms,
            "time": datetime.fromtimestamp(self.checked_at, UTC).isoformat(),
        }

    def connect(self) -> None:
        """Connect and create the schema; ClickHouseDown if either fails."""
        assert self.config is not None
        started = time.perf_counter()
        try:
            client = self.config.build_client()
            try:
                self._set_read_timeout(client)
                ensure_schema(client, self.config.database)
            except Exception:
                with contextlib.suppress(Exception):
                    client.close()
                raise
        except Exception as exc:
            self.observed_ms = round((time.perf_counter() - started) * 1000, 3)
            raise ClickHouseDown(self.describe(exc)) from exc
        self._client = client
        self.observed_ms = round((time.perf_counter() - started) * 1000, 3)
        self.state, self.reason, self.failures = AnalyticsState.CONNECTED, "connected", 0
        self.checked_at = time.time()
        log.info("ClickHouse reachable at %s", self.config.address)

    def _set_read_timeout(self, client: Any) -> None:
        """Reads after the handshake get the full send/receive timeout (float, not int)."""
        assert self.config is not None
        if hasattr(client, "timeout") and not self.config.embedded:
            from urllib3.util import Timeout

            client.timeout = Timeout(
                connect=self.config.connect_timeout_s, read=self.config.send_receive_timeout_s
            )

    def insert(self, batch: Any) -> None:
        """One deduplicated insert of a spool batch; ClickHouseDown on any failure."""
        assert self.config is not None
        try:
            with self._lock:
                insert_batch(self._client, batch, self.config.database)
        except Exception as exc:
            raise ClickHouseDown(self.describe(exc)) from exc

    def ping(self) -> None:
        """SELECT 1 while idle, so an outage shows without traffic; ClickHouseDown on failure."""
        started = time.perf_counter()
        try:
            with self._lock:
                self._client.command("SELECT 1")
        except Exception as exc:
            raise ClickHouseDown(self.describe(exc)) from exc
        self.observed_ms = round((time.perf_counter() - started) * 1000, 3)
        self.checked_at = time.time()

    def event_counts(self, timeout: float) -> dict[str, int]:
        """Events per event_type; AnalyticsUnavailable while ClickHouse is away or busy."""
        if self.state is not AnalyticsState.CONNECTED or self.config is None:
            raise AnalyticsUnavailable(f"ClickHouse is {self.state.value}: {self.reason}")
        if not self._lock.acquire(timeout=timeout):
            raise AnalyticsUnavailable("ClickHouse is busy; try again")
        try:
            result = self._client.query(
                f"SELECT event_type, count() FROM {self.config.qualified(EVENTS_TABLE)} "
                "GROUP BY event_type ORDER BY event_type"
            )
            return {str(name): int(count) for name, count in result.result_rows}
        except Exception as exc:
            raise AnalyticsUnavailable(self.describe(exc)) from None
        finally:
            self._lock.release()

    def open_circuit(self, reason: str) -> float:
        """Note the failure, drop the connection; the seconds to wait before the next attempt."""
        was = self.state
        self.state, self.reason = AnalyticsState.DEGRADED, reason
        self.failures += 1
        self.checked_at = time.time()
        self.close()
        if was is not AnalyticsState.DEGRADED:
            log.warning("ClickHouse unavailable, analytics degraded: %s", reason)
        exponent = min(self.failures - 1, 16)
        delay = min(self.backoff_max_s, self.backoff_base_s * math.pow(2, exponent))
        return delay * random.uniform(0.8, 1.2)  # jitter: many workers must not retry in step

    def close(self) -> None:
        """Close the connection, if any."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def describe(self, exc: BaseException) -> str:
        """Why ClickHouse failed, in one sentence, the password masked."""
        assert self.config is not None
        text = describe_failure(exc, self.config)
        return mask_secrets(text, url_secrets(self.config.url))  # not the user name, if equal

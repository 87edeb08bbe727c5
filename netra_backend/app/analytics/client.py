"""The analytics client: ClickHouse when it answers, a fallback when not; never blocks a request.

`insert()` only puts rows on a bounded queue. One background thread consumes it and owns every
network call and every fallback write: it connects (creating the schema), sends batches, pings
while idle, and after a failure opens the circuit (state `degraded`), moves rows to the fallback
and retries with exponential backoff. On reconnect it replays the fallback, oldest first, before
any queued row goes direct. One consumer means rows reach ClickHouse in the order they were
accepted, and a request never touches the network or the disk.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.failures import describe_failure
from netra_backend.app.analytics.fallback import Fallback, MemoryFallback
from netra_backend.app.analytics.schema import EVENTS_TABLE, ensure_schema, insert_batch
from netra_backend.errors import NetraBackendError
from netra_backend.redact import mask_secrets, url_secrets

log = logging.getLogger("netra_backend.analytics")
Rows = list[dict[str, Any]]


class AnalyticsState(StrEnum):
    """Where the client stands with ClickHouse."""

    DISABLED = "disabled"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DEGRADED = "degraded"


class AnalyticsUnavailable(NetraBackendError, RuntimeError):
    """ClickHouse cannot answer a read right now; the message says why."""


class AnalyticsClient:
    """ClickHouse behind a circuit breaker, with a fallback for rows while it is away."""

    def __init__(
        self,
        config: ClickHouseConfig | None,
        *,
        fallback: Fallback | None = None,
        probe_interval_s: float = 2.0,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        queue_max_batches: int = 10_000,
    ) -> None:
        self.config = config
        self.fallback: Fallback = fallback or MemoryFallback()
        self.probe_interval_s = probe_interval_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._queue: queue.Queue[tuple[str, Rows]] = queue.Queue(queue_max_batches)
        self._client_lock = threading.Lock()  # one network call on the client at a time
        self._stop = threading.Event()
        self._wake = threading.Event()  # cuts a reconnect backoff short (drain now)
        self._listeners: list[Callable[[], None]] = []  # told of every change of state
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._state = AnalyticsState.DISABLED if config is None else AnalyticsState.CONNECTING
        self._reason = "CLICKHOUSE_URL is not set" if config is None else "connecting"
        self._failures = 0
        self._observed_ms = 0.0
        self._attempt_started = 0.0
        self._last_insert_error: Exception | None = None
        self._checked_at = time.time()
        self.discarded_rows = 0  # accepted while analytics is disabled
        self.inserted_rows = 0

    @property
    def state(self) -> AnalyticsState:
        """The current state (no I/O)."""
        return self._state

    def on_state_change(self, listener: Callable[[], None]) -> None:
        """Call `listener()` (on the client's thread; it must not block) once a change of state
        is complete: connected (a reconnect, or a drain done), degraded. The health monitor
        wakes on it."""
        self._listeners.append(listener)

    def _state_changed(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:  # a listener must not take the client's thread down
                log.exception("analytics state listener failed")

    def start(self) -> None:
        """Start the background connector; returns at once."""
        if self.config is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="analytics-client", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the background thread, keep queued rows in the fallback, close the connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            self._spool_queued()  # a durable spool replays them at the next start
        except Exception:
            log.exception("analytics rows queued at shutdown could not be kept")
        self._drop_client()

    def insert(self, table: str, rows: Rows) -> None:
        """Queue rows for the background thread; never blocks on I/O, never raises."""
        if not rows:
            return
        if self._state is AnalyticsState.DISABLED:
            self.discarded_rows += len(rows)
            return
        try:
            self._queue.put_nowait((table, rows))
        except queue.Full:
            # Overload only: the thread is this far behind, so these rows go straight to the
            # fallback (and may reach ClickHouse after rows still queued).
            try:
                self.fallback.spool(table, rows)
            except Exception:  # the fallback promised not to raise; a request must not see it
                log.exception("analytics insert lost %d rows", len(rows))

    def drain_now(self) -> None:
        """Retry ClickHouse now instead of at the end of the current backoff (no I/O here)."""
        self._wake.set()

    def health(self) -> dict[str, Any]:
        """A snapshot for the health monitor (no I/O)."""
        return {
            "state": self._state.value,
            "reason": self._reason,
            "observed_ms": self._observed_ms,
            "time": datetime.fromtimestamp(self._checked_at, UTC).isoformat(),
        }

    def event_counts(self, timeout: float = 2.0) -> dict[str, int]:
        """Events per event_type, read from ClickHouse; AnalyticsUnavailable while it is away."""
        if self._state is not AnalyticsState.CONNECTED or self.config is None:
            raise AnalyticsUnavailable(f"ClickHouse is {self._state.value}: {self._reason}")
        if not self._client_lock.acquire(timeout=timeout):
            raise AnalyticsUnavailable("ClickHouse is busy; try again")
        try:
            result = self._client.query(
                f"SELECT event_type, count() FROM {self.config.qualified(EVENTS_TABLE)} "
                "GROUP BY event_type ORDER BY event_type"
            )
            return {str(name): int(count) for name, count in result.result_rows}
        except Exception as exc:
            raise AnalyticsUnavailable(self._describe(exc)) from None
        finally:
            self._client_lock.release()

    # --- background thread ------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._client is None:
                    self._connect()
                elif self._state is not AnalyticsState.CONNECTED:
                    self._replay()
                else:
                    self._send_or_ping()
            except Exception as exc:
                self._open_circuit(exc)
                self._spool_queued_for(self._backoff())

    def _spool_queued(self) -> None:
        """Move every queued batch to the fallback, oldest first (only this thread spools)."""
        while True:
            try:
                table, rows = self._queue.get_nowait()
            except queue.Empty:
                return
            self.fallback.spool(table, rows)

    def _spool_queued_for(self, seconds: float) -> None:
        """Wait out the backoff, moving rows that arrive meanwhile into the fallback."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
            if self._wake.is_set():
                self._wake.clear()
                self._failures = max(self._failures - 1, 0)  # a drain request retries promptly
                return
            try:
                table, rows = self._queue.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                continue
            self.fallback.spool(table, rows)

    def _connect(self) -> None:
        assert self.config is not None
        started = self._attempt_started = time.perf_counter()
        client = self.config.build_client()
        try:
            self._set_read_timeout(client)
            ensure_schema(client, self.config.database)
        except BaseException:
            with contextlib.suppress(Exception):
                client.close()
            raise
        self._client = client
        self._attempt_started = 0.0
        self._observed_ms = round((time.perf_counter() - started) * 1000, 3)
        log.info("ClickHouse reachable at %s", self.config.address)

    def _set_read_timeout(self, client: Any) -> None:
        """Reads after the handshake get the full send/receive timeout (float, not int)."""
        assert self.config is not None
        if hasattr(client, "timeout") and not self.config.embedded:
            from urllib3.util import Timeout

            client.timeout = Timeout(
                connect=self.config.connect_timeout_s, read=self.config.send_receive_timeout_s
            )

    def _replay(self) -> None:
        """Send what the fallback holds; close the circuit once nothing is left."""
        self._reason = "reachable again; replaying rows that waited, new rows wait behind them"
        for _ in range(1000):  # bounded: new rows keep arriving while we replay
            self._spool_queued()  # what queued during the outage is older than what queues now
            self._last_insert_error = None
            replayed = self.fallback.replay(self._insert_batch)
            if int(self.fallback.status().get("pending_rows", 0)) == 0:
                # Rows still queued are newer than everything replayed: order holds.
                self._state = AnalyticsState.CONNECTED
                self._reason = "connected"
                self._failures = 0
                self._checked_at = time.time()
                self._state_changed()
                return
            if replayed == 0:
                raise self._last_insert_error or AnalyticsUnavailable("replay made no progress")

    def _send_or_ping(self) -> None:
        try:
            table, rows = self._queue.get(timeout=self.probe_interval_s)
        except queue.Empty:
            started = time.perf_counter()
            with self._client_lock:
                self._client.command("SELECT 1")
            self._observed_ms = round((time.perf_counter() - started) * 1000, 3)
            self._checked_at = time.time()
            return
        # Every direct insert carries its own batch id: if it fails after ClickHouse stored it
        # (a lost acknowledgement), the spool replays it under the same deduplication token.
        batch_id = uuid.uuid4().hex
        try:
            self._insert_batch(table, rows, batch_id)
        except Exception:
            self.fallback.spool(table, rows, batch_id=batch_id)  # first in the fallback: in order
            raise

    def _insert_batch(self, table: str, rows: Rows, batch_id: str) -> None:
        """One insert; `batch_id` is its insert_deduplication_token, so a replay is stored once."""
        assert self.config is not None
        try:
            with self._client_lock:
                insert_batch(self._client, table, rows, batch_id, self.config.database)
        except Exception as exc:  # kept: the fallback may swallow it, the health output needs it
            self._last_insert_error = exc
            raise
        self.inserted_rows += len(rows)

    def _open_circuit(self, exc: BaseException) -> None:
        reason = self._describe(exc)
        # Queued rows move to the fallback before the state says so: a health snapshot that
        # reads `degraded` also sees them counted in the spool.
        self._spool_queued()
        was = self._state
        self._state = AnalyticsState.DEGRADED
        self._reason = reason
        self._failures += 1
        self._checked_at = time.time()
        if self._attempt_started:  # how long the failed connect took (a timeout shows here)
            self._observed_ms = round((time.perf_counter() - self._attempt_started) * 1000, 3)
            self._attempt_started = 0.0
        self._drop_client()
        if was is not AnalyticsState.DEGRADED:
            log.warning("ClickHouse unavailable, analytics degraded: %s", reason)
            self._state_changed()

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def _backoff(self) -> float:
        exponent = min(self._failures - 1, 16)
        delay = min(self.backoff_max_s, self.backoff_base_s * math.pow(2, exponent))
        return delay * random.uniform(0.8, 1.2)  # jitter: many workers must not retry in step

    def _describe(self, exc: BaseException) -> str:
        assert self.config is not None
        text = describe_failure(exc, self.config)
        return mask_secrets(text, url_secrets(self.config.url))  # not the user name, if equal

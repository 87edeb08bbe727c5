"""The analytics client: every accepted batch is durable in the spool first, then shipped.

`submit()` encodes the rows and hands them to the group commit (spool/commit.py); its future
resolves once they are fsync'd in this replica's spool, which is when POST /api/events may answer
202, or fails with AnalyticsRefused (503) when the spool cannot take them. One background thread
(the shipper) owns every ClickHouse call: it connects (creating the schema), ships the spool
oldest first (spool/disk.py), pings while idle, and after a ClickHouse failure opens the circuit
(state `degraded`) and retries with exponential backoff. The loop is supervised: a spool disk
error pauses it without blaming ClickHouse, and an unexpected error is logged, counted, and the
loop goes on. A request never touches the network.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.failures import describe_failure
from netra_backend.app.analytics.schema import (
    EVENTS_TABLE,
    ensure_schema,
    insert_batch,
    table_columns,
)
from netra_backend.app.analytics.spool.commit import GroupCommit
from netra_backend.app.analytics.spool.errors import SpoolDiskError, SpoolError, SpoolFullError
from netra_backend.app.analytics.spool.records import encode_record
from netra_backend.errors import NetraBackendError
from netra_backend.redact import mask_secrets

log = logging.getLogger("netra_backend.analytics")
Rows = list[dict[str, Any]]
RETRY_AFTER_S = 5  # what a 503 tells the client to wait
DISK_RETRY_S = 1.0
SPOOL_REOPEN_S = 5.0


class AnalyticsState(StrEnum):
    """Where the client stands with ClickHouse."""

    DISABLED = "disabled"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DEGRADED = "degraded"


class AnalyticsUnavailable(NetraBackendError):
    """ClickHouse cannot answer a read right now; the message says why."""


class AnalyticsRefused(NetraBackendError):
    """A batch was not accepted (nothing stored it durably): 503 with Retry-After."""

    def __init__(self, reason: str, retry_after_s: int = RETRY_AFTER_S) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class _ClickHouseDown(Exception):
    """Wraps whatever ClickHouse (or its client) raised, so the loop can tell it apart."""


def _done() -> Future[None]:
    future: Future[None] = Future()
    future.set_result(None)
    return future


class AnalyticsClient:
    """The spool in front, ClickHouse behind a circuit breaker (see module doc)."""

    def __init__(
        self,
        config: ClickHouseConfig | None,
        *,
        open_spool: Callable[[], Any] | None = None,
        probe_interval_s: float = 2.0,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
    ) -> None:
        self.config = config
        self.probe_interval_s = probe_interval_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._open_spool = open_spool
        self.spool: Any = None  # DiskSpool or AdoptingSpool, once open
        self._spool_problem = "no spool configured"
        self._spool_tried = 0.0
        self._committer: GroupCommit | None = None
        self._client_lock = threading.Lock()  # one network call on the client at a time
        self._stop = threading.Event()
        self._wake = threading.Event()  # a commit happened: rows to ship
        self._drain = threading.Event()  # cuts a reconnect backoff short (drain now)
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._state = AnalyticsState.DISABLED if config is None else AnalyticsState.CONNECTING
        self._reason = "CLICKHOUSE_URL is not set" if config is None else "connecting"
        self._failures = 0
        self._observed_ms = 0.0
        self._checked_at = time.time()
        self.discarded_rows = 0  # accepted while analytics is disabled
        self.shipped_rows = 0
        self.loop_errors = 0  # unexpected errors the shipper survived

    @property
    def state(self) -> AnalyticsState:
        """The current state (no I/O)."""
        return self._state

    def start(self) -> None:
        """Open the spool and start the shipper; returns without waiting on ClickHouse."""
        if self.config is None or self._thread is not None:
            return
        self._try_open_spool()
        self._thread = threading.Thread(target=self._run, name="analytics-client", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Commit what is queued, stop the shipper, close the spool and the connection."""
        if self._committer is not None:
            self._committer.close(timeout)
        self._stop.set()
        self._drain.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.spool is not None:
            self.spool.close()
        self._drop_client()

    def submit(self, table: str, rows: Rows) -> Future[None]:
        """Hand rows to the spool; the future resolves once they are durable (202) or fails with
        AnalyticsRefused (503). No I/O here; never raises for a spool or ClickHouse problem."""
        if not rows or self._state is AnalyticsState.DISABLED:
            self.discarded_rows += len(rows)  # analytics is off: nothing is kept, by design
            return _done()
        committer = self._committer
        if committer is None:
            future: Future[None] = Future()
            future.set_exception(AnalyticsRefused(self._spool_problem, int(SPOOL_REOPEN_S)))
            return future
        keys, columns = table_columns(table, rows)
        return committer.submit(encode_record(table, keys, columns))

    def drain_now(self) -> None:
        """Retry ClickHouse now instead of at the end of the current backoff (no I/O here)."""
        self._drain.set()

    def health(self) -> dict[str, Any]:
        """A snapshot for the health monitor (no I/O)."""
        return {
            "state": self._state.value,
            "reason": self._reason,
            "observed_ms": self._observed_ms,
            "time": datetime.fromtimestamp(self._checked_at, UTC).isoformat(),
            "loop_errors": self.loop_errors + (self._committer.errors if self._committer else 0),
        }

    def spool_status(self) -> dict[str, Any]:
        """The spool's status (no network), or why there is no durable spool."""
        if self.spool is None:
            warning = "" if self.config is None else self._spool_problem
            return {"pending_rows": 0, "dropped_rows": 0, "durable": False, "warning": warning}
        status = dict(self.spool.status())
        status["shipping"] = self._state is AnalyticsState.CONNECTED
        return status

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

    # --- the spool ---------------------------------------------------------------------------

    def _try_open_spool(self) -> None:
        """Open the spool (at start, and again every few seconds while it is unusable)."""
        if self.spool is not None or self._open_spool is None:
            return
        if time.monotonic() - self._spool_tried < SPOOL_REOPEN_S and self._spool_tried:
            return
        self._spool_tried = time.monotonic()
        try:
            self.spool = self._open_spool()
        except Exception as exc:
            problem = (
                f"no durable spool: {exc}; events get 503 until one opens (set NETRA_REPLICA_ID "
                "per replica, or a writable CLICKHOUSE_SPOOL_DIR)"
            )
            if problem != self._spool_problem:
                log.error("%s", problem)
            self._spool_problem = problem
            return
        self._committer = GroupCommit(self.spool, self._refusal, self._wake.set)
        log.info("analytics spool open at %s", self.spool.directory)

    def _refusal(self, error: SpoolError) -> Exception:
        """The 503 a batch gets when the spool refused it (the spool's reason, and why it fills)."""
        reason = str(error)
        if isinstance(error, SpoolFullError) and self._state is not AnalyticsState.CONNECTED:
            reason += f"; ClickHouse is {self._state.value}: {self._reason}"
        return AnalyticsRefused(reason)

    # --- the shipper thread ------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._cycle()
            except SpoolDiskError:  # the spool logged it (the disk, the path); not ClickHouse
                self._pause(DISK_RETRY_S)
            except _ClickHouseDown as down:
                self._open_circuit(down.__cause__ or down)
                self._pause(self._backoff())
            except Exception:  # a bug: logged, counted, and the loop goes on
                self.loop_errors += 1
                log.exception("analytics loop: unexpected error #%d; it goes on", self.loop_errors)
                self._pause(DISK_RETRY_S)

    def _cycle(self) -> None:
        """Connect if needed, ship what waits, then wait for a commit (or ping when idle)."""
        self._try_open_spool()
        if self._client is None:
            self._connect()
        self._wake.clear()  # cleared first: a commit during the ship below wakes the wait
        if self.spool is not None:
            self.shipped_rows += self.spool.ship(self._send)
        if not self._wake.wait(self.probe_interval_s) and not self._stop.is_set():
            self._ping()

    def _send(self, batch: Any) -> None:
        """One deduplicated insert; any failure is ClickHouse's."""
        assert self.config is not None
        try:
            with self._client_lock:
                insert_batch(self._client, batch, self.config.database)
        except Exception as exc:
            raise _ClickHouseDown(self._describe(exc)) from exc

    def _connect(self) -> None:
        assert self.config is not None
        started = time.perf_counter()
        try:
            client = self.config.build_client()
        except Exception as exc:
            self._observed_ms = round((time.perf_counter() - started) * 1000, 3)
            raise _ClickHouseDown(str(exc)) from exc
        try:
            self._set_read_timeout(client)
            ensure_schema(client, self.config.database)
        except Exception as exc:
            with contextlib.suppress(Exception):
                client.close()
            raise _ClickHouseDown(str(exc)) from exc
        self._client = client
        self._observed_ms = round((time.perf_counter() - started) * 1000, 3)
        self._state, self._reason, self._failures = AnalyticsState.CONNECTED, "connected", 0
        self._checked_at = time.time()
        log.info("ClickHouse reachable at %s", self.config.address)

    def _set_read_timeout(self, client: Any) -> None:
        """Reads after the handshake get the full send/receive timeout (float, not int)."""
        assert self.config is not None
        if hasattr(client, "timeout") and not self.config.embedded:
            from urllib3.util import Timeout

            client.timeout = Timeout(
                connect=self.config.connect_timeout_s, read=self.config.send_receive_timeout_s
            )

    def _ping(self) -> None:
        started = time.perf_counter()
        try:
            with self._client_lock:
                self._client.command("SELECT 1")
        except Exception as exc:
            raise _ClickHouseDown(str(exc)) from exc
        self._observed_ms = round((time.perf_counter() - started) * 1000, 3)
        self._checked_at = time.time()

    def _pause(self, seconds: float) -> None:
        """Wait out a backoff; a drain request or close cuts it short."""
        if self._drain.wait(seconds):
            self._drain.clear()
            self._failures = max(self._failures - 1, 0)  # a drain request retries promptly

    def _open_circuit(self, exc: BaseException) -> None:
        reason = self._describe(exc)
        was = self._state
        self._state = AnalyticsState.DEGRADED
        self._reason = reason
        self._failures += 1
        self._checked_at = time.time()
        self._drop_client()
        if was is not AnalyticsState.DEGRADED:
            log.warning("ClickHouse unavailable, analytics degraded: %s", reason)

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
        secrets = tuple(s for s in (self.config.password,) if s)
        text = describe_failure(exc, self.config)
        return mask_secrets(text, secrets)

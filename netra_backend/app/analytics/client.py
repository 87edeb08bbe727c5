"""The analytics client: every accepted batch is durable in the spool first, then shipped.

`submit()` encodes the rows and hands them to the group commit (spool/commit.py); its future
resolves once they are fsync'd in this replica's spool, which is when POST /api/events may answer
202, or fails with AnalyticsRefused (503) when the spool cannot take them. One background thread
(the shipper) owns every ClickHouse call (link.py): it connects, ships the spool oldest first
(spool/disk.py), pings while idle, and after a ClickHouse failure waits out a backoff. The loop
is supervised: a spool disk error pauses it without blaming ClickHouse, and an unexpected error
is logged, counted, and the loop goes on. A request never touches the network.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.link import (
    AnalyticsState,
    AnalyticsUnavailable,
    ClickHouseDown,
    ClickHouseLink,
)
from netra_backend.app.analytics.schema import (
    EVENTS_COLUMNS,
    EVENTS_TABLE,
    event_rows_text,
    table_columns,
)
from netra_backend.app.analytics.spool.commit import GroupCommit
from netra_backend.app.analytics.spool.errors import SpoolDiskError, SpoolError, SpoolFullError
from netra_backend.app.analytics.spool.records import encode_record, encode_rows_record
from netra_backend.errors import NetraBackendError

__all__ = ["AnalyticsClient", "AnalyticsRefused", "AnalyticsState", "AnalyticsUnavailable"]
log = logging.getLogger("netra_backend.analytics")
Rows = list[dict[str, Any]]
RETRY_AFTER_S = 5  # what a 503 tells the client to wait
DISK_RETRY_S = 1.0
SPOOL_REOPEN_S = 5.0
# Under a stream of events, at most one insert per second (ClickHouse's advice: fewer, bigger
# inserts; each insert is a part to merge), and the shipper's CPU stays off the request path.
SHIP_EVERY_S = 1.0


class AnalyticsRefused(NetraBackendError):
    """A batch was not accepted (nothing stored it durably): 503 with Retry-After."""

    def __init__(self, reason: str, retry_after_s: int = RETRY_AFTER_S) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


def _resolved(error: Exception | None = None) -> Future[None]:
    future: Future[None] = Future()
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
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
        reopen_spool_s: float = SPOOL_REOPEN_S,
    ) -> None:
        self.config = config
        self.reopen_spool_s = reopen_spool_s
        self.probe_interval_s = probe_interval_s
        self.link = ClickHouseLink(config, backoff_base_s, backoff_max_s)
        self._open_spool = open_spool
        self.spool: Any = None  # DiskSpool or AdoptingSpool, once open
        self._spool_problem = "no spool configured"
        self._spool_tried = 0.0
        self._committer: GroupCommit | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()  # a commit happened: rows to ship
        self._drain = threading.Event()  # cuts a reconnect backoff short (drain now)
        self._thread: threading.Thread | None = None
        self.discarded_rows = 0  # accepted while analytics is disabled
        self.shipped_rows = 0
        self.loop_errors = 0  # unexpected errors the shipper survived
        self._listeners: list[Callable[[], None]] = []  # told when what health shows changed
        self._last_seen: tuple[AnalyticsState, bool] | None = None

    @property
    def state(self) -> AnalyticsState:
        """The current state (no I/O)."""
        return self.link.state

    def on_state_change(self, listener: Callable[[], None]) -> None:
        """Call `listener()` (on the shipper's thread; it must not block) once the state or
        whether rows wait changed: a reconnect, a drain done, degraded. The health monitor
        wakes on it, so /health shows the change at once."""
        self._listeners.append(listener)

    def _notify_if_changed(self) -> None:
        waiting = self.spool is not None and bool(self.spool.status()["pending_rows"])
        seen = (self.state, waiting)
        if seen == self._last_seen:
            return
        self._last_seen = seen
        for listener in self._listeners:
            try:
                listener()
            except Exception:  # a listener must not take the shipper down
                log.exception("analytics state listener failed")

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
        self.link.close()

    def submit(self, table: str, rows: Rows) -> Future[None]:
        """Hand rows to the spool; the future resolves once they are durable (202) or fails with
        AnalyticsRefused (503). No I/O here; never raises for a spool or ClickHouse problem."""
        if not rows or self.state is AnalyticsState.DISABLED:
            self.discarded_rows += len(rows)  # analytics is off: nothing is kept, by design
            return _resolved()
        committer = self._committer
        if committer is None:
            return _resolved(AnalyticsRefused(self._spool_problem, math.ceil(self.reopen_spool_s)))
        if table == EVENTS_TABLE:  # kept as the bytes ClickHouse takes: shipped as they are
            text = event_rows_text(rows)
            return committer.submit(
                encode_rows_record(table, list(EVENTS_COLUMNS), text, len(rows))
            )
        keys, columns = table_columns(table, rows)
        return committer.submit(encode_record(table, keys, columns))

    def drain_now(self) -> None:
        """Retry ClickHouse now instead of at the end of the current backoff (no I/O here)."""
        self._drain.set()

    def health(self) -> dict[str, Any]:
        """A snapshot for the health monitor (no I/O)."""
        errors = self.loop_errors + (self._committer.errors if self._committer else 0)
        return {**self.link.health(), "loop_errors": errors}

    def spool_status(self) -> dict[str, Any]:
        """The spool's status (no network), or why there is no durable spool."""
        if self.spool is None:
            warning = "" if self.config is None else self._spool_problem
            return {"pending_rows": 0, "dropped_rows": 0, "durable": False, "warning": warning}
        status = dict(self.spool.status())
        status["shipping"] = self.state is AnalyticsState.CONNECTED
        return status

    def event_counts(self, timeout: float = 2.0) -> dict[str, int]:
        """Events per event_type, read from ClickHouse; AnalyticsUnavailable while it is away."""
        return self.link.event_counts(timeout)

    # --- the spool ---------------------------------------------------------------------------

    def _try_open_spool(self) -> None:
        """Open the spool (at start, and again every few seconds while it is unusable)."""
        if self.spool is not None or self._open_spool is None:
            return
        if self._spool_tried and time.monotonic() - self._spool_tried < self.reopen_spool_s:
            return
        self._spool_tried = time.monotonic()
        try:
            spool = self._open_spool()
        except Exception as exc:
            problem = (
                f"no durable spool: {exc}; events get 503 until one opens (set NETRA_REPLICA_ID "
                "per replica, or a writable CLICKHOUSE_SPOOL_DIR)"
            )
            if problem != self._spool_problem:
                log.error("%s", problem)
            self._spool_problem = problem
            return
        # The committer first: whoever sees the spool open (health, a waiting test) can submit.
        self._committer = GroupCommit(spool, self._refusal, self._wake.set)
        self.spool = spool
        log.info("analytics spool open at %s", spool.directory)

    def _refusal(self, error: SpoolError) -> Exception:
        """The 503 a batch gets when the spool refused it (the spool's reason, and why it fills)."""
        reason = str(error)
        if isinstance(error, SpoolFullError) and self.state is not AnalyticsState.CONNECTED:
            reason += f"; ClickHouse is {self.state.value}: {self.link.reason}"
        return AnalyticsRefused(reason)

    # --- the shipper thread ------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._cycle()
            except SpoolDiskError:  # the spool logged it (the disk, the path); not ClickHouse
                self._pause(DISK_RETRY_S)
            except ClickHouseDown as down:
                backoff = self.link.open_circuit(str(down))
                self._notify_if_changed()
                self._pause(backoff)
            except Exception:  # a bug: logged, counted, and the loop goes on
                self.loop_errors += 1
                log.exception("analytics loop: unexpected error #%d; it goes on", self.loop_errors)
                self._pause(DISK_RETRY_S)

    def _cycle(self) -> None:
        """Connect if needed, ship what waits, then wait for a commit (or ping when idle)."""
        self._try_open_spool()
        if not self.link.connected:
            self.link.connect()
        self._wake.clear()  # cleared first: a commit during the ship below wakes the wait
        started = time.monotonic()
        if self.spool is not None:
            self.shipped_rows += self.spool.ship(self.link.insert)
        self._notify_if_changed()
        if not self._wake.wait(self.probe_interval_s):
            if not self._stop.is_set():
                self.link.ping()  # idle: is ClickHouse still there?
            return
        # Rows arrived: ship them, but not sooner than SHIP_EVERY_S after the last ship began.
        # A lone batch after a quiet spell goes at once; a stream becomes fewer, bigger inserts.
        self._stop.wait(started + SHIP_EVERY_S - time.monotonic())

    def _pause(self, seconds: float) -> None:
        """Wait out a backoff; a drain request or close cuts it short."""
        if self._drain.wait(seconds):
            self._drain.clear()
            self.link.failures = max(self.link.failures - 1, 0)  # a drain retries promptly

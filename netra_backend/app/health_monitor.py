"""A background monitor that probes dependencies on an interval and caches the health report.

Requests only read the cache (`report()`), so no request ever waits on a slow dependency. The
monitor is also woken by events (`wake()`: the analytics client reconnected, a drain finished):
then it rebuilds the report at once from the analytics client's state, which needs no I/O,
keeping the last PostgreSQL probe, so /health reflects the event within milliseconds.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from netra_backend.app.analytics.client import AnalyticsClient, AnalyticsState
from netra_backend.app.db.database_manager import DatabaseManager, ProbeResult

log = logging.getLogger("netra_backend.health")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def postgres_check(probe: ProbeResult, checked_at: str) -> dict[str, Any]:
    """The `postgres:connection` check object."""
    return {
        "componentType": "datastore",
        "observedValue": probe.elapsed_ms,
        "observedUnit": "ms",
        "status": "pass" if probe.ok else "fail",
        "time": checked_at,
        "output": "" if probe.ok else probe.output,
    }


def clickhouse_checks(
    analytics: AnalyticsClient, *, required: bool
) -> dict[str, list[dict[str, Any]]]:
    """The `clickhouse:connection` and `clickhouse:spool` check objects (no I/O)."""
    health = analytics.health()
    state = analytics.state
    if state is AnalyticsState.CONNECTED:
        status, output = "pass", ""
    elif state is AnalyticsState.DISABLED:
        status, output = "pass", "analytics disabled: CLICKHOUSE_URL is not set"
    else:
        status = "fail" if required else "warn"
        output = f"{state.value}: {health['reason']}"
    spool_check = spool_check_from(_spool_status(analytics))
    return {
        "clickhouse:connection": [
            {
                "componentType": "datastore",
                "observedValue": health["observed_ms"],
                "observedUnit": "ms",
                "status": status,
                "time": health["time"],
                "output": output,
                "state": state.value,
                "loopErrors": health.get("loop_errors", 0),
            }
        ],
        "clickhouse:spool": [spool_check],
    }


STALLED_AFTER_S = 10.0  # rows older than this while ClickHouse is connected: shipping is behind


def spool_check_from(spool: dict[str, Any]) -> dict[str, Any]:
    """The `clickhouse:spool` check from the spool's status: pending rows observed; warn while
    rows wait (ClickHouse away, or shipping behind), when any row was lost (dropped past the
    limit, or to damage), when the disk refuses writes, or when there is no durable spool."""
    pending, dropped = int(spool.get("pending_rows", 0)), int(spool.get("dropped_rows", 0))
    damaged_rows, damaged_bytes = (
        int(spool.get("damaged_rows", 0)),
        int(spool.get("damaged_bytes", 0)),
    )
    unknown = int(spool.get("damaged_unknown", 0))
    oldest = float(spool.get("oldest_age_s") or 0.0)
    waiting = pending and (not spool.get("shipping") or oldest >= STALLED_AFTER_S)
    parts = []
    if waiting or dropped:
        parts.append(
            f"{pending} rows waiting for ClickHouse (oldest {oldest:.1f} s), "
            f"{dropped} dropped past the spool limit"
        )
    if damaged_rows or damaged_bytes or unknown:
        regions = f" and {unknown} damaged region(s) of unknown size" if unknown else ""
        parts.append(
            f"{damaged_rows} rows ({damaged_bytes} bytes){regions} lost to damage in "
            f"{spool.get('directory')}; damaged copies kept in {spool.get('damaged_dir')}"
        )
    if spool.get("disk_error"):
        parts.append(f"{spool['disk_error']}: new events get 503")
    if spool.get("last_error") and pending:
        parts.append(f"last shipping error: {spool['last_error']}")
    if warning := str(spool.get("warning") or spool.get("error") or ""):
        parts.append(warning)
    problem = (
        waiting
        or dropped
        or damaged_rows
        or damaged_bytes
        or unknown
        or spool.get("disk_error")
        or warning
    )
    return {
        "componentType": "component",
        "observedValue": pending,
        "observedUnit": "rows",
        "status": "warn" if problem else "pass",
        "time": _now(),
        "output": "; ".join(parts),
        "oldestAgeSeconds": oldest,
        "droppedRows": dropped,
        "damagedRows": damaged_rows,
        "damagedBytes": damaged_bytes,
        "damagedUnknownRegions": unknown,
        "damagedCopies": spool.get("damaged_copies", []),
        "diskError": spool.get("disk_error"),
        "bytes": int(spool.get("bytes", 0)),
        "durable": bool(spool.get("durable", False)),
        "directory": spool.get("directory"),
    }


def _spool_status(analytics: AnalyticsClient) -> dict[str, Any]:
    try:
        return analytics.spool_status()
    except Exception as exc:  # a broken spool is reported, not raised into the monitor
        return {"pending_rows": 0, "dropped_rows": 0, "error": f"spool status failed: {exc!r}"}


def overall_status(checks: dict[str, list[dict[str, Any]]]) -> str:
    """fail if any check fails, else warn if any warns, else pass."""
    statuses = {item["status"] for items in checks.values() for item in items}
    if "fail" in statuses:
        return "fail"
    return "warn" if "warn" in statuses else "pass"


class HealthMonitor:
    """Refreshes the cached report every `interval_s`; each probe has its own timeout."""

    def __init__(
        self,
        *,
        db: DatabaseManager,
        analytics: AnalyticsClient,
        interval_s: float,
        probe_timeout_s: float,
        clickhouse_required: bool = False,
    ) -> None:
        self.db = db
        self.analytics = analytics
        self.interval_s = interval_s
        self.probe_timeout_s = probe_timeout_s
        self.clickhouse_required = clickhouse_required
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._postgres: dict[str, Any] | None = None  # the last probe's check
        self._probes = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="pg-probe")
        self._pending: concurrent.futures.Future[ProbeResult] | None = None
        self._report: dict[str, Any] = {
            "status": "fail",
            "checks": {},
            "output": "starting: no probe has run yet",
        }

    def report(self) -> dict[str, Any]:
        """The cached report (no I/O)."""
        return self._report

    def start(self) -> None:
        """Probe once now, then keep refreshing in a background thread."""
        self.refresh()
        self._thread = threading.Thread(target=self._run, name="health-monitor", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Rebuild the report now (no I/O in the caller: safe from any thread)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop refreshing; a probe still stuck in I/O is abandoned, not waited for."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.interval_s + self.probe_timeout_s + 1)
        self._probes.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        next_probe = time.monotonic() + self.interval_s
        while not self._stop.is_set():
            self._wake.wait(max(next_probe - time.monotonic(), 0))
            self._wake.clear()
            if self._stop.is_set():
                return
            due = time.monotonic() >= next_probe
            try:
                self.refresh(probe_postgres=due)
            except Exception:  # the monitor must outlive any single bad probe
                log.exception("health refresh failed")
            if due:
                next_probe = time.monotonic() + self.interval_s

    def _probe_postgres(self) -> ProbeResult:
        if self._pending is None or self._pending.done():
            self._pending = self._probes.submit(self.db.probe)
        try:
            return self._pending.result(timeout=self.probe_timeout_s)
        except concurrent.futures.TimeoutError:
            ms = round(self.probe_timeout_s * 1000, 3)
            return ProbeResult(
                False, ms, f"{self.db.address}: no answer within {self.probe_timeout_s:g} s"
            )

    def refresh(self, *, probe_postgres: bool = True) -> dict[str, Any]:
        """Probe every dependency (or, woken by an event, reuse the last PostgreSQL probe) and
        replace the cached report."""
        if probe_postgres or self._postgres is None:
            self._postgres = postgres_check(self._probe_postgres(), _now())
        checks = {"postgres:connection": [self._postgres]}
        checks.update(clickhouse_checks(self.analytics, required=self.clickhouse_required))
        report = {
            "status": overall_status(checks),
            "version": "1",
            "serviceId": "netra_backend",
            "description": "netra backend (PostgreSQL required, ClickHouse optional)",
            "checks": checks,
        }
        previous = self._report.get("status")
        self._report = report
        if previous != report["status"]:
            log.info("health status %s -> %s", previous, report["status"])
        return report

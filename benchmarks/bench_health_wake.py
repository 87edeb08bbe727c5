"""Drain done -> /health updated: the health monitor woken by the analytics client's change of
state, against the same monitor on its timer alone (the anchor: how it worked before).

Both monitors watch one AnalyticsClient (a throwaway PostgreSQL; the embedded ClickHouse behind a
loopback switch). Each round cuts ClickHouse, spools rows, restores it and asks for a drain (what
`invoke spool --drain` does); from the moment the client has replayed every row and says
connected, each monitor's cached report (what /health serves) is polled until it says so.
Default HEALTH_INTERVAL_S (2 s) for both. Medians of the rounds.

    $ python -m benchmarks.bench_health_wake
    {"measurement": "drain done -> /health updated ...", "ours": 1.2, "anchor": 1100.0, ...}
"""

from __future__ import annotations

import json
import logging
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._timing import at_most, row
from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.client import AnalyticsClient, AnalyticsState
from netra_backend.app.analytics.spool.disk import DiskSpool
from netra_backend.app.config import load_settings
from netra_backend.app.db.database_manager import DatabaseManager
from netra_backend.app.health_monitor import HealthMonitor
from netra_devtools.services import postgres
from netra_devtools.services.clickhouse import start_embedded
from netra_devtools.services.switch import LoopbackSwitch

COMMAND = "python -m benchmarks.bench_health_wake"
ROUNDS = 9
INTERVAL_S = 2.0  # HEALTH_INTERVAL_S's default
GOAL_MS = 100.0


def _until(condition: Callable[[], bool], timeout: float = 30.0) -> float:
    """perf_counter() at the first poll where `condition` holds (0.5 ms polls)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.0005)
    return time.perf_counter()


def _shows_drained(monitor: HealthMonitor) -> bool:
    checks = monitor.report()["checks"]
    connection, spool = checks["clickhouse:connection"][0], checks["clickhouse:spool"][0]
    return bool(connection["status"] == "pass" and spool["observedValue"] == 0)


def _round(
    analytics: AnalyticsClient,
    switch: LoopbackSwitch,
    monitors: dict[str, HealthMonitor],
    changes: list[float],
) -> dict[str, float]:
    """One outage and drain; ms from drain done to each monitor's report showing it."""
    switch.down()
    rows = [{"event_id": f"e{i}", "event_type": "b"} for i in range(50)]
    analytics.submit("events", rows).result(timeout=10)  # durable in the spool
    _until(lambda: analytics.state is AnalyticsState.DEGRADED)
    _until(lambda: not any(_shows_drained(m) for m in monitors.values()), 10)
    switch.up()
    before = len(changes)
    analytics.drain_now()
    _until(lambda: len(changes) > before and analytics.state is AnalyticsState.CONNECTED)
    drained = changes[before]  # noted by the client's thread as the change completed
    shown: dict[str, float] = {}  # both polled together: each gets its own first moment

    def both_shown() -> bool:
        for name, monitor in monitors.items():
            if name not in shown and _shows_drained(monitor):
                shown[name] = time.perf_counter()
        return len(shown) == len(monitors)

    _until(both_shown)
    return {name: (at - drained) * 1000 for name, at in shown.items()}


def run() -> list[dict[str, Any]]:
    """Measure and return the benchmark rows (see benchmarks/ runner)."""
    workdir = Path(tempfile.mkdtemp(prefix="netra-bench-wake-"))
    cluster = postgres.start_throwaway()
    server = start_embedded(workdir / "clickhouse")
    switch = LoopbackSwitch("127.0.0.1", server.port)
    db = DatabaseManager(load_settings(database_url=cluster.url("postgres")))
    analytics = AnalyticsClient(
        ClickHouseConfig(f"http://default:@127.0.0.1:{switch.port}/default", 2, 5),
        open_spool=lambda: DiskSpool(workdir / "spool"),
        backoff_base_s=0.2,
        backoff_max_s=30,  # the drain, not the backoff, brings it back
    )
    monitors = {
        name: HealthMonitor(db=db, analytics=analytics, interval_s=INTERVAL_S, probe_timeout_s=2)
        for name in ("ours", "anchor")
    }
    changes: list[float] = []  # perf_counter() of each completed change of state
    analytics.on_state_change(lambda: changes.append(time.perf_counter()))
    analytics.on_state_change(monitors["ours"].wake)  # the anchor keeps its timer alone
    samples: dict[str, list[float]] = {"ours": [], "anchor": []}
    logging.disable(logging.WARNING)  # every outage is on purpose: its warnings are noise here
    try:
        analytics.start()
        for monitor in monitors.values():
            monitor.start()
        _until(lambda: all(_shows_drained(m) for m in monitors.values()))
        for _ in range(ROUNDS):
            for name, ms in _round(analytics, switch, monitors, changes).items():
                samples[name].append(ms)
    finally:
        for monitor in monitors.values():
            monitor.stop()
        analytics.close()
        db.dispose()
        switch.close()
        server.destroy()
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
        logging.disable(logging.NOTSET)
    ours, anchor = statistics.median(samples["ours"]), statistics.median(samples["anchor"])
    return [
        row(
            "drain done (spool replayed, client connected) -> /health's cached report shows it; "
            f"anchor: the same monitor on its {INTERVAL_S:g} s timer alone, {ROUNDS} outages",
            round(ours, 2),
            round(anchor, 1),
            "ms (median)",
            at_most(GOAL_MS, "ms"),
            COMMAND,
        )
    ]


if __name__ == "__main__":
    for each in run():
        print(json.dumps(each))

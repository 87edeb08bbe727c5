"""/health reflects an outage, a reconnect and a drain at once: the analytics client wakes the
health monitor on each change of state, so the report does not wait for the monitor's timer.

Real parts: a throwaway PostgreSQL, the embedded ClickHouse behind a loopback switch that is cut
and restored. The monitor's interval is 60 s here, so only the wake-up can explain an update.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.client import AnalyticsClient, AnalyticsState
from netra_backend.app.analytics.spool.disk import DiskSpool
from netra_backend.app.config import load_settings
from netra_backend.app.db.database_manager import DatabaseManager
from netra_backend.app.health_monitor import HealthMonitor
from netra_devtools.services.switch import LoopbackSwitch

TIMER_S = 60.0  # far longer than any wait below
AT_ONCE_S = 1.0  # generous for a loaded CI machine; the benchmark measures the real figure


def _until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"not within {timeout} s: {what}"
        time.sleep(0.005)
    return time.monotonic() - started


def _clickhouse_status(monitor: HealthMonitor) -> tuple[str, int]:
    checks = monitor.report()["checks"]
    return checks["clickhouse:connection"][0]["status"], checks["clickhouse:spool"][0][
        "observedValue"
    ]


@pytest.fixture
def woken_monitor(
    database_url: str, clickhouse_server: Any, tmp_path: Any
) -> Iterator[tuple[HealthMonitor, AnalyticsClient, LoopbackSwitch]]:
    switch = LoopbackSwitch("127.0.0.1", clickhouse_server.port)
    settings = load_settings(database_url=database_url)
    db = DatabaseManager(settings)
    analytics = AnalyticsClient(
        ClickHouseConfig(f"http://default:@127.0.0.1:{switch.port}/default", 2, 5),
        open_spool=lambda: DiskSpool(tmp_path / "spool"),
        probe_interval_s=0.2,
        backoff_base_s=0.2,
        backoff_max_s=30,  # a reconnect on its own would take long: the drain cuts it short
    )
    monitor = HealthMonitor(db=db, analytics=analytics, interval_s=TIMER_S, probe_timeout_s=2)
    analytics.on_state_change(monitor.wake)
    analytics.start()
    monitor.start()
    try:
        yield monitor, analytics, switch
    finally:
        monitor.stop()
        analytics.close(timeout=5)
        db.dispose()
        switch.close()


def test_health_shows_an_outage_and_the_drain_after_it_without_waiting_for_the_timer(
    woken_monitor: tuple[HealthMonitor, AnalyticsClient, LoopbackSwitch],
) -> None:
    monitor, analytics, switch = woken_monitor
    _until(lambda: analytics.state is AnalyticsState.CONNECTED, 30, "first connect")
    _until(lambda: _clickhouse_status(monitor)[0] == "pass", AT_ONCE_S, "connected shown")

    switch.down()
    rows = [{"event_id": f"e{i}", "event_type": "t"} for i in range(50)]
    analytics.submit("events", rows).result(timeout=10)  # durable in the spool
    _until(lambda: analytics.state is AnalyticsState.DEGRADED, 30, "the outage noticed")
    _until(lambda: _clickhouse_status(monitor) == ("warn", 50), AT_ONCE_S, "outage shown")

    switch.up()
    analytics.drain_now()  # what `invoke spool --drain` asks the backend for
    _until(lambda: analytics.state is AnalyticsState.CONNECTED, 30, "the drain")
    shown_after = _until(
        lambda: _clickhouse_status(monitor) == ("pass", 0), AT_ONCE_S, "the drain shown"
    )
    assert monitor.report()["status"] == "pass"
    assert shown_after < AT_ONCE_S  # the timer (60 s) never fired: the event woke the monitor


def test_a_wake_rebuilds_the_report_without_probing_postgres_again(
    woken_monitor: tuple[HealthMonitor, AnalyticsClient, LoopbackSwitch],
) -> None:
    monitor, analytics, _switch = woken_monitor
    _until(lambda: _clickhouse_status(monitor)[0] == "pass", 30, "connected shown")
    probed_at = monitor.report()["checks"]["postgres:connection"][0]["time"]
    before = monitor.report()
    monitor.wake()
    _until(lambda: monitor.report() is not before, AT_ONCE_S, "a rebuilt report")
    assert monitor.report()["checks"]["postgres:connection"][0]["time"] == probed_at

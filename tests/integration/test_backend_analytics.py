"""AnalyticsClient: durable before it answers, never waits on ClickHouse, ships once it is back,
and its loop outlives what goes wrong in it."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.client import AnalyticsClient, AnalyticsState, AnalyticsUnavailable
from netra_backend.app.analytics.spool.disk import DiskSpool
from netra_devtools.services import faults
from tests.support.skips import BY_DESIGN, service_missing


def _require_chdb() -> None:
    """The embedded ClickHouse engine; missing is a skip, or a failure under NETRA_REQUIRE_SERVICES=1."""
    import importlib.util

    from netra_devtools.compat import WINDOWS

    if WINDOWS:
        pytest.skip(
            BY_DESIGN
            + "chdb has no Windows wheel; analytics runs without the embedded engine there"
        )
    if importlib.util.find_spec("chdb") is None:
        service_missing("chdb (pip extra `embedded`) is not installed")


def _rows(n: int, kind: str = "click") -> list[dict[str, Any]]:
    return [
        {
            "event_id": uuid.uuid4().hex,
            "event_type": kind,
            "user_id": None,
            "properties": "{}",
            "timestamp": "2026-01-01T00:00:00+00:00",
        }
        for _ in range(n)
    ]


def _wait_state(client: AnalyticsClient, state: AnalyticsState, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while client.state is not state:
        assert time.monotonic() < deadline, f"still {client.state} ({client.health()['reason']})"
        time.sleep(0.05)


@pytest.mark.parametrize("fault", [faults.refusing, faults.silent, faults.http_500])
def test_submit_is_durable_at_once_while_clickhouse_fails(fault, tmp_path: Path) -> None:
    with fault() as (host, port):
        config = ClickHouseConfig(f"http://u:pw@{host}:{port}/netra", 1.0, 1.0)
        client = AnalyticsClient(
            config,
            open_spool=lambda: DiskSpool(tmp_path / "spool"),
            probe_interval_s=0.1,
            backoff_base_s=0.05,
        )
        client.start()
        try:
            worst = 0.0
            for _ in range(200):
                started = time.perf_counter()
                client.submit("events", _rows(5)).result(timeout=5)  # durable when it returns
                worst = max(worst, time.perf_counter() - started)
            assert worst < 0.5, f"a durable submit took {worst * 1000:.1f} ms"
            assert client.spool_status()["pending_rows"] == 1000
            _wait_state(client, AnalyticsState.DEGRADED, timeout=5)
            with pytest.raises(AnalyticsUnavailable, match="degraded"):
                client.event_counts()
        finally:
            client.close(timeout=3)


def test_close_commits_what_is_queued_and_a_restart_finds_it(tmp_path: Path) -> None:
    with faults.silent() as (host, port):
        client = AnalyticsClient(
            ClickHouseConfig(f"http://u:pw@{host}:{port}/netra", 1.0, 1.0),
            open_spool=lambda: DiskSpool(tmp_path),
        )
        client.start()
        futures = [client.submit("events", _rows(3)) for _ in range(10)]
        client.close(timeout=0.5)  # the shipper hangs in its first connect; close does not wait
        assert all(future.result(timeout=1) is None for future in futures)
    with DiskSpool(tmp_path) as reopened:
        assert reopened.status()["pending_rows"] == 30


def test_disabled_client_accepts_and_counts_discarded_rows() -> None:
    client = AnalyticsClient(None)
    client.start()
    assert client.submit("events", _rows(3)).result(timeout=1) is None
    assert client.state is AnalyticsState.DISABLED and client.discarded_rows == 3
    client.close()


class FlakySpool(DiskSpool):
    """A real spool whose first ships raise an error nobody planned for (a bug's stand-in)."""

    failures = 2

    def ship(self, send: Any) -> int:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("an error nobody planned for")
        return super().ship(send)


def test_loop_logs_and_counts_an_unexpected_error_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _require_chdb()
    client = AnalyticsClient(
        ClickHouseConfig(f"chdb://{tmp_path / 'ch'}", 5.0, 5.0),
        open_spool=lambda: FlakySpool(tmp_path / "spool"),
        probe_interval_s=0.1,
    )
    client.start()
    try:
        client.submit("events", _rows(4, "after-a-bug")).result(timeout=10)
        deadline = time.monotonic() + 60
        while client.spool_status()["pending_rows"]:
            assert time.monotonic() < deadline, client.health()
            time.sleep(0.05)
        assert client.event_counts() == {"after-a-bug": 4}
        assert client.health()["loop_errors"] == 2
        assert client.state is AnalyticsState.CONNECTED  # ClickHouse was never blamed
    finally:
        client.close()
    assert sum("an error nobody planned for" in r.getMessage() or r.exc_info is not None
               for r in caplog.records if r.name == "netra_backend.analytics") >= 2  # fmt: skip


def test_rows_spooled_while_engine_is_locked_are_shipped_once_when_it_frees(tmp_path):
    _require_chdb()
    path = tmp_path / "ch"
    # chdb opens a data directory from one process only: another process holding it is a real outage.
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import chdb.session as s, sys; x = s.Session({str(path)!r}); x.query('SELECT 1');"
         "print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        client = AnalyticsClient(
            ClickHouseConfig(f"chdb://{path}", 3.0, 3.0),
            open_spool=lambda: DiskSpool(tmp_path / "spool"),
            probe_interval_s=0.1,
            backoff_base_s=0.1,
            backoff_max_s=0.3,
        )
        client.start()
        client.submit("events", _rows(4, "early")).result(timeout=10)
        _wait_state(client, AnalyticsState.DEGRADED, timeout=30)
        assert "EmbeddedServer" in client.health()["reason"] or "lock" in client.health()["reason"]
        client.submit("events", _rows(6, "early")).result(timeout=10)
    finally:
        holder.communicate(input="", timeout=30)
    try:
        _wait_state(client, AnalyticsState.CONNECTED, timeout=60)
        client.submit("events", _rows(2, "late")).result(timeout=10)
        deadline = time.monotonic() + 10
        while (counts := client.event_counts()) != {"early": 10, "late": 2}:
            assert time.monotonic() < deadline, f"rows in ClickHouse: {counts}"
            time.sleep(0.1)
        assert client.spool_status()["pending_rows"] == 0
    finally:
        client.close()


class CountingSpool(DiskSpool):
    """A DiskSpool that counts the inserts it makes (each one still goes to the engine)."""

    inserts = 0

    def ship(self, send: Any) -> int:
        def counted(batch: Any) -> object:
            self.inserts += 1
            return send(batch)

        return super().ship(counted)


def test_a_stream_of_events_becomes_about_one_insert_a_second(tmp_path: Path) -> None:
    _require_chdb()
    spool: list[CountingSpool] = []

    def open_spool() -> CountingSpool:
        spool.append(CountingSpool(tmp_path / "spool"))
        return spool[-1]

    client = AnalyticsClient(
        ClickHouseConfig(f"chdb://{tmp_path / 'ch'}", 5.0, 5.0),
        open_spool=open_spool,
        probe_interval_s=0.1,
    )
    client.start()
    try:
        _wait_state(client, AnalyticsState.CONNECTED, timeout=60)
        started = time.monotonic()
        batches = 0
        while time.monotonic() - started < 2.5:  # 10 events every 20 ms for 2.5 s
            client.submit("events", _rows(10, "stream")).result(timeout=10)
            batches += 1
            time.sleep(0.02)
        deadline = time.monotonic() + 30
        while client.spool_status()["pending_rows"]:
            assert time.monotonic() < deadline, client.health()
            time.sleep(0.05)
        assert client.event_counts() == {"stream": 10 * batches}
    finally:
        client.close()
    assert batches > 50
    # the first batch at once, then at most one insert per second, then what the last second left
    assert 2 <= spool[0].inserts <= 5, spool[0].inserts

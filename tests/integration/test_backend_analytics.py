"""AnalyticsClient and its fallback: never blocks, keeps order, replays once ClickHouse is back."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Any

import pytest

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.client import AnalyticsClient, AnalyticsState, AnalyticsUnavailable
from netra_backend.app.analytics.fallback import MemoryFallback
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


def test_memory_fallback_replays_oldest_first_and_keeps_failed_batch():
    fallback = MemoryFallback()
    fallback.spool("events", _rows(2, "a"))
    fallback.spool("events", _rows(3, "b"))
    seen: list[tuple[str, int, str]] = []

    def fail_on_b(table: str, rows: list[dict[str, Any]], batch_id: str) -> None:
        seen.append((rows[0]["event_type"], len(rows), batch_id))
        if rows[0]["event_type"] == "b":
            raise ConnectionError("ClickHouse went away again")

    assert fallback.replay(fail_on_b) == 2
    assert fallback.status()["pending_rows"] == 3
    assert (
        fallback.replay(lambda table, rows, batch_id: seen.append(("ok", len(rows), batch_id))) == 3
    )
    assert [s[:2] for s in seen] == [("a", 2), ("b", 3), ("ok", 3)]
    assert seen[1][2] == seen[2][2], "a retried batch keeps its batch_id (dedup token)"
    assert fallback.status() == {
        "pending_rows": 0,
        "oldest_age_s": 0.0,
        "dropped_rows": 0,
        "bytes": 0,
        "durable": False,
        "warning": "",
        "directory": None,
    }


def test_memory_fallback_counts_rows_dropped_past_its_limit():
    fallback = MemoryFallback(max_rows=5)
    fallback.spool("events", _rows(4))
    fallback.spool("events", _rows(3))  # would pass the limit: dropped, counted
    fallback.spool("events", _rows(1))
    status = fallback.status()
    assert status["pending_rows"] == 5 and status["dropped_rows"] == 3
    assert status["bytes"] > 0 and status["oldest_age_s"] >= 0


@pytest.mark.parametrize("fault", [faults.refusing, faults.silent, faults.http_500])
def test_insert_never_blocks_nor_raises_while_clickhouse_fails(fault):
    with fault() as (host, port):
        config = ClickHouseConfig(f"http://u:pw@{host}:{port}/netra", 1.0, 1.0)
        client = AnalyticsClient(config, probe_interval_s=0.1, backoff_base_s=0.05)
        client.start()
        try:
            worst = 0.0
            for _ in range(200):
                started = time.perf_counter()
                client.insert("events", _rows(5))
                worst = max(worst, time.perf_counter() - started)
            assert worst < 0.05, f"an insert took {worst * 1000:.1f} ms"
            _wait_state(client, AnalyticsState.DEGRADED, timeout=5)
            deadline = time.monotonic() + 3
            while client.fallback.status()["pending_rows"] < 1000 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert client.fallback.status()["pending_rows"] == 1000
            with pytest.raises(AnalyticsUnavailable, match="degraded"):
                client.event_counts()
        finally:
            client.close(timeout=3)


def test_close_keeps_rows_still_queued_in_the_fallback():
    with faults.silent() as (host, port):
        client = AnalyticsClient(ClickHouseConfig(f"http://u:pw@{host}:{port}/netra", 1.0, 1.0))
        client.start()
        client.insert("events", _rows(3))  # the thread is inside its first (hanging) connect
        client.close(timeout=0.1)  # shutdown does not wait for it, and keeps the rows
        assert client.fallback.status()["pending_rows"] == 3


def test_disabled_client_accepts_and_counts_discarded_rows():
    client = AnalyticsClient(None)
    client.start()
    client.insert("events", _rows(3))
    assert client.state is AnalyticsState.DISABLED and client.discarded_rows == 3
    client.close()


class ReplayTwice(MemoryFallback):
    """A spool that crashed after an insert reached ClickHouse but before it forgot the batch."""

    def replay(self, insert_batch):  # type: ignore[no-untyped-def]
        first = self._batches[0] if self._batches else None
        if first is not None:
            insert_batch(first.table, first.rows, first.batch_id)
        return super().replay(insert_batch)


def test_rows_spooled_while_engine_is_locked_are_replayed_once_when_it_frees(tmp_path):
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
            fallback=ReplayTwice(),
            probe_interval_s=0.1,
            backoff_base_s=0.1,
            backoff_max_s=0.3,
        )
        client.start()
        client.insert("events", _rows(4, "early"))
        _wait_state(client, AnalyticsState.DEGRADED, timeout=30)
        assert "EmbeddedServer" in client.health()["reason"] or "lock" in client.health()["reason"]
        client.insert("events", _rows(6, "early"))
    finally:
        holder.communicate(input="", timeout=30)
    try:
        _wait_state(client, AnalyticsState.CONNECTED, timeout=60)
        client.insert("events", _rows(2, "late"))
        deadline = time.monotonic() + 10
        while (counts := client.event_counts()) != {"early": 10, "late": 2}:
            assert time.monotonic() < deadline, f"rows in ClickHouse: {counts}"
            time.sleep(0.1)
        assert client.fallback.status()["pending_rows"] == 0
    finally:
        client.close()

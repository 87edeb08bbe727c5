"""read_status without the lock, per-replica spool directories, no durable spool (503s), and the
`clickhouse:spool` health check built from a spool's status."""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from functools import partial
from pathlib import Path

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.client import AnalyticsClient, AnalyticsRefused
from netra_backend.app.analytics.spool.disk import DiskSpool, read_status
from netra_backend.app.config import Settings
from netra_backend.app.health_monitor import spool_check_from
from netra_backend.app.startup_module import open_spool

URL = "http://default:@127.0.0.1:9/default"


def _rows(n: int) -> list[dict[str, object]]:
    return [{"event_id": str(i), "event_type": "t"} for i in range(n)]


def test_read_status_works_while_another_spool_holds_the_lock(tmp_path: Path) -> None:
    with DiskSpool(tmp_path / "r1", max_rows=10, policy="drop-oldest") as spool:
        spool.spool("events", _rows(4))
        spool.spool("events", _rows(6))
        spool.spool("events", _rows(5))  # whole oldest records make room: 4, then 6
        status = read_status(tmp_path / "r1")
        assert status["pending_rows"] == 5 == spool.status()["pending_rows"]
        assert status["dropped_rows"] == 10 and status["bytes"] == spool.status()["bytes"]
        assert status["oldest_age_s"] >= 0 and status["directory"] == str(tmp_path / "r1")
        spool.ship(lambda batch: None)
        assert read_status(tmp_path / "r1")["pending_rows"] == 0


def test_read_status_of_a_parent_sums_its_replicas_and_of_nothing_is_empty(tmp_path: Path) -> None:
    for name, count in (("a", 3), ("b", 5)):
        with DiskSpool(tmp_path / name) as spool:
            spool.spool("events", _rows(count))
    (tmp_path / "not-a-spool").mkdir()
    status = read_status(tmp_path)
    assert status["pending_rows"] == 8 and len(status["replicas"]) == 2
    empty = read_status(tmp_path / "missing")
    assert (empty["pending_rows"], empty["oldest_age_s"], empty["dropped_rows"]) == (0, 0.0, 0)


def test_each_replica_spools_in_its_own_directory(tmp_path: Path) -> None:
    settings = Settings(clickhouse_url=URL, clickhouse_spool_dir=tmp_path, netra_replica_id="w/1 x")
    assert settings.replica_spool_dir == tmp_path / "w_1_x"
    spool = open_spool(settings)
    try:
        assert isinstance(spool, DiskSpool) and spool.directory == tmp_path / "w_1_x"
        assert spool.status()["durable"] is True
        owner = (tmp_path / "w_1_x" / "owner.json").read_text()
        assert f'"pid": {os.getpid()}' in owner
    finally:
        spool.close()


def _refusal(future: Future[None]) -> AnalyticsRefused:
    error = future.exception(timeout=10)
    assert isinstance(error, AnalyticsRefused), error
    return error


def test_unusable_directory_refuses_events_and_health_says_why(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    settings = Settings(clickhouse_url=URL, clickhouse_spool_dir=tmp_path / "file")
    client = AnalyticsClient(
        ClickHouseConfig(URL, 0.2, 0.2), open_spool=partial(open_spool, settings)
    )
    client.start()
    try:
        refused = _refusal(client.submit("events", _rows(2)))
        assert "no durable spool" in str(refused) and str(tmp_path / "file") in str(refused)
        assert refused.retry_after_s > 0
        check = spool_check_from(client.spool_status())
        assert check["status"] == "warn" and check["durable"] is False
        assert "503" in check["output"] and "NETRA_REPLICA_ID" in check["output"]
    finally:
        client.close(timeout=2)


def test_spool_held_by_another_process_is_opened_once_it_is_released(tmp_path: Path) -> None:
    holder = DiskSpool(tmp_path)  # a replica with the same id still holds the directory
    client = AnalyticsClient(
        ClickHouseConfig(URL, 0.2, 0.2),
        open_spool=lambda: DiskSpool(tmp_path),
        backoff_base_s=0.05,
        reopen_spool_s=0.1,
    )
    client.start()
    try:
        assert "in use by another process" in str(_refusal(client.submit("events", _rows(1))))
        holder.close()
        deadline = time.monotonic() + 10
        while client.spool is None:
            assert time.monotonic() < deadline, client.spool_status()
            time.sleep(0.05)
        assert client.submit("events", _rows(2)).result(timeout=10) is None
        assert client.spool_status()["durable"] and client.spool_status()["pending_rows"] == 2
    finally:
        client.close(timeout=2)


def test_full_spool_refuses_with_the_limit_and_the_clickhouse_reason(tmp_path: Path) -> None:
    client = AnalyticsClient(
        ClickHouseConfig(URL, 0.2, 0.2),
        open_spool=lambda: DiskSpool(tmp_path, max_rows=3),
        backoff_base_s=5,
    )
    client.start()
    try:
        assert client.submit("events", _rows(3)).result(timeout=10) is None  # durable
        refused = _refusal(client.submit("events", _rows(1)))
        assert str(refused).startswith("spool full")
        assert str(tmp_path) in str(refused) and "CLICKHOUSE_SPOOL_MAX_ROWS" in str(refused)
    finally:
        client.close(timeout=2)
    with DiskSpool(tmp_path) as spool:
        assert spool.status()["pending_rows"] == 3 and spool.status()["dropped_rows"] == 0


def test_spool_check_passes_when_empty_and_warns_on_pending_or_dropped() -> None:
    empty = {"pending_rows": 0, "oldest_age_s": 0.0, "dropped_rows": 0, "bytes": 0, "durable": True}
    assert spool_check_from(empty)["status"] == "pass"
    waiting = spool_check_from({**empty, "pending_rows": 7, "oldest_age_s": 12.5, "bytes": 300})
    assert (waiting["status"], waiting["observedValue"], waiting["observedUnit"]) == (
        "warn",
        7,
        "rows",
    )
    assert waiting["oldestAgeSeconds"] == 12.5 and "oldest 12.5 s" in waiting["output"]
    dropped = spool_check_from({**empty, "dropped_rows": 3})
    assert (
        dropped["status"] == "warn"
        and dropped["droppedRows"] == 3
        and "3 dropped" in dropped["output"]
    )


def test_spool_check_reports_damage_and_disk_errors_and_is_quiet_while_shipping() -> None:
    base = {"pending_rows": 40, "oldest_age_s": 0.2, "dropped_rows": 0, "durable": True}
    assert spool_check_from({**base, "shipping": True})["status"] == "pass"
    stalled = spool_check_from({**base, "shipping": True, "oldest_age_s": 30.0})
    assert stalled["status"] == "warn" and "40 rows waiting" in stalled["output"]
    damaged = spool_check_from(
        {**base, "shipping": True, "damaged_rows": 12, "damaged_bytes": 480,
         "directory": "/s/r1", "damaged_dir": "/s/r1/damaged"}
    )  # fmt: skip
    assert damaged["status"] == "warn" and damaged["damagedRows"] == 12
    assert "12 rows (480 bytes)" in damaged["output"] and "/s/r1/damaged" in damaged["output"]
    full = spool_check_from({**base, "shipping": True, "disk_error": "spool disk: cannot write "
                             "/s/r1/seg-1.log: No space left on device"})  # fmt: skip
    assert full["status"] == "warn" and "No space left" in full["output"]
    assert "503" in full["output"] and "ClickHouse" not in full["output"]


def test_orphaned_replica_spool_is_adopted_shipped_first_and_released(tmp_path: Path) -> None:
    with DiskSpool(tmp_path / "old-pod") as gone:
        gone.spool("events", [{"event_id": "old", "event_type": "t"}])
    live = DiskSpool(tmp_path / "live-pod")  # a replica that still runs: never adopted
    live.spool("events", [{"event_id": "live", "event_type": "t"}])
    settings = Settings(clickhouse_url=URL, clickhouse_spool_dir=tmp_path, netra_replica_id="new")
    spool = open_spool(settings)
    try:
        spool.commit([_record("new")])
        status = spool.status()
        assert status["pending_rows"] == 2 and status["adopted"] == [str(tmp_path / "old-pod")]
        sent: list[str] = []
        spool.ship(lambda batch: sent.extend(r["event_id"] for r in batch.rows))
        assert sent == ["old", "new"]
        assert spool.status()["adopted"] == [] and spool.status()["pending_rows"] == 0
        DiskSpool(tmp_path / "old-pod").close()  # released: another process may take it now
        assert read_status(tmp_path / "live-pod")["pending_rows"] == 1
    finally:
        spool.close()
        live.close()


def _record(event_id: str) -> bytes:
    from netra_backend.app.analytics.spool.records import encode_record

    return encode_record("events", ["event_id", "event_type"], [[event_id], ["t"]])

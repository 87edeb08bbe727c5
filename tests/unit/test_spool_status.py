"""read_status without the lock, per-replica spool directories, the memory last resort, and the
`clickhouse:spool` health check built from a spool's status."""

from __future__ import annotations

import os
from pathlib import Path

from netra_backend.app.analytics.fallback import MemoryFallback
from netra_backend.app.analytics.spool.disk import DiskSpool, read_status
from netra_backend.app.config import Settings
from netra_backend.app.health_monitor import spool_check_from
from netra_backend.app.startup_module import make_fallback

URL = "http://default:@127.0.0.1:9/default"


def _rows(n: int) -> list[dict[str, object]]:
    return [{"event_id": str(i), "event_type": "t"} for i in range(n)]


def test_read_status_works_while_another_spool_holds_the_lock(tmp_path: Path) -> None:
    with DiskSpool(tmp_path / "r1", max_rows=10) as spool:
        spool.spool("events", _rows(4))
        spool.spool("events", _rows(20))  # 6 fit, 14 dropped
        status = read_status(tmp_path / "r1")
        assert status["pending_rows"] == 10 == spool.status()["pending_rows"]
        assert status["dropped_rows"] == 14 and status["bytes"] == spool.status()["bytes"]
        assert status["oldest_age_s"] >= 0 and status["directory"] == str(tmp_path / "r1")
        spool.replay(lambda table, rows, batch_id: None)
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
    fallback = make_fallback(settings)
    try:
        assert isinstance(fallback, DiskSpool) and fallback.directory == tmp_path / "w_1_x"
        assert fallback.status()["durable"] is True
        owner = (tmp_path / "w_1_x" / "owner.json").read_text()
        assert f'"pid": {os.getpid()}' in owner
    finally:
        fallback.close()  # type: ignore[attr-defined]


def test_unusable_directory_falls_back_to_memory_and_health_says_so(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    settings = Settings(clickhouse_url=URL, clickhouse_spool_dir=tmp_path / "file")
    fallback = make_fallback(settings)
    assert isinstance(fallback, MemoryFallback)
    check = spool_check_from(fallback.status())
    assert check["status"] == "warn" and check["durable"] is False
    assert "lost on restart" in check["output"] and "NETRA_REPLICA_ID" in check["output"]


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


def test_orphaned_replica_spool_is_adopted_replayed_first_and_released(tmp_path: Path) -> None:
    with DiskSpool(tmp_path / "old-pod") as gone:
        gone.spool("events", [{"event_id": "old", "event_type": "t"}])
    live = DiskSpool(tmp_path / "live-pod")  # a replica that still runs: never adopted
    live.spool("events", [{"event_id": "live", "event_type": "t"}])
    settings = Settings(clickhouse_url=URL, clickhouse_spool_dir=tmp_path, netra_replica_id="new")
    fallback = make_fallback(settings)
    try:
        fallback.spool("events", [{"event_id": "new", "event_type": "t"}])
        status = fallback.status()
        assert status["pending_rows"] == 2 and status["adopted"] == [str(tmp_path / "old-pod")]
        sent: list[str] = []
        fallback.replay(lambda table, rows, batch_id: sent.extend(r["event_id"] for r in rows))
        assert sent == ["old", "new"]
        assert fallback.status()["adopted"] == [] and fallback.status()["pending_rows"] == 0
        DiskSpool(tmp_path / "old-pod").close()  # released: another process may take it now
        assert read_status(tmp_path / "live-pod")["pending_rows"] == 1
    finally:
        fallback.close()  # type: ignore[attr-defined]
        live.close()

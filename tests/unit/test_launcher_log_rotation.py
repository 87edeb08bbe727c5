"""Each local-mode run logs to a fresh backend.log; the previous run is kept beside it."""

from __future__ import annotations

from pathlib import Path

from netra_devtools.launcher.local import rotate_log


def test_previous_run_moves_aside_and_is_not_read_as_a_current_log(tmp_path: Path) -> None:
    log = tmp_path / "backend.log"
    log.write_text("ClickHouse unavailable, analytics degraded\n", encoding="utf-8")
    assert rotate_log(log) == log
    assert not log.exists()
    assert (tmp_path / "backend.log.1").read_text(encoding="utf-8").startswith("ClickHouse")
    assert sorted(p.name for p in tmp_path.glob("*.log")) == []


def test_second_rotation_keeps_only_the_last_run(tmp_path: Path) -> None:
    log = tmp_path / "backend.log"
    for run in ("first", "second"):
        log.write_text(run, encoding="utf-8")
        rotate_log(log)
    assert (tmp_path / "backend.log.1").read_text(encoding="utf-8") == "second"


def test_first_run_has_nothing_to_rotate(tmp_path: Path) -> None:
    assert rotate_log(tmp_path / "backend.log") == tmp_path / "backend.log"
    assert list(tmp_path.iterdir()) == []

"""`invoke spool`: status without the lock, drain here or through the backend that holds the
spool, discard with confirmation; exit codes and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netra_backend.app.analytics.spool.disk import DiskSpool
from netra_devtools.analytics.cli import main
from netra_devtools.services.backend import BackendProcess
from tests.integration.test_analytics_end_to_end import (
    _post,
    _schema_ready,
    _spool_check,
    _stored,
    _wait,
    backend_factory,  # noqa: F401 - the fixture
)

REPO = Path(__file__).resolve().parents[2]


def _spool_rows(directory: Path, count: int, tag: str = "cli") -> None:
    with DiskSpool(directory) as spool:
        for start in range(0, count, 50):
            rows = [
                {"event_id": f"{tag}{i}", "event_type": tag, "user_id": None, "properties": {}}
                for i in range(start, min(start + 50, count))
            ]
            spool.spool("events", rows)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["spool", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_status_sums_replicas_and_reads_a_spool_nobody_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _spool_rows(tmp_path / "spool" / "r1", 120)
    _spool_rows(tmp_path / "spool" / "r2", 30)
    code, out, _ = _run(capsys, "--json", "--dir", str(tmp_path / "spool"))
    status = json.loads(out)
    assert code == 0 and status["pending_rows"] == 150 and status["dropped_rows"] == 0
    assert [r["pending_rows"] for r in status["replicas"]] == [120, 30]
    code, out, _ = _run(capsys, "--dir", str(tmp_path / "spool"))
    assert code == 0 and "r1" in out and "120" in out and "r2" in out


def test_drain_without_a_backend_replays_into_clickhouse_exactly_once(
    tmp_path: Path, clickhouse_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _spool_rows(tmp_path / "spool" / "r1", 200, tag="drain-here")
    code, _, err = _run(capsys, "--drain", "--dir", str(tmp_path / "spool"))
    assert code == 1 and "--url" in err  # nowhere to drain into
    code, out, _ = _run(
        capsys,
        "--drain",
        "--json",
        "--dir",
        str(tmp_path / "spool"),
        "--url",
        clickhouse_server.url,
    )
    result = json.loads(out)
    assert code == 0, result
    assert result["results"][0]["sent"] == 200 and result["status"]["pending_rows"] == 0
    assert _stored(clickhouse_server.url, "drain-here") == (200, 200)


def test_discard_asks_for_confirmation_then_deletes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _spool_rows(tmp_path / "spool" / "r1", 80)
    code, _, err = _run(capsys, "--discard", "--dir", str(tmp_path / "spool"))
    assert code == 2 and err.startswith("error: ") and "--yes" in err  # stdin is not a tty
    code, out, _ = _run(capsys, "--discard", "--yes", "--json", "--dir", str(tmp_path / "spool"))
    result = json.loads(out)
    assert code == 0 and result["results"][0]["discarded"] == 80
    assert result["status"]["pending_rows"] == 0


@pytest.mark.parametrize(
    "argv",
    [["--drain", "--discard"], ["--timeout", "0"], ["--drain", "--url", "ftp://x"], ["--bogus"]],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _spool_rows(tmp_path / "spool" / "r1", 5)
    code, _, err = _run(capsys, *argv, "--dir", str(tmp_path / "spool"))
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_drain_and_discard_go_through_the_backend_that_holds_the_spool(
    backend_factory: Callable[..., BackendProcess],  # noqa: F811
    clickhouse_server: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clickhouse_server.stop()
    # A long backoff: the backend would not retry by itself within this test.
    backend = backend_factory(
        CLICKHOUSE_URL=clickhouse_server.url, CLICKHOUSE_RETRY_MAX_S="120", HEALTH_INTERVAL_S="0.2"
    )
    _post(backend, "via-backend", 150, batch=50)
    _wait(lambda: _spool_check(backend)["observedValue"] == 150, 15, "150 rows spooled")
    time.sleep(2)  # a few failed reconnects: the next one is seconds away
    clickhouse_server.start()
    started = time.monotonic()
    code, out, err = _run(capsys, "--drain", "--json", "--dir", str(tmp_path / "spool"))
    assert code == 0, err
    result = json.loads(out)["results"][0]
    assert result["drained"] and result["via"].startswith(f"backend pid {backend.proc.pid}")
    assert time.monotonic() - started < 5  # measured ~0.5 s here
    _wait(lambda: _schema_ready(clickhouse_server.url), 10, "the schema")
    assert _stored(clickhouse_server.url, "via-backend") == (150, 150)

    clickhouse_server.stop()
    _post(backend, "to-discard", 40)
    _wait(lambda: _spool_check(backend)["observedValue"] == 40, 15, "40 rows spooled")
    code, out, err = _run(capsys, "--discard", "--yes", "--json", "--dir", str(tmp_path / "spool"))
    assert code == 0, err
    assert json.loads(out)["results"][0]["discarded"] == 40
    _wait(lambda: _spool_check(backend)["observedValue"] == 0, 10, "an empty spool")


def test_invoke_spool_task_prints_json(tmp_path: Path) -> None:
    _spool_rows(tmp_path / "spool" / "r1", 7)
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "spool", "--json", "--dir", str(tmp_path / "spool")],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pending_rows"] == 7

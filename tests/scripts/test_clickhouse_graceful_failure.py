"""scripts/test_clickhouse_graceful_failure.py (invoke check-clickhouse): real backends, real
PostgreSQL, the embedded engine or a server given by --url, faults on loopback sockets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "test_clickhouse_graceful_failure.py"


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from netra_devtools.analytics.cli import main

    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_unreachable_server_fails_with_one_masked_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from netra_devtools.services import faults

    with faults.refusing() as (host, port):
        url = f"http://default:S3cret-Pw@{host}:{port}/default"
        code, out, err = _main(
            ["--url", url, "--database-url", database_url, "--scenario", "healthy",
             "--events", "10"],
            capsys,
        )  # fmt: skip
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "S3cret-Pw" not in out + err and f"{host}:{port}" in err


def test_outage_and_fault_scenarios_against_a_given_server_lose_nothing(
    clickhouse_url: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(
        ["--url", clickhouse_url, "--database-url", database_url,
         "--scenario", "silent,outage", "--events", "200", "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    rows = {row["scenario"]: row for row in report["scenarios"]}
    for name in ("silent", "outage"):
        row = rows[name]
        assert (row["sent"], row["stored"], row["spooled"], row["lost"]) == (200, 200, 200, 0)
        assert row["health"] == "warn" and 0 < row["startup_to_ready_s"] < 30
    assert report["summary"] == {"sent": 400, "stored": 400, "lost": 0, "ok": True}


def test_batches_past_a_small_spool_limit_are_refused_not_lost(
    clickhouse_url: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _main(
        ["--url", clickhouse_url, "--database-url", database_url, "--scenario", "refused",
         "--events", "200", "--spool-max-rows", "150", "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0
    row = json.loads(out)["scenarios"][0]
    assert (row["sent"], row["stored"], row["refused"], row["lost"]) == (100, 100, 100, 0)


@pytest.mark.parametrize(
    "argv",
    [
        ["--scenario", "bogus"],
        ["--events", "0"],
        ["--url", "ftp://example.org/db"],
        ["--url", "http://default:S3cret-Pw@127.0.0.1:notaport/db"],
        ["--database-url", "mysql://x@y/z"],
        ["--no-such-flag"],
    ],
)
def test_bad_input_is_one_masked_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "S3cret-Pw" not in err


def test_invoke_check_clickhouse_on_throwaway_services_prints_a_table() -> None:
    """The invoke task with its own throwaway PostgreSQL and embedded engine."""
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "check-clickhouse", "--scenario", "unset,crash",
         "--events", "100"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    assert "crash" in done.stdout and "ok: 100 events sent, 100 stored, none lost" in done.stdout


def test_help_is_the_docstring_with_a_sample_run() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0 and "Sample run" in done.stdout and "--url" in done.stdout

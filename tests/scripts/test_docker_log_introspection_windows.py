"""scripts/docker_log_introspection_windows.py as people and CI run it: files, stdin, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netra_devtools.compat import WINDOWS
from tests.support.skips import by_design, require_module

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "docker_log_introspection_windows.py"


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def _known_log(data_dir: Path, tmp_path: Path) -> Path:
    """known_errors.tsv as a compose log: prefixed, timestamped, one line per row."""
    lines = []
    for raw in (data_dir / "known_errors.tsv").read_text("utf-8").splitlines():
        if raw and not raw.startswith("#"):
            lines.append(f"backend-1  | 2026-01-01T00:00:00.000000000Z {raw.split(chr(9), 1)[1]}")
    log = tmp_path / "compose.log"
    log.write_text("\n".join(lines) + "\n", "utf-8")
    return log


def test_file_with_known_errors_exits_1_and_json_follows_the_contract(
    data_dir: Path, tmp_path: Path
) -> None:
    result = _run("--file", str(_known_log(data_dir, tmp_path)), "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"findings", "summary"}
    assert report["summary"]["lines"] == 20
    assert report["summary"]["findings"] == 16
    assert report["summary"]["by_signature"]["port-in-use"] == 3
    first = report["findings"][0]
    assert set(first) == {
        "signature",
        "learning",
        "line",
        "source",
        "text",
        "cause",
        "fix",
        "fix_task",
    }
    assert first["line"] == 1 and first["signature"] == "port-in-use"
    assert first["fix_task"] == "invoke fix-port" and "invoke check-port" in first["fix"]
    assert first["cause"].strip() and first["cause"] != first["fix"]
    assert first["source"].endswith("compose.log")
    assert first["text"].startswith("ERROR:    [Errno 98]")


def test_stdin_source_is_named_stdin_and_secrets_are_masked() -> None:
    log = b'ok\nsqlalchemy: postgresql+psycopg2://app:s3cr3t@db/app could not translate host name "db" to address\n'
    result = _run("--file", "-", "--json", stdin=log)
    assert result.returncode == 1
    finding = json.loads(result.stdout)["findings"][0]
    assert (finding["source"], finding["line"], finding["signature"]) == (
        "stdin",
        2,
        "postgres-unreachable",
    )
    assert "s3cr3t" not in result.stdout


def test_clean_log_exits_0_with_a_table_for_people(tmp_path: Path) -> None:
    log = tmp_path / "clean.log"
    log.write_bytes(
        b"INFO:     Uvicorn running on http://0.0.0.0:8000\r\n\xff\xfe\x00 binary junk\n"
    )
    result = _run("--file", str(log))
    assert result.returncode == 0
    assert "No known problems in 2 line(s)." in result.stdout


def test_table_groups_by_signature_with_the_fix_task(data_dir: Path, tmp_path: Path) -> None:
    result = _run("--file", str(_known_log(data_dir, tmp_path)))
    assert result.returncode == 1
    assert "16 finding(s) in 20 line(s)" in result.stdout
    assert "invoke fix-port" in result.stdout and "invoke migrate" in result.stdout


def test_table_fits_80_columns_even_for_a_long_path(data_dir: Path, tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-rather-long-directory-name"] * 6)
    deep.mkdir(parents=True)
    log = deep / "compose-logs-of-the-whole-stack.log"
    log.write_bytes(_known_log(data_dir, tmp_path).read_bytes())
    result = _run("--file", str(log))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert any("│ port-in-use " in line and "│     3 │ 1 " in line for line in lines)


@by_design(WINDOWS, "FIFOs and /dev/zero are POSIX")
@pytest.mark.parametrize("kind", ["fifo", "char-device", "directory", "socket"])
def test_a_path_that_is_not_a_regular_file_is_refused_without_opening_it(
    kind: str, tmp_path: Path
) -> None:
    import socket

    target = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(target)  # no writer: opening it for reading would block forever
    elif kind == "char-device":
        target = Path("/dev/zero")
    elif kind == "directory":
        target.mkdir()
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(target))
    result = _run("--file", str(target))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: --file {target}: ") and "not a regular file" in (
        result.stderr
    )
    assert result.stderr.count("\n") == 1 and result.stdout == ""


@pytest.mark.parametrize("engine", ["re2", "hyperscan"])
def test_both_engines_report_the_same_findings(engine: str, data_dir: Path, tmp_path: Path) -> None:
    require_module("hyperscan") if engine == "hyperscan" else None
    result = _run("--file", str(_known_log(data_dir, tmp_path)), "--json", "--engine", engine)
    assert result.returncode == 1, result.stderr
    found = [(f["line"], f["signature"]) for f in json.loads(result.stdout)["findings"]]
    assert len(found) == 16 and found[0] == (1, "port-in-use")


def test_unknown_engine_in_the_environment_is_bad_usage() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--file", "-"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "NETRA_INTROSPECT_ENGINE": "grep"},
    )
    assert result.returncode == 2
    assert (
        result.stderr.startswith("error: unknown engine 'grep'") and result.stderr.count("\n") == 1
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--file", "/definitely/not/here.log"],
        ["--file", "x.log", "--service", "backend"],
        ["--since", "yesterday-ish", "--project", "p"],
        ["--max-findings", "0", "--file", "-"],
        ["--learnings", "/no/such/dir", "--file", "-"],
        ["--bogus"],
    ],
)
def test_bad_usage_exits_2_with_one_error_line(args: list[str]) -> None:
    result = _run(*args, stdin=b"")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_help_is_the_docstring_with_a_sample_run() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert "Sample run" in result.stdout and "--follow" in result.stdout


@by_design(WINDOWS, "SIGINT delivery to a child differs on Windows")
def test_ctrl_c_exits_130() -> None:
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--file", "-", "--follow"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b"OSError: [Errno 98] Address already in use\n")
        process.stdin.flush()
        line = process.stdout.readline()  # the finding arrives while stdin stays open
        assert b"port-in-use" in line
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.mark.parametrize("compose_cli", [False, True], ids=["no-cli", "cli-without-engine"])
def test_bare_command_without_docker_names_the_three_ways_to_give_input(
    tmp_path: Path, compose_cli: bool
) -> None:
    bin_dir = tmp_path / "bin"  # a PATH with python, and the compose CLI but no engine behind it
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    if compose_cli:
        import shutil

        from tests.conftest import service_missing

        found = shutil.which("docker-compose")
        if found is None:
            service_missing("docker-compose (the compose CLI) is not installed")
        (bin_dir / "docker-compose").symlink_to(found)
    env = {
        **os.environ,
        "DOCKER_HOST": f"unix://{tmp_path}/gone.sock",
        "HOME": str(tmp_path),
        "DOCKER_CONFIG": str(tmp_path / "docker-config"),
        "PATH": str(bin_dir),
    }
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "gone.sock" not in result.stderr
    for way in ("--file PATH", "--file -", "--file .netra/logs/backend.log"):
        assert way in result.stderr

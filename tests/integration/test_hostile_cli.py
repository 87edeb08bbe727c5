"""The real command lines against what a tester threw at them: empty required settings, FIFOs and
devices for file options, passwords in query strings, short ones, ones equal to the user name, and
driver log lines while ClickHouse is down."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_devtools.services import faults
from netra_devtools.services.backend import start_backend
from tests.conftest import REPO_ROOT

DRIVER_LINE = "Unexpected Http Driver Exception"


def _run(
    args: list[str], tmp_path: Path, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """A CLI in a child process: no inherited settings, its own state directory and cwd."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NETRA_", "CLICKHOUSE_", "DB_")) and k != "DATABASE_URL"
    }
    base.update(
        {"NETRA_STATE_DIR": str(tmp_path / "state"), "DOCKER_HOST": "unix:///nonexistent.sock"}
    )
    return subprocess.run(
        [sys.executable, *args], env={**base, **env}, cwd=tmp_path, capture_output=True,
        text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


# --- empty required settings ------------------------------------------------------------------


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_an_empty_database_url_is_bad_input_naming_the_variable(where: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": ""} if where == "environment" else {}
    if where == ".env":
        (tmp_path / ".env").write_text("NETRA_ENV=development\nDATABASE_URL=\n", encoding="utf-8")
    started = time.monotonic()
    done = _run(["-m", "netra_backend", "--port", "1"], tmp_path, **env)
    assert done.returncode == 2
    assert "DATABASE_URL" in _one_error_line(done) and "empty" in done.stderr
    assert time.monotonic() - started < 10  # no 8 s of retries against localhost:5432


def test_invoke_migrate_refuses_an_empty_database_url(tmp_path: Path) -> None:
    done = _run(["-m", "netra_devtools.migrate"], tmp_path, DATABASE_URL="  ")
    assert done.returncode == 2 and "DATABASE_URL" in _one_error_line(done)


# --- paths that are not regular files ---------------------------------------------------------


@pytest.fixture
def special_files(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A FIFO nobody writes to, a listening Unix socket, and /dev/zero."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("FIFOs, Unix sockets and /dev/zero are POSIX")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen()
    try:
        yield {"FIFO": str(fifo), "socket": str(sock_path), "device": "/dev/zero"}
    finally:
        server.close()


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "netra_devtools.analytics", "spool", "--dir", "{path}"],
        ["-m", "netra_devtools.analytics", "spool", "--drain", "--dir", "{path}"],
        ["-m", "netra_devtools.learnings", "introspect", "--compose-file", "{path}"],
        ["-m", "tools.lint_workflows", "{path}"],
        ["-m", "tools.lint_workflows", "--noxfile", "{path}"],
    ],
    ids=["spool", "spool-drain", "introspect-compose-file", "lint-workflows", "lint-noxfile"],
)
def test_a_fifo_socket_or_device_is_refused_at_once(
    command: list[str], special_files: dict[str, str], tmp_path: Path
) -> None:
    for kind, path in special_files.items():
        args = [part.replace("{path}", path) for part in command]
        done = _run(args, tmp_path, timeout=20, PYTHONPATH=str(REPO_ROOT))
        assert done.returncode == 2, (kind, done.stderr)
        assert kind.lower() in _one_error_line(done).lower() or "not a directory" in done.stderr


def test_a_regular_file_given_as_the_spool_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    done = _run(["-m", "netra_devtools.analytics", "spool", "--dir", "plain"], tmp_path)
    assert done.returncode == 2 and "not a directory" in _one_error_line(done)


# --- masking through the real command lines ---------------------------------------------------


@pytest.mark.parametrize("key", ["password", "sslpassword"])
def test_a_query_string_password_never_reaches_invoke_doctor_json(key: str, tmp_path: Path) -> None:
    secret = "Zr7-QuerySecret"
    with faults.refusing() as (host, port):
        url = f"postgresql://app@{host}:{port}/netra?sslmode=disable&{key}={secret}"
        done = _run(["-m", "netra_devtools.doctor", "--json", "--check", "postgres"], tmp_path,
                    DATABASE_URL=url)  # fmt: skip
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["checks"][0]["status"] == "fail"
    assert secret not in done.stdout + done.stderr
    assert f"{key}=***" in report["checks"][0]["reason"]


def test_a_one_character_password_leaves_the_words_of_the_message_whole(tmp_path: Path) -> None:
    with faults.refusing() as (host, port):
        done = _run(["-m", "netra_backend", "--port", "1"], tmp_path, DB_CONNECT_RETRIES="2",
                    DB_RETRY_BACKOFF_S="0", DATABASE_URL=f"postgresql://app:t@{host}:{port}/netra")  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "after 2 attempt(s)" in done.stderr and "start PostgreSQL" in done.stderr
    assert "(attempt 1/2)" in done.stderr  # the retry warning, through the logging setup
    assert "***" not in done.stderr, done.stderr  # was `a***emp***(s)`, `s***ar***`


def test_a_password_equal_to_the_user_name_leaves_the_user_name_readable(
    postgres_server: Any, tmp_path: Path
) -> None:
    user = f"hostile_{uuid.uuid4().hex[:6]}"  # no such role: PostgreSQL names the user it refused
    url = postgres_server.url("postgres")
    address = url.split("@", 1)[1]
    done = _run(["-m", "netra_backend", "--port", "1"], tmp_path, DB_CONNECT_RETRIES="1",
                DATABASE_URL=f"postgresql://{user}:{user}@{address}")  # fmt: skip
    line = _one_error_line(done)
    assert done.returncode == 1 and f'for user "{user}"' in line, line
    assert f":{user}@" not in done.stderr  # the password itself, where a URL shows it


# --- driver log lines -------------------------------------------------------------------------


def test_invoke_doctor_prints_no_driver_line_while_clickhouse_is_down(tmp_path: Path) -> None:
    with faults.refusing() as (host, port):
        done = _run(["-m", "netra_devtools.doctor", "--json", "--check", "clickhouse"], tmp_path,
                    CLICKHOUSE_URL=f"http://default:Ch-Secret9@{host}:{port}/netra")  # fmt: skip
    assert json.loads(done.stdout)["checks"][0]["status"] == "warn"
    assert DRIVER_LINE not in done.stderr and "Traceback" not in done.stderr
    assert "Ch-Secret9" not in done.stdout + done.stderr


def test_the_backend_log_has_our_masked_line_and_no_driver_traceback(
    database_url: str, tmp_path: Path
) -> None:
    with faults.refusing() as (host, port):
        backend = start_backend(
            {"DATABASE_URL": database_url, "CLICKHOUSE_SPOOL_DIR": str(tmp_path / "spool"),
             "CLICKHOUSE_URL": f"http://default:Ch-Secret9@{host}:{port}/netra",
             "CLICKHOUSE_RETRY_MAX_S": "0.5", "HEALTH_INTERVAL_S": "0.2"},
            log_dir=tmp_path,
        )  # fmt: skip
        try:
            backend.wait_for("/health/ready", 200, timeout=30)
            time.sleep(2)  # several reconnect attempts, each refused
        finally:
            backend.stop()
    log = backend.log_text()
    assert "ClickHouse unavailable, analytics degraded" in log
    assert DRIVER_LINE not in log and "Traceback" not in log
    assert "Ch-Secret9" not in log

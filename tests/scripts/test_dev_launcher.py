"""scripts/dev_launcher.py: --help, bad usage, and `health` against real sockets and PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "dev_launcher.py"


def _run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NETRA_HEALTH", "DATABASE_URL", "CLICKHOUSE_URL"))
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_help_is_the_docstring_with_a_sample_run() -> None:
    done = _run("--help")
    assert done.returncode == 0
    assert "Start the development stack with one command" in done.stdout
    assert "$ python scripts/dev_launcher.py --mode auto" in done.stdout


@pytest.mark.parametrize(
    "args",
    [("--mode", "cloud"), ("--port", "70000"), ("up", "--port", "http"), ("logs", "--tail", "x")],
    ids=["mode", "port-range", "port-text", "tail"],
)
def test_bad_usage_is_one_error_line_and_exit_2(args: tuple[str, ...]) -> None:
    done = _run(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in done.stderr


class _HealthHandler(BaseHTTPRequestHandler):
    body = b'{"status": "warn"}'

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Type", "application/health+json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def backend_stand_in() -> Iterator[int]:
    """A real HTTP server on loopback answering /health like the backend does when degraded."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HealthHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again: connecting is refused


def _state_env(tmp_path: Path, backend_port: int, database_url: str) -> dict[str, str]:
    root = tmp_path / ".netra"
    root.mkdir()
    state = {
        "mode": "local",
        "ports": {"backend": backend_port},
        "urls": {"backend": f"http://127.0.0.1:{backend_port}", "DATABASE_URL": database_url},
    }
    (root / "state.json").write_text(json.dumps(state))
    return {"NETRA_STATE_DIR": str(root)}


def test_health_json_reports_each_service_and_marks_extras_optional(
    tmp_path: Path, backend_stand_in: int, database_url: str
) -> None:
    auth = _refused_port()
    env = _state_env(tmp_path, backend_stand_in, database_url)
    env["NETRA_HEALTH_EXTRA"] = f"auth=http://127.0.0.1:{auth}/health"
    done = _run("health", "--json", "--timeout", "2", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    by_name = {s["name"]: s for s in result["services"]}
    assert by_name["backend"]["status"] == "warn"  # the backend's own verdict is shown
    assert by_name["postgres"]["status"] == "pass"
    assert by_name["postgres"]["detail"].startswith("PostgreSQL ")
    assert by_name["clickhouse"]["status"] == "skipped"
    assert by_name["auth"]["optional"] and by_name["auth"]["status"] == "warn"
    assert "unreachable" in by_name["auth"]["detail"]
    assert all(
        isinstance(s["latency_ms"], float) for s in result["services"] if s["status"] != "skipped"
    )
    assert result["status"] == "warn"
    password = database_url.split(":")[2].split("@")[0]
    assert password not in done.stdout + done.stderr


def test_health_fails_with_exit_1_when_the_backend_is_down(
    tmp_path: Path, database_url: str
) -> None:
    env = _state_env(tmp_path, _refused_port(), database_url)
    done = _run("health", "--json", env=env)
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["status"] == "fail"
    backend = next(s for s in result["services"] if s["name"] == "backend")
    assert backend["status"] == "fail" and "refused" in backend["detail"].lower()


def test_health_table_lists_services_from_a_config_file(
    tmp_path: Path, backend_stand_in: int, database_url: str
) -> None:
    config = tmp_path / "health.toml"
    config.write_text(
        f'[[service]]\nname = "frontend"\nurl = "http://127.0.0.1:{backend_stand_in}/health"\n'
    )
    env = {
        **_state_env(tmp_path, backend_stand_in, database_url),
        "NETRA_HEALTH_CONFIG": str(config),
        "COLUMNS": "200",  # the table must not wrap names
    }
    done = _run("health", env=env)
    assert done.returncode == 0, done.stderr
    for name in ("backend", "postgres", "clickhouse", "frontend (optional)"):
        assert name in done.stdout


def test_health_rejects_a_malformed_extra_list_with_one_line() -> None:
    done = _run("health", env={"NETRA_HEALTH_EXTRA": "auth:8081"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: NETRA_HEALTH_EXTRA: expected name=http(s)://..., got 'auth:8081'"
    ]


def test_down_with_nothing_recorded_says_so(tmp_path: Path) -> None:
    done = _run("down", env={"NETRA_STATE_DIR": str(tmp_path / ".netra")})
    assert done.returncode == 0
    assert "nothing recorded as running" in done.stdout


def test_invoke_tasks_are_listed_and_documented() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "--list"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for task in ("dev", "down", "reset", "logs", "health"):
        assert f"  {task} " in done.stdout

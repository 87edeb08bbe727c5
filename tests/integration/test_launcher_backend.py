"""Local mode's backend step with real processes, before netra_backend's entry point is merged.

The launcher's hook `steps.backend_command` is pointed at a stand-in: a real Python HTTP server
process (it serves /health/ready, starts a child of its own, or fails the way a backend does).
Everything else is the real launcher: PostgreSQL, state.json, readiness polling, stop.
"""

from __future__ import annotations

import io
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_devtools.errors import StackError
from netra_devtools.launcher import local, steps
from netra_devtools.services.postgres import free_port
from netra_devtools.state import load_state
from tests.conftest import service_missing

# Serves /health/ready after a short start-up, with a child process that listens too (the
# reloader-style grandchild that must not survive Ctrl-C). Fails when DATABASE_URL is missing.
_STAND_IN = r"""
import http.server, os, socket, subprocess, sys, time
port = int(sys.argv[sys.argv.index("--port") + 1])
mode = os.environ["STAND_IN_MODE"]
if not os.environ.get("DATABASE_URL", "").startswith("postgresql+psycopg2://"):
    sys.exit("error: DATABASE_URL not set")
if mode == "crash":
    print("error: cannot reach 127.0.0.1:1 (is PostgreSQL running?)", flush=True)
    sys.exit(1)
child = subprocess.Popen([sys.executable, "-c",
    "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', %s)); s.listen(); time.sleep(600)"
    % os.environ["STAND_IN_CHILD_PORT"]])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = mode == "ready" and self.path == "/health/ready"
        self.send_response(200 if ok else 503); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *a):
        print("GET", self.path, flush=True)
time.sleep(0.5)
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
"""


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def stack_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from netra_devtools.services import postgres

    try:
        postgres.find_binaries()
    except postgres.PostgresUnavailable as exc:
        service_missing(f"PostgreSQL: {exc}")
    workdir = Path(tempfile.mkdtemp(prefix="netra-launcher-backend-"))
    workdir.chmod(0o755)  # reachable by the unprivileged PostgreSQL user (see test_launcher_local)
    monkeypatch.setattr(steps, "backend_available", lambda: steps.StepResult("ok", "stand-in"))
    monkeypatch.setattr(
        steps,
        "backend_command",
        lambda port, host="127.0.0.1": [sys.executable, "-c", _STAND_IN, "--port", str(port)],
    )
    stacks: list[local.LocalStack] = []

    def make(mode: str, child_port: int, timeout: float = 20) -> local.LocalStack:
        monkeypatch.setenv("STAND_IN_MODE", mode)
        monkeypatch.setenv("STAND_IN_CHILD_PORT", str(child_port))
        options = local.LocalOptions(
            root=workdir / ".netra",
            backend_port=free_port(),
            postgres_port=free_port(),
            no_clickhouse=True,
            ready_timeout=timeout,
        )
        from rich.console import Console

        stack = local.LocalStack(options, Console(file=io.StringIO(), width=200))
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def test_backend_gets_the_database_url_is_awaited_and_stops_with_its_children(
    stack_factory: Any,
) -> None:
    child_port = free_port()
    stack = stack_factory("ready", child_port)
    state = stack.start()
    stack.mark_ready()
    port = stack.options.backend_port
    assert (
        load_state(stack.options.root)["ready"]
        and state["urls"]["backend"] == f"http://127.0.0.1:{port}"
    )
    assert {p["name"] for p in load_state(stack.options.root)["processes"]} == {
        "launcher",
        "postgres",
        "backend",
    }
    assert _listening(port) and _listening(child_port)
    stack.stop()
    assert not _listening(port)
    assert not _listening(child_port)  # the backend's own child went with it
    assert not _listening(stack.options.postgres_port or 0)
    assert load_state(stack.options.root) == {}


def test_backend_that_exits_fails_the_start_with_its_last_log_line(stack_factory: Any) -> None:
    stack = stack_factory("crash", free_port())
    with pytest.raises(StackError, match=r"backend exited with code 1: .*is PostgreSQL running\?"):
        stack.start()


def test_backend_never_ready_times_out_naming_the_readiness_url(stack_factory: Any) -> None:
    stack = stack_factory("unready", free_port(), timeout=3)
    with pytest.raises(
        StackError, match=r"backend not ready after 3s at http://127\.0\.0\.1:\d+/health/ready"
    ):
        stack.start()

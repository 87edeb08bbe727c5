"""Local mode with real processes: PostgreSQL under .netra/, Ctrl-C/SIGTERM, detach + down, reset, pre-flight."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_devtools import procs
from netra_devtools.services.postgres import free_port
from tests.conftest import REPO_ROOT, service_missing

SCRIPT = REPO_ROOT / "scripts" / "dev_launcher.py"
# The field report's compose engine must not be picked up from the developer's environment here.
_ENV_DROP = ("DOCKER_HOST", "DATABASE_URL", "CLICKHOUSE_URL")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Launcher:
    """Runs scripts/dev_launcher.py against one state directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if k not in _ENV_DROP}
        self.env["NETRA_STATE_DIR"] = str(root)
        self.started: list[subprocess.Popen[str]] = []

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(SCRIPT), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), "up", "--mode", "local", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # our SIGINT reaches the launcher only, as a terminal's would
        )
        self.started.append(proc)
        return proc

    def state(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.root / "state.json").read_text()))
        except (OSError, ValueError):
            return {}

    def wait_ready(self, proc: subprocess.Popen[str], timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if state.get("ready"):
                return state
            if proc.poll() is not None:
                pytest.fail(f"launcher exited {proc.returncode}: {proc.stdout.read()}")  # type: ignore[union-attr]
            time.sleep(0.1)
        pytest.fail("launcher not ready in time")


@pytest.fixture
def launcher() -> Iterator[Launcher]:
    from netra_devtools.services import postgres

    try:
        postgres.find_binaries()
    except postgres.PostgresUnavailable as exc:
        service_missing(f"PostgreSQL: {exc}")
    # Not tmp_path: pytest keeps /tmp/pytest-of-root at 0700. As root the cluster runs as an
    # unprivileged user whose gid stays 0 (subprocess user= changes the uid only), so a 0701
    # parent is closed to it: the work directory must be 0755, like a checkout.
    workdir = Path(tempfile.mkdtemp(prefix="netra-launcher-test-"))
    workdir.chmod(0o755)
    helper = Launcher(workdir / ".netra")
    yield helper
    for proc in helper.started:
        procs.stop_tree(proc.pid, grace=5)
    helper.run("down", timeout=90)
    shutil.rmtree(workdir, ignore_errors=True)


def _pid_of(state: dict[str, Any], name: str) -> int:
    return next(int(p["pid"]) for p in state["processes"] if p["name"] == name)


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_foreground_stop_leaves_nothing_running_and_next_start_reuses_the_data(
    launcher: Launcher, stop_signal: int
) -> None:
    pg_port = free_port()
    args = ("--port", str(free_port()), "--postgres-port", str(pg_port), "--no-clickhouse")
    first = launcher.start(*args)
    state = launcher.wait_ready(first)
    pg_pid = _pid_of(state, "postgres")
    assert _listening(pg_port)
    data_dirs = sorted(p.name for p in launcher.root.glob("pg-*") if p.is_dir())
    assert len(data_dirs) == 1 and data_dirs[0] == Path(state["postgres"]["data_dir"]).name

    os.kill(first.pid, stop_signal)
    output, _ = first.communicate(timeout=60)
    assert first.returncode == 130, output
    assert "stopped" in output
    assert not _alive(pg_pid)
    assert not _listening(pg_port)
    assert not (launcher.root / "state.json").exists()

    second = launcher.start(*args)
    state = launcher.wait_ready(second)
    assert sorted(p.name for p in launcher.root.glob("pg-*") if p.is_dir()) == data_dirs
    assert _listening(pg_port)
    os.kill(second.pid, signal.SIGINT)
    second.communicate(timeout=60)
    assert not _listening(pg_port)


def test_detach_returns_when_ready_and_down_stops_the_whole_stack(launcher: Launcher) -> None:
    pg_port = free_port()
    started = launcher.run(
        "up",
        "--mode",
        "local",
        "--detach",
        "--no-clickhouse",
        "--port",
        str(free_port()),
        "--postgres-port",
        str(pg_port),
    )
    assert started.returncode == 0, started.stdout + started.stderr
    assert "invoke down" in started.stdout
    state = launcher.state()
    launcher_pid, pg_pid = _pid_of(state, "launcher"), _pid_of(state, "postgres")
    assert _alive(launcher_pid) and _listening(pg_port)

    again = launcher.run("up", "--mode", "local", "--no-clickhouse")
    assert again.returncode == 1
    assert "already running" in again.stderr

    logs = launcher.run("logs", "--no-follow", "--tail", "20")
    assert logs.returncode == 0, logs.stderr
    assert "launcher | postgres    ok" in logs.stdout  # the background launcher's own log
    assert "postgres | " in logs.stdout  # and the server log

    stopped = launcher.run("down")
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped its stack" in stopped.stdout
    assert not _alive(launcher_pid) and not _alive(pg_pid)
    assert not _listening(pg_port)
    assert launcher.state() == {}


def test_down_cleans_up_after_a_launcher_that_was_killed(launcher: Launcher) -> None:
    pg_port = free_port()
    proc = launcher.start(
        "--no-clickhouse", "--port", str(free_port()), "--postgres-port", str(pg_port)
    )
    state = launcher.wait_ready(proc)
    pg_pid = _pid_of(state, "postgres")
    os.killpg(proc.pid, signal.SIGKILL)  # no cleanup: PostgreSQL is orphaned
    proc.wait(10)
    assert _listening(pg_port)
    stopped = launcher.run("down")
    assert "postgres" in stopped.stdout and "pg_ctl" in stopped.stdout
    assert not _alive(pg_pid) and not _listening(pg_port)


def test_backend_port_in_use_fails_before_starting_anything_and_names_fix_port(
    launcher: Launcher,
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = launcher.run("up", "--mode", "local", "--port", str(port))
    assert result.returncode == 1
    assert f"invoke fix-port --port {port}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list(launcher.root.glob("pg-*"))


def test_reset_refuses_without_confirmation_and_deletes_with_yes(launcher: Launcher) -> None:
    launcher.root.mkdir(parents=True)
    (launcher.root / "marker").write_text("x")
    refused = launcher.run("reset")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: reset not confirmed")
    assert (launcher.root / "marker").exists()
    done = launcher.run("reset", "--yes")
    assert done.returncode == 0, done.stderr
    assert not launcher.root.exists()


def _analytics_expected() -> bool:
    from netra_devtools.launcher import steps

    return steps.chdb_installed()


def _nothing_left(state: dict[str, Any]) -> None:
    """Every recorded process (and the launcher) is gone and no recorded port listens."""
    leftovers = [p for p in state["processes"] if _alive(int(p["pid"]))]
    assert leftovers == []
    listening = [port for port in state["ports"].values() if _listening(int(port))]
    assert listening == []


def test_end_to_end_backend_ready_health_ctrl_c_and_restart(launcher: Launcher) -> None:
    import httpx

    port, pg_port = free_port(), free_port()
    args = ("--port", str(port), "--postgres-port", str(pg_port))
    for _attempt in range(2):
        proc = launcher.start(*args)
        state = launcher.wait_ready(proc, timeout=120)
        names = {p["name"] for p in state["processes"]}
        assert {"launcher", "postgres", "backend"} <= names
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert health.status_code == 200
        body = health.json()
        assert body["status"] in ("pass", "warn")
        assert body["checks"]["postgres:connection"][0]["status"] == "pass"
        if _analytics_expected():  # the embedded engine: analytics on, its bridge recorded
            assert "clickhouse" in names and state["urls"]["CLICKHOUSE_URL"]
            assert "clickhouse:connection" in body["checks"]
        os.kill(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
        assert proc.returncode == 130, output
        _nothing_left(state)
        assert not _listening(port) and not _listening(pg_port)


def test_invoke_dev_detach_then_invoke_down_leaves_nothing_running(launcher: Launcher) -> None:
    import httpx

    port = free_port()
    invoke = [sys.executable, "-m", "invoke"]
    dev = [*invoke, "dev", "--mode", "local", "--detach", "--port", str(port)]
    dev += ["--postgres-port", str(free_port())]
    started = subprocess.run(
        dev, cwd=REPO_ROOT, env=launcher.env, capture_output=True, text=True, timeout=180
    )
    assert started.returncode == 0, started.stdout + started.stderr
    state = launcher.state()
    assert state["ready"] and _alive(_pid_of(state, "launcher"))
    assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()["status"] in (
        "pass",
        "warn",
    )
    if _analytics_expected():
        assert _alive(_pid_of(state, "clickhouse"))

    # the running stack as `invoke health` and `invoke doctor` see it (both read state.json)
    health = launcher.run("health", "--json")
    assert health.returncode == 0, health.stdout + health.stderr
    doctor = subprocess.run(
        [*invoke, "doctor", "--json", "--check", "ports,postgres,migrations,clickhouse,logs"],
        cwd=REPO_ROOT, env=launcher.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    verdicts = {c["name"]: c["status"] for c in json.loads(doctor.stdout)["checks"]}
    assert verdicts == dict.fromkeys(
        ("ports", "postgres", "migrations", "clickhouse", "logs"), "ok"
    )

    stopped = subprocess.run(
        [*invoke, "down"], cwd=REPO_ROOT, env=launcher.env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped its stack" in stopped.stdout
    _nothing_left(state)
    assert launcher.state() == {}

"""One source of truth for the local stack: `.netra/state.json`, running or stopped, read by serve,
migrate and health (their first line says so), with the user's own URLs always winning; the full
URLs in `.netra/.env` (0600) only; logs of this run only, each line once."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from netra_devtools.launcher.readiness import fetch_health
from netra_devtools.ports import port_is_free
from netra_devtools.services import faults
from netra_devtools.services.postgres import free_port
from tests.conftest import REPO_ROOT
from tests.support.launcher import Launcher, launcher_fixture  # noqa: F401 (fixture)

EXCEPTION_REPR = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)(?::|\()|<[a-z]+ error|\[Errno")
READY_LINES = "database system is ready to accept connections"


def _detach(launcher: Launcher, *args: str) -> subprocess.CompletedProcess[str]:
    started = launcher.run("up", "--mode", "local", "--detach", "--port", str(free_port()), *args)
    assert started.returncode == 0, started.stdout + started.stderr
    return started


def _migrate(launcher: Launcher) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netra_devtools.migrate"], env=launcher.env, capture_output=True,
        text=True, timeout=180, cwd=REPO_ROOT,
    )  # fmt: skip


def test_a_stopped_stack_stays_described_for_migrate_serve_and_health(launcher: Launcher) -> None:
    started = _detach(launcher, "--no-clickhouse")
    state = launcher.state()
    url = state["urls"]["DATABASE_URL"]
    env_file = launcher.root / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert f"DATABASE_URL='{url}'" in env_file.read_text(encoding="utf-8")
    password = urlsplit(url).password
    assert password and password not in started.stdout + started.stderr
    masked = re.escape(url.replace(password, "***"))
    assert re.search(rf"^DATABASE_URL\s+{masked}$", started.stdout, re.MULTILINE)
    assert launcher.run("down").returncode == 0

    health = launcher.run("health")
    assert health.returncode == 1
    first = health.stdout.splitlines()[0]
    assert first.startswith("health: fail - the stopped local stack (") and "invoke dev" in first
    assert "connection refused" in health.stdout
    assert not EXCEPTION_REPR.search(health.stdout + health.stderr)

    serve = launcher.run("serve", "--port", str(free_port()))
    assert serve.returncode == 1
    assert serve.stderr.startswith("error: the stopped local stack in ")
    assert "`invoke dev --detach`" in serve.stderr and len(serve.stderr.splitlines()) == 1

    port = state["ports"]["postgres"]
    migrated = _migrate(launcher)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert (
        "the stopped local stack, whose PostgreSQL runs until this command ends"
        in (migrated.stdout.splitlines()[0])
    )
    assert port_is_free(port)  # stopped again, so `invoke dev` can start it
    assert password not in migrated.stdout + migrated.stderr

    _detach(launcher, "--no-clickhouse", "--postgres-port", str(port))  # the same data again
    this_run = launcher.run("logs", "--no-follow", "--tail", "500")
    every_run = launcher.run("logs", "--no-follow", "--tail", "500", "--all")
    assert this_run.stdout.count(READY_LINES) == 1  # the first run's server lines are history
    assert every_run.stdout.count(READY_LINES) >= 3  # run 1, migrate's, run 2
    assert "launcher | backend |" not in every_run.stdout


@pytest.fixture
def refusing_clickhouse() -> Iterator[str]:
    with faults.refusing() as (host, port):
        yield f"http://default:their-secret@{host}:{port}/default"


def test_the_users_own_clickhouse_url_wins_and_a_stack_that_is_not_healthy_is_not_ready(
    launcher: Launcher, refusing_clickhouse: str
) -> None:
    launcher.env["CLICKHOUSE_URL"] = refusing_clickhouse
    started = _detach(launcher)
    out = started.stdout
    assert re.search(r"analytics\s+yours\s+http://default:\*\*\*@", out)
    assert "CLICKHOUSE_URL from your environment; no embedded engine" in out
    assert "ready: /health passes" not in out
    assert "running, not ready: /health says warn (clickhouse:connection warn" in out
    state = launcher.state()
    assert state["health"] == "warn"
    assert "clickhouse" not in {p["name"] for p in state["processes"]}
    assert "their-secret" not in (launcher.root / ".env").read_text(encoding="utf-8")
    assert "their-secret" not in out + started.stderr

    health = launcher.run("health", "--json")
    probes = {p["name"]: p for p in json.loads(health.stdout)["services"]}
    assert probes["clickhouse"]["origin"] == "your environment"
    assert probes["postgres"]["origin"] == "the running local stack"

    serve_port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "scripts" / "dev_launcher.py"), "serve", "--port",
         str(serve_port)], env=launcher.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not fetch_health(f"http://127.0.0.1:{serve_port}/health"):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    lines = output.splitlines()
    assert lines[0].startswith("serving with the running local stack's URLs (")
    assert lines[0].endswith("and yours where you set them")
    assert lines[2].startswith("  CLICKHOUSE_URL http://default:***@") and lines[2].endswith(
        "(from your environment)"
    )
    assert "their-secret" not in output

"""The launcher as a person runs it (scripts/dev_launcher.py) against one private state directory:
`Launcher` and its fixture `launcher`, shared by the launcher's integration tests."""

from __future__ import annotations

import json
import os
import shutil
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
from tests.conftest import REPO_ROOT, service_missing

SCRIPT = REPO_ROOT / "scripts" / "dev_launcher.py"
# The field report's compose engine must not be picked up from the developer's environment here.
_ENV_DROP = ("DOCKER_HOST", "DATABASE_URL", "CLICKHOUSE_URL")


def listening(port: int) -> bool:
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


@pytest.fixture(name="launcher")
def launcher_fixture() -> Iterator[Launcher]:
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

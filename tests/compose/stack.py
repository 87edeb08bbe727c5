"""A compose project of docker-compose.dev.yml driven the way a developer drives it: `invoke`.

Each Stack has its own project name (COMPOSE_PROJECT_NAME), state directory and free host ports,
so stacks never meet each other's containers, volumes or ports. The images are whatever the
environment names (NETRA_*_IMAGE: CI's stand-ins) or the compose file's official defaults.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netra_devtools.launcher.compose import PROJECT_LABEL, SERVICE_LABEL, ComposeProject
from netra_devtools.services.postgres import free_port
from tests.conftest import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.dev.yml"
INVOKE_TIMEOUT_S = 600
# what a developer's shell may hold that must not leak into the stack under test
_DROPPED = ("DATABASE_URL", "CLICKHOUSE_URL", "CLICKHOUSE_REQUIRED", "COMPOSE_FILE")


class Stack:
    """One project of docker-compose.dev.yml on the test engine, with its own names and ports."""

    def __init__(self, docker_host: str, state_dir: Path, password: str = "compose-test") -> None:
        self.project = f"nc{uuid.uuid4().hex[:10]}"
        self.state_dir = state_dir
        self.backend_port = free_port()
        self.postgres_port = free_port()
        self.clickhouse_port = free_port()
        self.password = password
        self.started: subprocess.CompletedProcess[str] | None = None  # its `invoke dev`, if any
        self.volumes_before: set[str] = set()  # the engine's volumes before it started
        self.env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
        self.env.update(
            {
                "DOCKER_HOST": docker_host,
                "COMPOSE_PROJECT_NAME": self.project,
                "NETRA_STATE_DIR": str(state_dir),
                "NETRA_BACKEND_PORT": str(self.backend_port),
                "NETRA_POSTGRES_PORT": str(self.postgres_port),
                "NETRA_CLICKHOUSE_PORT": str(self.clickhouse_port),
                "POSTGRES_PASSWORD": password,
                "CLICKHOUSE_PASSWORD": "",
            }
        )

    def invoke(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """`invoke ARGS` from the checkout, as a developer types it; never raises on failure."""
        return subprocess.run(
            [sys.executable, "-m", "invoke", *args],
            cwd=REPO_ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=INVOKE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def dev(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """`invoke dev --mode compose --detach --port N ARGS`."""
        port = ["--port", str(self.backend_port)]
        return self.invoke("dev", "--mode", "compose", "--detach", *port, *args, **env)

    def compose(self, *profiles: str, **env: str) -> ComposeProject:
        """The same project for plain compose commands (what `docker compose -p P ...` does)."""
        return ComposeProject(
            file=COMPOSE_FILE,
            project=self.project,
            profiles=profiles,
            env={**self.env, **env},
        )

    def containers(self, client: Any, service: str | None = None) -> list[Any]:
        """The project's containers (all states), optionally one service's."""
        labels = [f"{PROJECT_LABEL}={self.project}"]
        if service:
            labels.append(f"{SERVICE_LABEL}={service}")
        return list(client.containers.list(all=True, filters={"label": labels}))

    def container(self, client: Any, service: str) -> Any:
        """The one container of `service`."""
        found = self.containers(client, service)
        assert len(found) == 1, f"{service}: {[c.name for c in found]}"
        return found[0]

    def health(self, port: int | None = None, path: str = "/health") -> tuple[int, dict[str, Any]]:
        """GET the backend's health endpoint on the host: (HTTP status, JSON body)."""
        url = f"http://127.0.0.1:{port or self.backend_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def doctor(self) -> tuple[int, dict[str, dict[str, Any]]]:
        """`invoke doctor --json`: (exit code, checks by name)."""
        done = self.invoke("doctor", "--json")
        assert done.stdout.strip(), done.stderr
        report = json.loads(done.stdout)
        return done.returncode, {c["name"]: c for c in report["checks"]}

    def remove(self) -> None:
        """Everything of the project, named volumes included (teardown)."""
        self.compose("full").run("down", "--volumes", "--timeout", "1", timeout=180)


def wait_for(predicate: Any, timeout: float, what: str | Callable[[], str]) -> Any:
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout:.0f}s: {what() if callable(what) else what}")


def health_of(container: Any) -> str:
    """A container's health status (or its state when it has no healthcheck)."""
    container.reload()
    state = container.attrs["State"]
    return str((state.get("Health") or {}).get("Status") or state["Status"])

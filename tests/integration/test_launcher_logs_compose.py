"""`invoke logs` in compose mode: the recorded project's service logs, known failures marked."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from netra_devtools.launcher import compose
from netra_devtools.state import save_state
from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "dev_launcher.py"
COMPOSE_FILE = """services:
  backend:
    image: {image}
    command: ["sh", "-c", "echo starting; echo \\"ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8000): address already in use\\"; trap 'exit 0' TERM; sleep 3600 & wait"]
"""


@pytest.fixture
def running_project(tmp_path: Path, docker_host: str, busybox_image: str) -> Iterator[Path]:
    """A compose project brought up with `up -d`, recorded in state.json as compose mode does."""
    path = tmp_path / "compose.yml"
    path.write_text(COMPOSE_FILE.format(image=busybox_image), encoding="utf-8")
    project = compose.ComposeProject(
        file=path, project=f"nl{uuid.uuid4().hex[:10]}", env={"DOCKER_HOST": docker_host}
    )
    project.command = compose.compose_command()
    root = tmp_path / ".netra"
    project.run("up", "-d")
    save_state(
        {
            "mode": "compose",
            "compose": {
                "file": str(path),
                "project": project.project,
                "profiles": [],
                "command": project.command,
                "env": project.env,
            },
            "processes": [],
            "urls": {},
        },
        root,
    )
    try:
        yield root
    finally:
        project.run("down", "-t", "1", timeout=120)


def test_compose_logs_are_read_per_service_and_known_failures_marked(
    running_project: Path,
) -> None:
    env = {**os.environ, "NETRA_STATE_DIR": str(running_project)}
    for _attempt in range(50):  # the container prints right after `up -d` returns
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "logs", "--no-follow"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        if "known failure" in done.stdout:
            break
    lines = done.stdout.splitlines()
    assert "backend  | starting" in lines
    assert any(line.startswith("backend  | ERROR:    [Errno 98]") for line in lines)
    assert any(
        "known failure port-in-use (windows_development) -> invoke fix-port" in line
        for line in lines
    )

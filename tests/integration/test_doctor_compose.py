"""The doctor against a real Docker engine: the compose project named in state.json, its logs read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from netra_devtools.state import save_state
from tests.integration.test_doctor import Doctor, by_name, doctor  # noqa: F401 (fixture)

PORT_ERROR = (
    "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8000): "
    "address already in use"
)


@pytest.fixture
def compose_project(docker_client: Any, busybox_image: str) -> Iterator[str]:
    """Containers labelled as compose service `backend` of a fresh project, one known failure logged."""
    name = f"nd{uuid.uuid4().hex[:8]}"
    container = docker_client.containers.run(
        busybox_image,
        ["sh", "-c", f'echo starting; echo "{PORT_ERROR}"'],
        detach=True,
        name=f"{name}-backend-1",
        labels={
            "com.docker.compose.project": name,
            "com.docker.compose.service": "backend",
            "com.docker.compose.container-number": "1",
            "com.docker.compose.oneoff": "False",
        },
        network_mode="none",
    )
    container.wait(timeout=30)
    yield name
    container.remove(force=True)


def test_logs_check_reads_the_compose_project_the_launcher_recorded(
    doctor: Doctor,  # noqa: F811
    docker_host: str,
    compose_project: str,
) -> None:
    doctor.env["DOCKER_HOST"] = docker_host
    save_state(
        {"mode": "compose", "compose": {"project": compose_project}, "processes": [], "urls": {}},
        doctor.state_dir,
    )
    code, report = doctor.json("--check", "docker,logs")
    checks = by_name(report)
    assert code == 0, report
    assert checks["docker"]["status"] == "ok"
    assert checks["logs"]["status"] == "warn"
    assert compose_project in checks["logs"]["reason"]
    assert checks["logs"]["details"]["by_signature"] == {"port-in-use": 1}
    assert checks["logs"]["fix"] == "invoke fix-port"


def test_logs_check_without_state_uses_compose_project_name(
    doctor: Doctor,  # noqa: F811
    docker_host: str,
    compose_project: str,
) -> None:
    doctor.env["DOCKER_HOST"] = docker_host
    code, report = doctor.json("--check", "logs", COMPOSE_PROJECT_NAME=compose_project)
    assert by_name(report)["logs"]["details"]["by_signature"] == {"port-in-use": 1}

    code, report = doctor.json("--check", "logs", COMPOSE_PROJECT_NAME="nd-no-such-project")
    logs = by_name(report)["logs"]
    assert logs["status"] == "skipped" and "nd-no-such-project" in logs["reason"]

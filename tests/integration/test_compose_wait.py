"""Compose mode against a real Docker engine: busybox services that turn healthy, stay unhealthy, or exit."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_devtools.errors import StackError
from netra_devtools.launcher import compose, compose_mode, control
from netra_devtools.state import load_state

# sh as PID 1 ignores SIGTERM; the trap makes `down` fast instead of waiting 10 s per container.
_LONG_RUNNING = "trap 'exit 0' TERM; {body} sleep 3600 & wait"

SERVICES = {
    "healthy": f"""
  healthy:
    image: {{image}}
    command: ["sh", "-c", "{_LONG_RUNNING.format(body="echo booting; sleep 1; touch /tmp/ready; echo serving;")}"]
    healthcheck:
      test: ["CMD", "cat", "/tmp/ready"]  # the image links no `test` applet
      interval: 1s
      timeout: 1s
      retries: 3
""",
    "plain": f"""
  plain:
    image: {{image}}
    command: ["sh", "-c", "{_LONG_RUNNING.format(body="")}"]
""",
    "sick": f"""
  sick:
    image: {{image}}
    command: ["sh", "-c", "{_LONG_RUNNING.format(body="echo 'ERROR: connection to clickhouse:8123 refused';")}"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      timeout: 1s
      retries: 1
""",
    "ends": """
  ends:
    image: {image}
    command: ["sh", "-c", "sleep 4; echo done"]
""",
    "crashes": """
  crashes:
    image: {image}
    command: ["sh", "-c", "echo 'FATAL: password authentication failed for user postgres'; exit 3"]
""",
}


@pytest.fixture
def make_project(tmp_path: Path, docker_host: str, busybox_image: str) -> Iterator[Any]:
    """Write a compose file with the named services; every project is taken down afterwards."""
    projects: list[compose.ComposeProject] = []

    def make(*names: str) -> compose.ComposeProject:
        body = "services:" + "".join(SERVICES[n].format(image=busybox_image) for n in names)
        path = tmp_path / f"compose-{len(projects)}.yml"
        path.write_text(body, encoding="utf-8")
        project = compose.ComposeProject(
            file=path,
            project=f"nt{uuid.uuid4().hex[:10]}",
            env={"DOCKER_HOST": docker_host},
        )
        projects.append(project)
        return project

    yield make
    for project in projects:
        project.run("down", "-t", "1", timeout=120)


def test_wait_returns_ready_once_healthcheck_passes(make_project: Any, docker_client: Any) -> None:
    project = make_project("healthy", "plain")
    project.run("up", "-d")
    result = compose.wait_until_healthy(
        docker_client, project.project, ["healthy", "plain"], timeout=30
    )
    assert result.ready, result.reason
    assert result.states["healthy"].status == "healthy"
    assert result.states["plain"].status == "running"  # no healthcheck: running is ready


def test_wait_stops_early_when_a_service_exits_and_its_log_tail_shows_why(
    make_project: Any, docker_client: Any
) -> None:
    project = make_project("healthy", "crashes")
    project.run("up", "-d")
    result = compose.wait_until_healthy(
        docker_client, project.project, ["healthy", "crashes"], timeout=60
    )
    assert not result.ready
    assert result.elapsed < 30  # did not sit out the timeout
    assert "crashes exited (3)" in result.reason
    failing = result.failing[0]
    assert failing.service == "crashes"
    tail = compose.log_tail(docker_client, failing, lines=5)
    assert "FATAL: password authentication failed for user postgres" in tail


def test_wait_times_out_on_a_service_that_stays_unhealthy(
    make_project: Any, docker_client: Any
) -> None:
    project = make_project("plain", "sick")
    project.run("up", "-d")
    result = compose.wait_until_healthy(
        docker_client, project.project, ["plain", "sick"], timeout=4
    )
    assert not result.ready
    assert result.elapsed >= 4
    assert [s.service for s in result.failing] == ["sick"]
    assert result.states["sick"].status in ("starting", "unhealthy")
    assert "not ready after 4s: sick" in result.reason


def test_run_compose_failure_prints_log_tail_records_state_and_fails(
    make_project: Any, docker_client: Any, tmp_path: Path
) -> None:
    from rich.console import Console

    project = make_project("plain", "sick")
    out = Console(file=io.StringIO(), width=200, record=True)
    state_root = tmp_path / ".netra"
    with pytest.raises(StackError, match="not ready after 3s: sick"):
        compose_mode.run_compose(
            out, docker_client, project, timeout=3, detach=True, state_root=state_root, urls={}
        )
    text = out.export_text()
    assert "ERROR: connection to clickhouse:8123 refused" in text
    assert "sick" in text and "last" in text
    recorded = load_state(state_root)
    assert recorded["mode"] == "compose"
    assert recorded["compose"]["project"] == project.project


def test_run_compose_detached_returns_when_ready(
    make_project: Any, docker_client: Any, tmp_path: Path
) -> None:
    from rich.console import Console

    project = make_project("healthy", "plain")
    out = Console(file=io.StringIO(), width=200)
    code = compose_mode.run_compose(
        out,
        docker_client,
        project,
        timeout=30,
        detach=True,
        state_root=tmp_path / ".netra",
        urls={"backend": "http://127.0.0.1:1/"},
    )
    assert code == 0
    states = compose.service_states(docker_client, project.project, ["healthy", "plain"])
    assert all(s.ready for s in states.values())

    recorded = load_state(tmp_path / ".netra")
    logs = list(control.follow_compose(recorded, tail=10, keep_following=False))
    assert ("healthy", "serving") in logs, logs

    stopped = control.down(tmp_path / ".netra")
    assert stopped == [f"compose project {project.project} taken down"]
    assert (
        docker_client.containers.list(
            all=True, filters={"label": f"{compose.PROJECT_LABEL}={project.project}"}
        )
        == []
    )
    assert load_state(tmp_path / ".netra") == {}


def test_foreground_compose_takes_the_project_down_when_a_service_stops(
    make_project: Any, docker_client: Any, tmp_path: Path
) -> None:
    from rich.console import Console

    project = make_project("healthy", "ends")
    out = Console(file=io.StringIO(), width=200)
    with pytest.raises(StackError, match="a service stopped"):
        compose_mode.run_compose(
            out,
            docker_client,
            project,
            timeout=30,
            detach=False,
            state_root=tmp_path / ".netra",
            urls={},
        )
    assert (
        docker_client.containers.list(
            all=True, filters={"label": f"{compose.PROJECT_LABEL}={project.project}"}
        )
        == []
    )
    assert load_state(tmp_path / ".netra") == {}


def test_images_missing_without_a_registry_are_reported(
    docker_client: Any, busybox_image: str
) -> None:
    missing = compose.missing_images(docker_client, [busybox_image, "postgres:16-alpine"])
    assert missing == ["postgres:16-alpine"]

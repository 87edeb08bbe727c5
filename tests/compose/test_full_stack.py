"""The full profile as a developer runs it: `invoke dev`, `invoke doctor`, then `invoke down`.

One stack serves the module (one ClickHouse container: the heaviest image); the tests run in
file order and the last one takes the stack down. Issue 20's scenario 3 (ClickHouse stopped while
events are posted) belongs here, before the `down` test, on the same `full_stack`.
"""

from __future__ import annotations

from typing import Any

import pytest

from netra_devtools.launcher.compose import PROJECT_LABEL
from tests.compose.stack import Stack, health_of, wait_for

pytestmark = pytest.mark.timeout(900)

SERVICES = ("postgres", "clickhouse", "backend")
HEALTH_PASS_TIMEOUT_S = 90  # past the backend's reconnect backoff (CLICKHOUSE_RETRY_MAX_S=30)


def _passing(stack: Stack) -> Any:
    """A probe for wait_for: the /health reply once its status is `pass`, else None."""

    def probe() -> tuple[int, dict[str, Any]] | None:
        status, body = stack.health()
        return (status, body) if body.get("status") == "pass" else None

    return probe


def _restart_and_wait_healthy(client: Any, container: Any) -> None:
    container.start()
    wait_for(lambda: health_of(container) == "healthy", 90, f"{container.name} healthy again")


def test_dev_compose_full_profile_starts_every_service_healthy_and_health_passes(
    full_stack: Stack, docker_client: Any
) -> None:
    started = full_stack.started
    assert started is not None and started.returncode == 0, started and started.stderr
    assert "3 service(s) ready" in started.stdout
    for service in SERVICES:
        assert health_of(full_stack.container(docker_client, service)) == "healthy", service
    # ClickHouse is optional: the backend is ready without it and connects in the background
    status, body = wait_for(
        _passing(full_stack),
        HEALTH_PASS_TIMEOUT_S,
        lambda: f"/health passes; it says {full_stack.health()}",
    )
    assert status == 200
    assert body["checks"]["postgres:connection"][0]["status"] == "pass"
    assert body["checks"]["clickhouse:connection"][0]["status"] == "pass"


def test_doctor_in_compose_mode_is_right_about_each_service(
    full_stack: Stack, docker_client: Any
) -> None:
    code, checks = full_stack.doctor()
    assert code == 0, checks
    for name in ("docker", "ports", "postgres", "migrations", "clickhouse"):
        assert checks[name]["status"] == "ok", checks[name]
    assert "held by our running stack" in checks["ports"]["reason"]
    assert checks["postgres"]["reason"].startswith("PostgreSQL ")
    assert checks["clickhouse"]["reason"].startswith("ClickHouse ")
    # the project's own container logs are read; a start-up race (a probe while PostgreSQL
    # starts, the backend before ClickHouse) may have left a known line there: a warning at most
    assert checks["logs"]["status"] in ("ok", "warn"), checks["logs"]
    assert full_stack.project in checks["logs"]["reason"]

    clickhouse = full_stack.container(docker_client, "clickhouse")
    clickhouse.stop(timeout=10)
    try:
        code, checks = full_stack.doctor()
        assert code == 0, checks  # ClickHouse is optional: a warning, not a failure
        assert checks["clickhouse"]["status"] == "warn"
        assert "unreachable" in checks["clickhouse"]["reason"]
        assert checks["postgres"]["status"] == "ok"
    finally:
        _restart_and_wait_healthy(docker_client, clickhouse)

    postgres = full_stack.container(docker_client, "postgres")
    postgres.stop(timeout=10)
    try:
        code, checks = full_stack.doctor()
        assert code == 1, checks
        assert checks["postgres"]["status"] == "fail"
        assert checks["migrations"]["status"] == "skipped"
        assert checks["clickhouse"]["status"] == "ok"
    finally:
        _restart_and_wait_healthy(docker_client, postgres)


def test_down_leaves_no_container_network_or_anonymous_volume(
    full_stack: Stack, docker_client: Any
) -> None:
    done = full_stack.invoke("down")
    assert done.returncode == 0, done.stderr
    assert f"compose project {full_stack.project} taken down" in done.stdout
    label = {"label": f"{PROJECT_LABEL}={full_stack.project}"}
    assert docker_client.containers.list(all=True, filters=label) == []
    assert docker_client.networks.list(filters=label) == []
    new = [v for v in docker_client.volumes.list() if v.name not in full_stack.volumes_before]
    named = {v.name: (v.attrs.get("Labels") or {}).get("com.docker.compose.volume") for v in new}
    assert [name for name, volume in named.items() if not volume] == []  # no anonymous volume
    # what stays is the developer's data: the compose file's named volumes, nothing else
    assert set(named.values()) <= {
        "postgres-data",
        "clickhouse-data",
        "backend-spool",
    }
    assert not (full_stack.state_dir / "state.json").exists()

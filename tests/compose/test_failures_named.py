"""Failures a developer causes, named by `invoke dev`, `invoke logs` and `invoke introspect`.

A wrong password shows in the containers' logs. A host port that is taken shows only in
compose's own output: the publish clash fails in the daemon, so no container log exists for it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.compose.stack import Stack, health_of, wait_for

pytestmark = pytest.mark.timeout(900)


def _findings(done: Any) -> set[tuple[str, str]]:
    report = json.loads(done.stdout)
    return {(f["source"], f["signature"]) for f in report["findings"]}


def test_a_changed_postgres_password_is_named_from_the_container_logs(
    stack: Stack, docker_client: Any
) -> None:
    # the volume is initialised with one password; the developer's .env then says another
    stack.compose(POSTGRES_PASSWORD="the-first-one").run("up", "-d", "postgres")
    postgres = stack.container(docker_client, "postgres")
    wait_for(lambda: health_of(postgres) == "healthy", 120, "postgres healthy")

    started = stack.dev()
    assert started.returncode == 1
    assert "backend exited" in started.stderr
    assert "known failure postgres-auth-failed" in started.stdout

    logs = stack.invoke("logs", "--no-follow")
    assert logs.returncode == 0, logs.stderr
    lines = logs.stdout.splitlines()
    assert any(
        line.startswith("postgres |") and "password authentication failed" in line for line in lines
    )
    assert any(
        "known failure postgres-auth-failed (postgres_connectivity)" in line for line in lines
    )

    introspected = stack.invoke("introspect", "--project", stack.project, "--json")
    assert introspected.returncode == 1  # problems found
    found = _findings(introspected)
    assert ("backend", "postgres-auth-failed") in found
    assert ("postgres", "postgres-auth-failed") in found

    assert stack.invoke("down").returncode == 0
    assert stack.containers(docker_client) == []


def test_a_host_port_taken_is_named_from_composes_own_output(
    stack: Stack, docker_client: Any, spawn_listener: Any
) -> None:
    spawn_listener("127.0.0.1", stack.backend_port)

    started = stack.dev()
    assert started.returncode == 1
    assert "compose up failed" in started.stdout
    assert "known failure port-in-use (windows_development): invoke fix-port" in started.stdout
    assert "known failure port-in-use (fix: invoke fix-port)" in started.stderr
    assert not [c for c in stack.containers(docker_client, "backend") if c.status == "running"]

    logs = stack.invoke("logs", "--no-follow")
    assert logs.returncode == 0, logs.stderr
    lines = logs.stdout.splitlines()
    clash = [
        i
        for i, line in enumerate(lines)
        if line.startswith("compose  |") and f":{stack.backend_port}" in line
    ]
    assert clash, logs.stdout
    assert "known failure port-in-use (windows_development)" in lines[clash[0] + 1]

    compose_log = stack.state_dir / "compose.log"
    introspected = stack.invoke("introspect", "--file", str(compose_log), "--json")
    assert introspected.returncode == 1
    assert (str(compose_log), "port-in-use") in _findings(introspected)

    # the state was recorded before `up`: down removes what the failed start left behind
    assert stack.invoke("down").returncode == 0
    assert stack.containers(docker_client) == []

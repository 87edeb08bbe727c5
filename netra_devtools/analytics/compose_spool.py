"""`invoke spool` in compose mode: through `docker exec` into each backend container.

There the spool is a volume of the backend containers, not a directory of this machine, and a
request from the host reaches the backend from the bridge gateway, which the admin endpoints
refuse (loopback only). So every action runs `python -m netra_backend.admin_client` inside each
backend container: its request is a loopback one there, and it reads the admin token beside that
container's spool. No token ever leaves the container.
"""

from __future__ import annotations

import json
import os
from typing import Any

from netra_backend.redact import mask_secrets
from netra_devtools.analytics.spool_admin import SpoolAdminError

BACKEND_SERVICE = "backend"
# summed over the replicas (an older backend image reports no damage: 0)
SUMMED = ("pending_rows", "dropped_rows", "discarded_rows", "bytes", "damaged_rows",
          "damaged_bytes", "damaged_unknown")  # fmt: skip
EXEC_SLACK_S = 20.0  # on top of a drain's own timeout: process start, settings, the HTTP call


def _client(state: dict[str, Any], timeout: float) -> Any:
    import docker

    from netra_devtools.docker.detect import EngineNotFound, detect

    env = {**os.environ, **(state.get("compose") or {}).get("env", {})}  # its DOCKER_HOST first
    try:
        url = detect(env).url
    except EngineNotFound as exc:
        raise SpoolAdminError(f"compose mode, but no Docker engine answers: {exc}") from None
    return docker.DockerClient(base_url=url, timeout=int(timeout + EXEC_SLACK_S))


def backend_containers(client: Any, project: str) -> list[Any]:
    """The running backend containers of a compose project, by compose's labels."""
    from netra_devtools.docker.sources import PROJECT_LABEL, SERVICE_LABEL

    labels = [f"{PROJECT_LABEL}={project}", f"{SERVICE_LABEL}={BACKEND_SERVICE}"]
    found = client.containers.list(filters={"label": labels})
    return sorted(found, key=lambda container: container.name)


def run_in_container(container: Any, action: str, timeout: float) -> dict[str, Any]:
    """Run the admin client in `container`; its one JSON object, or SpoolAdminError."""
    command = ["python", "-m", "netra_backend.admin_client", action, "--timeout", f"{timeout:g}"]
    exit_code, (out, err) = container.exec_run(command, demux=True)
    if exit_code != 0:
        lines = (err or out or b"").decode("utf-8", "replace").strip().splitlines()
        reason = mask_secrets(lines[-1] if lines else f"exit {exit_code}").removeprefix("error: ")
        raise SpoolAdminError(f"{container.name}: {reason}")
    try:
        result: dict[str, Any] = json.loads(out or b"{}")
    except ValueError:
        raise SpoolAdminError(f"{container.name}: the admin client printed no JSON") from None
    return result


def _containers(state: dict[str, Any], timeout: float) -> tuple[Any, list[Any]]:
    project = str((state.get("compose") or {}).get("project") or "")
    client = _client(state, timeout)
    containers = backend_containers(client, project)
    if not containers:
        client.close()
        raise SpoolAdminError(f"compose project {project!r} has no running backend container")
    return client, containers


def compose_status(state: dict[str, Any]) -> dict[str, Any]:
    """The spool of every backend container, in `read_status`'s shape."""
    client, containers = _containers(state, 0.0)
    try:
        replicas = [r for c in containers if (r := run_in_container(c, "status", 10.0))]
    finally:
        client.close()
    project = (state.get("compose") or {}).get("project")
    summed = {key: sum(int(r.get(key, 0)) for r in replicas) for key in SUMMED}
    return {
        **summed,
        "damage": [d for r in replicas for d in r.get("damage", [])],
        "oldest_age_s": max((r["oldest_age_s"] for r in replicas), default=0.0),
        "directory": f"compose project {project} (backend containers)",
        "replicas": replicas,
    }


def compose_act(state: dict[str, Any], action: str, timeout: float) -> list[dict[str, Any]]:
    """`drain` or `discard` in every backend container; one result each."""
    client, containers = _containers(state, timeout)
    try:
        return [
            {**run_in_container(c, action, timeout), "via": f"docker exec {c.name}"}
            for c in containers
        ]
    finally:
        client.close()

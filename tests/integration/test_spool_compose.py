"""`invoke spool` in compose mode: the spool and the admin token live in the backend container, and
`invoke spool` reaches the admin endpoints through `docker exec` (a loopback request in there).

The backend runs for real in a compose project: this machine's Python and checkout, bind-mounted
read-only into a busybox container (no registry here). Host networking, because the test engine
has no bridge; the path under test (labels → exec → token → loopback call) is the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from netra_devtools.launcher import compose
from netra_devtools.services import faults
from netra_devtools.services.backend import free_port
from netra_devtools.state import save_state
from tests.conftest import REPO_ROOT
from tests.integration.test_analytics_end_to_end import _wait

ROWS = 25


def _mounts() -> list[str]:
    """What the interpreter and the checkout need inside the container, read-only."""
    paths = [Path(p) for p in ("/lib", "/lib64", "/usr") if Path(p).exists()]
    paths += [Path(sys.base_prefix), REPO_ROOT.resolve(), Path(sys.prefix)]
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(parent) for parent in kept if parent != path):
            kept.append(path)
    return [f"{p}:{p}:ro" for p in kept]


def _compose_file(image: str, port: int, database_url: str, clickhouse_url: str) -> str:
    service = {
        "image": image,
        "network_mode": "host",
        "working_dir": "/",
        "environment": {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "PYTHONDONTWRITEBYTECODE": "1",
            "DATABASE_URL": database_url,
            "CLICKHOUSE_URL": clickhouse_url,
            "CLICKHOUSE_SPOOL_DIR": "/netra-spool",
            "CLICKHOUSE_RETRY_MAX_S": "120",
            "NETRA_REPLICA_ID": "r1",
        },
        "volumes": _mounts(),
        "command": ["python", "-m", "netra_backend", "--host", "127.0.0.1", "--port", str(port)],
    }
    return json.dumps({"services": {"backend": service}})  # JSON is YAML


@pytest.fixture
def compose_backend(
    tmp_path: Path, docker_host: str, busybox_image: str, database_url: str
) -> Iterator[tuple[Path, int]]:
    """A compose project whose backend spools (ClickHouse refuses); (state dir, backend port)."""
    port = free_port()
    with faults.refusing() as (host, ch_port):
        path = tmp_path / "compose.yml"
        clickhouse = f"http://default:pw@{host}:{ch_port}/netra"
        path.write_text(_compose_file(busybox_image, port, database_url, clickhouse), "utf-8")
        project = compose.ComposeProject(
            file=path, project=f"ns{uuid.uuid4().hex[:10]}", env={"DOCKER_HOST": docker_host}
        )
        project.command = compose.compose_command()
        state = tmp_path / ".netra"
        save_state(
            {"mode": "compose", "compose": {"project": project.project, "env": project.env},
             "processes": [], "urls": {}},
            state,
        )  # fmt: skip
        project.run("up", "-d")
        try:
            _wait(lambda: _ready(port), 60, "the containerised backend")
            yield state, port
        finally:
            project.run("down", "-t", "5", timeout=120)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _spool_cli(state: Path, *argv: str) -> tuple[int, Any, str]:
    done = subprocess.run(
        [sys.executable, "-m", "netra_devtools.analytics", "spool", "--json", *argv],
        capture_output=True, text=True, timeout=120, cwd=state.parent,
        env={**os.environ, "NETRA_STATE_DIR": str(state)},
    )  # fmt: skip
    return done.returncode, json.loads(done.stdout or "null"), done.stderr


def test_invoke_spool_reads_and_discards_through_docker_exec(
    compose_backend: tuple[Path, int],
) -> None:
    state, port = compose_backend
    events = [{"event_type": "compose", "properties": {"i": i}} for i in range(ROWS)]
    assert httpx.post(f"http://127.0.0.1:{port}/api/events", json=events).status_code == 202
    _wait(lambda: _spool_cli(state)[1]["pending_rows"] == ROWS, 20, "rows in the container")
    code, status, err = _spool_cli(state)
    assert code == 0, err
    assert (
        status["pending_rows"] == ROWS and status["replicas"][0]["directory"] == "/netra-spool/r1"
    )
    # from the host, without the token that stayed in the container, nothing goes through
    refused = httpx.post(f"http://127.0.0.1:{port}/api/admin/spool/discard")
    assert refused.status_code == 403
    code, result, err = _spool_cli(state, "--discard", "--yes")
    assert code == 0, err
    assert result["results"][0]["discarded"] == ROWS
    assert result["results"][0]["via"].startswith("docker exec ")
    assert result["status"]["pending_rows"] == 0

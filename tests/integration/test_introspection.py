"""Introspection and engine detection against a real Docker engine and real driver errors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_devtools.docker import EngineNotFound, detect
from netra_devtools.learnings import SPEC_DIR, load_catalog
from netra_devtools.learnings.matcher import Matcher
from tests.support.skips import require_module, service_missing

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "docker_log_introspection_windows.py"
MATCHER = Matcher(load_catalog(SPEC_DIR).signatures)
PORT_ERROR = "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8000): address already in use"
PG_ERROR = 'psycopg2.OperationalError: connection to server at "db" (172.18.0.2), port 5432 failed: Connection refused'
MIGRATION_ERROR = 'psycopg2.errors.DuplicateTable: relation "userbase" already exists'


def _introspect(
    docker_host: str, *args: str, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_HOST": docker_host, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


def _run_service(client: Any, image: str, project: str, service: str, script: str) -> Any:
    return client.containers.run(
        image,
        ["sh", "-c", script],
        detach=True,
        name=f"{project}-{service}-1",
        labels={
            "com.docker.compose.project": project,
            "com.docker.compose.service": service,
            "com.docker.compose.container-number": "1",
            "com.docker.compose.oneoff": "False",
        },
        network_mode="none",
    )


def _wait_for_output(container: Any, text: bytes, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in container.logs():
        assert time.monotonic() < deadline, f"container never printed {text!r}"
        time.sleep(0.2)


@pytest.fixture
def project(docker_client: Any, busybox_image: str) -> Iterator[str]:
    """A compose project (by labels) with services api and worker that printed known errors."""
    name = f"nt{uuid.uuid4().hex[:8]}"
    containers = [
        _run_service(
            docker_client,
            busybox_image,
            name,
            "api",
            f"echo starting; echo \"{PORT_ERROR}\"; echo ok; echo '{PG_ERROR}'",
        ),
        _run_service(
            docker_client, busybox_image, name, "worker", f"echo hello; echo '{MIGRATION_ERROR}'"
        ),
    ]
    for container in containers:
        container.wait(timeout=30)
    yield name
    for container in containers:
        container.remove(force=True)


def test_findings_per_compose_service_with_line_numbers(docker_host: str, project: str) -> None:
    result = _introspect(docker_host, "--project", project, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    found = [(f["source"], f["line"], f["signature"]) for f in report["findings"]]
    assert found == [
        ("api", 2, "port-in-use"),
        ("api", 4, "postgres-unreachable"),
        ("worker", 2, "migration-object-exists"),
    ]
    assert report["summary"] == {
        "lines": 6,
        "findings": 3,
        "by_signature": {"migration-object-exists": 1, "port-in-use": 1, "postgres-unreachable": 1},
    }


def test_service_filter_limits_the_sources(docker_host: str, project: str) -> None:
    result = _introspect(docker_host, "--project", project, "--service", "worker", "--json")
    assert result.returncode == 1
    assert {f["source"] for f in json.loads(result.stdout)["findings"]} == {"worker"}


def test_table_names_the_fix_for_people(docker_host: str, project: str) -> None:
    result = _introspect(docker_host, "--project", project)
    assert result.returncode == 1
    assert "invoke fix-port" in result.stdout and "api:2" in result.stdout


def test_compose_cli_fallback_attributes_lines_to_services(
    docker_host: str, project: str, busybox_image: str, tmp_path: Path
) -> None:
    if shutil.which("docker-compose") is None and shutil.which("docker") is None:
        service_missing("no compose CLI installed (docker compose or docker-compose)")
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(
        "version: '3.8'\nservices:\n"
        f"  api:\n    image: {busybox_image}\n    network_mode: none\n"
        f"  worker:\n    image: {busybox_image}\n    network_mode: none\n"
    )
    result = _introspect(
        docker_host, "--via", "cli", "--project", project, "--compose-file", str(compose), "--json"
    )
    if "neither `docker compose` nor `docker-compose`" in result.stderr:
        service_missing(result.stderr.strip())
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    found = sorted((f["source"], f["line"], f["signature"]) for f in findings)
    assert found == [  # lines are numbered within each service, as with the SDK source
        ("api", 2, "port-in-use"),
        ("api", 4, "postgres-unreachable"),
        ("worker", 2, "migration-object-exists"),
    ]


def test_unknown_project_is_one_error_line(docker_host: str, docker_client: Any) -> None:
    result = _introspect(docker_host, "--project", "no-such-project-here", "--via", "sdk")
    assert result.returncode == 1
    assert result.stderr == "error: no containers of compose project 'no-such-project-here'\n"


def test_since_skips_older_lines(docker_host: str, docker_client: Any, busybox_image: str) -> None:
    name = f"nt{uuid.uuid4().hex[:8]}"
    container = _run_service(
        docker_client,
        busybox_image,
        name,
        "api",
        f"echo \"{PORT_ERROR}\"; sleep 3; echo '{PG_ERROR}'; sleep 60",
    )
    try:
        _wait_for_output(container, b"Connection refused")
        stamped = container.logs(timestamps=True).decode().splitlines()
        second = next(line for line in stamped if "Connection refused" in line).split(" ", 1)[0]
        since = str(
            int(time.mktime(time.strptime(second[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone)
        )
        result = _introspect(docker_host, "--project", name, "--since", since, "--json")
        assert result.returncode == 1, result.stderr
        assert [f["signature"] for f in json.loads(result.stdout)["findings"]] == [
            "postgres-unreachable"
        ]
    finally:
        container.remove(force=True)


def test_follow_streams_json_lines_and_stops_after_max_findings(
    docker_host: str, docker_client: Any, busybox_image: str
) -> None:
    name = f"nt{uuid.uuid4().hex[:8]}"
    containers = [
        _run_service(
            docker_client, busybox_image, name, "api", f'sleep 2; echo "{PORT_ERROR}"; sleep 120'
        ),
        _run_service(
            docker_client,
            busybox_image,
            name,
            "worker",
            f"sleep 3; echo '{MIGRATION_ERROR}'; sleep 120",
        ),
    ]
    try:
        started = time.monotonic()
        result = _introspect(
            docker_host,
            "--project",
            name,
            "--follow",
            "--json",
            "--max-findings",
            "2",
            "--timeout",
            "40",
        )
        assert result.returncode == 1, result.stderr
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert sorted((f["source"], f["signature"]) for f in lines) == [
            ("api", "port-in-use"),
            ("worker", "migration-object-exists"),
        ]
        assert time.monotonic() - started < 35  # stopped at 2 findings, not at the timeout
    finally:
        for container in containers:
            container.remove(force=True)


def test_follow_with_a_quiet_stack_stops_at_the_timeout_clean(
    docker_host: str, docker_client: Any, busybox_image: str
) -> None:
    name = f"nt{uuid.uuid4().hex[:8]}"
    container = _run_service(docker_client, busybox_image, name, "api", "echo all good; sleep 120")
    try:
        result = _introspect(docker_host, "--project", name, "--follow", "--json", "--timeout", "2")
        assert (result.returncode, result.stdout) == (0, "")
    finally:
        container.remove(force=True)


def test_detection_through_docker_host(docker_host: str) -> None:
    detection = detect({"DOCKER_HOST": docker_host}, Path("/nonexistent-home"))
    assert detection.url == docker_host
    assert [a.error for a in detection.attempts] == [None]


def test_detection_finds_engine_through_context_file(docker_host: str, tmp_path: Path) -> None:
    config = tmp_path / "docker-config"
    meta = config / "contexts" / "meta" / hashlib.sha256(b"netra-test").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps(
            {"Name": "netra-test", "Metadata": {}, "Endpoints": {"docker": {"Host": docker_host}}}
        )
    )
    (config / "config.json").write_text(json.dumps({"auths": {}, "currentContext": "netra-test"}))
    detection = detect({"DOCKER_CONFIG": str(config)}, tmp_path)
    assert detection.url == docker_host
    assert detection.attempts[0].candidate.origin == "context netra-test"


def test_missing_socket_is_reported_cleanly_by_the_script(tmp_path: Path) -> None:
    missing = f"unix://{tmp_path}/gone.sock"
    result = _introspect(missing, "--project", "p", "--via", "sdk", timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: no Docker engine answered (tried DOCKER_HOST: {missing}: missing socket;"
    )
    assert result.stderr.count("\n") == 1
    with pytest.raises(EngineNotFound):
        detect({"DOCKER_HOST": missing}, tmp_path)


def test_auto_mode_without_engine_reports_sdk_and_cli_fallback_errors(tmp_path: Path) -> None:
    missing = f"unix://{tmp_path}/gone.sock"
    result = _introspect(missing, "--project", "p", timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("error: Docker SDK: no Docker engine answered")
    assert "; compose CLI fallback: " in result.stderr
    assert result.stderr.count("\n") == 1


def test_real_postgres_errors_are_recognised(postgres_server: Any, database_url: str) -> None:
    """Errors raised by the real driver against a real server map to their signatures."""
    import psycopg2
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    with pytest.raises(psycopg2.OperationalError) as wrong_password:
        psycopg2.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password="wrong",
            dbname=url.database,
            connect_timeout=5,
        )
    assert MATCHER.identify(str(wrong_password.value).splitlines()[0]).id == "postgres-auth-failed"

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        closed_port = holder.getsockname()[1]
    with pytest.raises(psycopg2.OperationalError) as refused:
        psycopg2.connect(
            host="127.0.0.1", port=closed_port, user="x", password="y", connect_timeout=5
        )
    assert MATCHER.identify(str(refused.value).splitlines()[0]).id == "postgres-unreachable"

    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE userbase (id int)"))
        for sql, expected in [
            ("CREATE TABLE userbase (id int)", "migration-object-exists"),
            (
                "CREATE INDEX idx_a ON userbase (id); CREATE INDEX idx_a ON userbase (id)",
                "migration-object-exists",
            ),
            ("DROP INDEX idx_userbase_created_at", "migration-object-missing"),
            ("ALTER TABLE userbase DROP COLUMN created_at", "migration-object-missing"),
        ]:
            with pytest.raises(Exception) as caught, engine.begin() as conn:
                conn.execute(text(sql))
            assert MATCHER.identify(str(caught.value).splitlines()[0]).id == expected, caught.value
    finally:
        engine.dispose()


def test_real_socket_and_client_errors_are_recognised(tmp_path: Path) -> None:
    """A real double bind and a real ClickHouse client against a closed port."""
    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.1", 0))
        first.listen()
        with pytest.raises(OSError) as in_use:
            second.bind(first.getsockname())
    assert MATCHER.identify(f"OSError: {in_use.value}").id == "port-in-use"

    clickhouse_connect = require_module("clickhouse_connect")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
    with pytest.raises(Exception) as unavailable:
        clickhouse_connect.get_client(
            host="127.0.0.1", port=port, connect_timeout=2, query_retries=0
        )
    line = f"{type(unavailable.value).__module__}.{type(unavailable.value).__name__}: {unavailable.value}"
    assert MATCHER.identify(line.splitlines()[0]).id == "clickhouse-unavailable", line

"""Fixtures for real services (PostgreSQL, a Docker engine, ClickHouse) and the suite's markers.

`NETRA_TEST_DATABASE_URL` / `NETRA_TEST_CLICKHOUSE_URL` / `DOCKER_HOST` point the tests at
external services; otherwise throwaway ones are started. A missing service skips the test with
the reason, except under `NETRA_REQUIRE_SERVICES=1`, where it fails (tests/support/skips.py).
Markers come from directories (tests/support/markers.py). Helpers the tests share live in
tests/support/, not here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.markers import MARKERS, markers_for
from tests.support.skips import service_missing

__all__ = ["REPO_ROOT", "service_missing"]  # tests import these from here too

DATA_DIR = Path(__file__).parent / "data"
REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Declare the suite's markers (tests/support/markers.py), the one list of them."""
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    _restore_ctrl_c_for_children()


def _restore_ctrl_c_for_children() -> None:
    """A suite started as a background job (`.ci/run &` in a script) inherits SIGINT ignored, and
    so would every process it starts: a test that presses Ctrl-C on a launcher would wait forever.
    A command typed at a terminal gets the default; give our children the same."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its directory (and `docker` by the engine fixture it requests)."""
    for item in items:
        for name in markers_for(item.path, getattr(item, "fixturenames", ())):
            item.add_marker(name)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """tests/data: the only place tests read their data from."""
    return DATA_DIR


# --- PostgreSQL ---------------------------------------------------------------------------


@contextlib.contextmanager
def _throwaway_cluster() -> Iterator[Any]:
    from netra_devtools.services import postgres

    try:
        cluster = postgres.start_throwaway()
    except (postgres.PostgresUnavailable, postgres.PostgresStartError) as exc:
        service_missing(f"PostgreSQL: {exc}")
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A PostgreSQL server for the whole run: external, or a throwaway cluster."""
    external = os.environ.get("NETRA_TEST_DATABASE_URL")
    if external:
        from netra_devtools.services.postgres import ExternalServer

        yield ExternalServer(external)
        return
    with _throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture
def database_url(postgres_server: Any) -> Iterator[str]:
    """A fresh, empty database for one test; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url: str = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def postgres_cluster() -> Iterator[Any]:
    """A private throwaway cluster one test may stop and start (not shareable externally)."""
    with _throwaway_cluster() as cluster:
        yield cluster


# --- Docker -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_host() -> Iterator[str]:
    """The URL of a reachable Docker engine: DOCKER_HOST, or a private dockerd we start."""
    from netra_devtools.services import docker_engine

    host = os.environ.get("DOCKER_HOST")
    if host:
        if not docker_engine.wait_for_engine(host, 10):
            service_missing(f"Docker engine at DOCKER_HOST={host} does not answer")
        yield host
        return
    try:
        daemon = docker_engine.start_dockerd()
    except docker_engine.DockerUnavailable as exc:
        service_missing(f"Docker: {exc}")
    try:
        yield daemon.host
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def docker_client(docker_host: str) -> Iterator[Any]:
    """A Docker SDK client for the test engine."""
    import docker

    client = docker.DockerClient(base_url=docker_host, timeout=60)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def busybox_image(docker_client: Any) -> str:
    """A busybox image imported from busybox-static (no registry needed)."""
    from netra_devtools.services import docker_engine

    try:
        return docker_engine.ensure_busybox_image(docker_client)
    except docker_engine.DockerUnavailable as exc:
        service_missing(f"busybox image: {exc}")
        raise


# --- Processes that listen (port doctor tests) ----------------------------------------------

LISTENER_CODE = """
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if family == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind((host, port))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(600)
"""


@pytest.fixture
def spawn_listener() -> Iterator[Any]:
    """Start real child processes that listen: `spawn_listener(host="127.0.0.1", port=0,
    user=None)` → (Popen, port). Every child is killed at teardown."""
    import shutil
    import subprocess
    import sys

    children: list[subprocess.Popen[str]] = []

    def spawn(host: str = "127.0.0.1", port: int = 0, user: str | None = None) -> tuple[Any, int]:
        kwargs: dict[str, Any] = {"user": user, "cwd": "/"} if user else {}
        # Another user may not reach our venv's interpreter; the child needs only the stdlib.
        python = (shutil.which("python3", path="/usr/bin:/bin") if user else None) or sys.executable
        child = subprocess.Popen(
            [python, "-c", LISTENER_CODE, host, str(port)],
            stdout=subprocess.PIPE,
            text=True,
            **kwargs,
        )
        children.append(child)
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.strip():
            child.kill()
            child.wait(timeout=10)
            pytest.fail(f"listener on {host}:{port} did not start")
        return child, int(line)

    yield spawn
    for child in children:
        if child.poll() is None:
            child.kill()
        try:
            child.wait(timeout=10)
        except (subprocess.TimeoutExpired, ChildProcessError):
            pass


# --- ClickHouse ---------------------------------------------------------------------------


def _start_embedded_clickhouse() -> Any:
    import tempfile

    from netra_devtools.services import clickhouse

    try:
        return clickhouse.start_embedded(Path(tempfile.mkdtemp(prefix="netra-ch-")) / "data")
    except (clickhouse.ClickHouseUnavailable, clickhouse.ClickHouseStartError) as exc:
        service_missing(f"ClickHouse: {exc}")
        raise


def _destroy_embedded_clickhouse(server: Any) -> None:
    import shutil

    server.destroy()
    shutil.rmtree(server.data_dir.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def clickhouse_url() -> Iterator[str]:
    """A ClickHouse HTTP URL: NETRA_TEST_CLICKHOUSE_URL, or a throwaway embedded engine."""
    external = os.environ.get("NETRA_TEST_CLICKHOUSE_URL")
    if external:
        yield external
        return
    server = _start_embedded_clickhouse()
    try:
        yield server.url
    finally:
        _destroy_embedded_clickhouse(server)


@pytest.fixture
def clickhouse_server() -> Iterator[Any]:
    """A private embedded ClickHouse (EmbeddedClickHouse) a test may stop, kill and start."""
    server = _start_embedded_clickhouse()
    try:
        yield server
    finally:
        _destroy_embedded_clickhouse(server)


# --- the shared cache (root handing PostgreSQL to an unprivileged user) ---------------------


@pytest.fixture(scope="session", autouse=True)
def private_shared_cache() -> Iterator[Path | None]:
    """A shared cache of this session's own, removed at its end (as root on POSIX only).

    As root, clusters whose directory the unprivileged user cannot reach (pytest's 0700 tmp
    dirs, a clone in `mktemp -d`) live in the shared cache; the tests' copies go away with them.
    """
    import shutil
    import tempfile

    from netra_devtools.compat import is_root

    if not is_root() or os.environ.get("NETRA_SHARED_CACHE"):
        yield None
        return
    cache = Path(tempfile.mkdtemp(prefix="netra-test-cache-", dir="/var/tmp"))
    cache.chmod(0o755)
    os.environ["NETRA_SHARED_CACHE"] = str(cache)
    try:
        yield cache
    finally:
        os.environ.pop("NETRA_SHARED_CACHE", None)
        shutil.rmtree(cache, ignore_errors=True)

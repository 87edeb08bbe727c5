"""The shipped learnings catalog: schema, signatures against real lines, grep export."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from netra_devtools.learnings import REPO_ROOT, SPEC_DIR, load_catalog
from netra_devtools.learnings.ere import export_patterns, to_ere
from netra_devtools.learnings.matcher import Matcher
from netra_devtools.learnings.validate import (
    REQUIRED_SIGNATURES,
    check_examples,
    check_ids,
    missing_references,
)
from tests.support.skips import service_missing

CATALOG = load_catalog(SPEC_DIR)
MATCHER = Matcher(CATALOG.signatures)


DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def _known_errors(data_dir: Path = DATA_DIR) -> list[tuple[str, str]]:
    rows = []
    for raw in (data_dir / "known_errors.tsv").read_text("utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            signature, _, line = raw.partition("\t")
            rows.append((signature, line))
    return rows


# Real lines in other shapes than the XML examples: other drivers, names, ports, platforms.
OTHER_REAL_LINES = [
    (
        "port-in-use",
        "[Errno 48] error while attempting to bind on address ('127.0.0.1', 8001): address already in use",
    ),
    (
        "port-in-use",
        "Error starting userland proxy: listen tcp4 0.0.0.0:5432: bind: address already in use",
    ),
    ("port-in-use", "Error: listen EADDRINUSE: address already in use 127.0.0.1:5173"),
    ("port-in-use", "2026/01/02 10:00:00 listen tcp :9090: bind: address already in use"),
    ("port-in-use", "Bind for 0.0.0.0:8123 failed: port is already allocated"),
    (
        "port-access-forbidden",
        "OSError: [WinError 10013] An attempt was made to access a socket in a way forbidden by its access permissions",
    ),
    ("port-access-forbidden", "Error: listen EACCES: permission denied :::443"),
    ("port-access-forbidden", "listen tcp 0.0.0.0:80: bind: permission denied"),
    (
        "migration-object-missing",
        'sqlalchemy.exc.ProgrammingError: (psycopg2.errors.UndefinedTable) table "old_events" does not exist',
    ),
    (
        "migration-object-missing",
        'asyncpg.exceptions.UndefinedObjectError: index "ix_threads_owner" does not exist',
    ),
    (
        "migration-object-missing",
        'psycopg.errors.UndefinedColumn: column "archived" does not exist',
    ),
    ("migration-object-missing", 'ERROR: index "ix_a" does not exist (SQLSTATE 42704)'),
    (
        "migration-object-exists",
        'asyncpg.exceptions.DuplicateTableError: relation "alembic_version" already exists',
    ),
    (
        "migration-object-exists",
        'psycopg.errors.DuplicateObject: constraint "uq_user_email" for relation "userbase" already exists',
    ),
    ("migration-object-exists", 'ERROR:  column "email" of relation "users" already exists'),
    ("migration-object-exists", 'pq: relation "sessions" already exists'),
    (
        "docker-engine-unreachable",
        "Cannot connect to the Docker daemon at unix:///run/user/1000/podman/podman.sock. Is the docker daemon running?",
    ),
    (
        "docker-engine-unreachable",
        "Cannot connect to the Docker daemon at tcp://192.168.99.100:2376. Is the docker daemon running?",
    ),
    (
        "docker-engine-unreachable",
        'error during connect: Get "http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.47/containers/json": open //./pipe/docker_engine: The system cannot find the file specified.',
    ),
    (
        "docker-engine-unreachable",
        "docker.errors.DockerException: Error while fetching server API version: ('Connection aborted.', ConnectionRefusedError(111, 'Connection refused'))",
    ),
    (
        "clickhouse-unavailable",
        "clickhouse_connect.driver.exceptions.OperationalError: Error HTTPConnectionPool(host='clickhouse', port=8123): Read timed out. (read timeout=10) executing HTTP request attempt 1 (http://clickhouse:8123)",
    ),
    (
        "clickhouse-unavailable",
        "Code: 210. DB::NetException: Connection refused (127.0.0.1:9440). (NETWORK_ERROR)",
    ),
    ("clickhouse-unavailable", "ERROR clickhouse connection refused after 3 retries"),
    (
        "postgres-unreachable",
        'psycopg2.OperationalError: connection to server at "db" (172.20.0.3), port 5432 failed: Connection refused',
    ),
    (
        "postgres-unreachable",
        'psycopg2.OperationalError: could not translate host name "postgres" to address: Temporary failure in name resolution',
    ),
    (
        "postgres-unreachable",
        'psycopg.OperationalError: connection failed: connection to server at "::1", port 5433 failed: Connection refused',
    ),
    (
        "postgres-unreachable",
        "OSError: Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432, 0, 0), [Errno 111] Connect call failed ('127.0.0.1', 5432)",
    ),
    ("postgres-unreachable", "FATAL:  the database system is shutting down"),
    (
        "postgres-auth-failed",
        'sqlalchemy.exc.OperationalError: (psycopg.OperationalError) connection failed: FATAL:  password authentication failed for user "netra"',
    ),
    (
        "postgres-auth-failed",
        'FATAL: password authentication failed for user "app" (SQLSTATE 28P01)',
    ),
    (
        "postgres-auth-failed",
        'asyncpg.exceptions.InvalidAuthorizationSpecificationError: role "ghost" does not exist',
    ),
    (
        "postgres-auth-failed",
        'FATAL:  no pg_hba.conf entry for host "10.0.0.7", user "app", database "app", SSL off',
    ),
    ("-", 'INFO:     127.0.0.1:53122 - "GET /health/ready HTTP/1.1" 200 OK'),
    ("-", "LOG:  checkpoint complete: wrote 3 buffers (0.0%); 0 WAL file(s) added"),
    ("-", 'NOTICE:  relation "alembic_version" already exists, skipping'),
    ("-", 'NOTICE:  index "ix_old" does not exist, skipping'),
    ("-", "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl."),
    ("port-in-use", "java.net.BindException: Address already in use"),
    (
        "port-in-use",
        "2026/01/01 10:00:00 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)",
    ),
    ("port-in-use", "Error: rootlessport listen tcp 0.0.0.0:8080: bind: address already in use"),
    (
        "port-in-use",
        "OSError: [WinError 10048] Normalerweise darf jede Socketadresse (Protokoll, Netzwerkadresse oder Anschluss) nur jeweils einmal verwendet werden",
    ),
    ("port-access-forbidden", "nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)"),
    ("port-access-forbidden", "Caused by: java.net.BindException: Permission denied"),
    ("migration-object-missing", 'PG::UndefinedTable: ERROR:  relation "users" does not exist'),
    (
        "migration-object-missing",
        'django.db.utils.ProgrammingError: relation "app_thread" does not exist',
    ),
    ("migration-object-missing", "ERROR:  column users.foo does not exist"),
    (
        "migration-object-missing",
        "The table `public.users` does not exist in the current database.",
    ),
    ("migration-object-exists", 'PG::DuplicateTable: ERROR:  relation "users" already exists'),
    ("migration-object-exists", 'psycopg.errors.DuplicateObject: type "status" already exists'),
    (
        "docker-engine-unreachable",
        "unable to get image 'postgres:15': Cannot connect to the Docker daemon at unix:///home/ada/.docker/desktop/docker.sock. Is the docker daemon running?",
    ),
    (
        "docker-engine-unreachable",
        "error during connect: in the default daemon configuration on Windows, the docker client must be run with elevated privileges to connect",
    ),
    (
        "docker-engine-unreachable",
        "request returned Internal Server Error for API route and version http://%2F%2F.%2Fpipe%2FdockerDesktopLinuxEngine/v1.45/containers/json, check if the server supports the requested API version",
    ),
    (
        "docker-engine-unreachable",
        "dial unix /var/run/docker.sock: connect: no such file or directory",
    ),
    (
        "docker-engine-unreachable",
        "open //./pipe/docker_engine_linux: The system cannot find the file specified.",
    ),
    (
        "clickhouse-unavailable",
        "clickhouse_driver.errors.SocketTimeoutError: Code: 209. ([Errno 110] Connection timed out) (clickhouse:9000)",
    ),
    ("clickhouse-unavailable", "Error: connect ECONNREFUSED 127.0.0.1:8123"),
    (
        "postgres-unreachable",
        "failed to connect to `user=postgres database=postgres`: 127.0.0.1:5433 (localhost): dial error: dial tcp 127.0.0.1:5433: connect: connection refused",
    ),
    (
        "postgres-unreachable",
        "org.postgresql.util.PSQLException: Connection to localhost:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.",
    ),
    (
        "postgres-unreachable",
        "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) server closed the connection unexpectedly",
    ),
    ("postgres-unreachable", "localhost:5432 - no response"),
    ("postgres-unreachable", "psycopg.errors.ConnectionTimeout: connection timeout expired"),
    (
        "postgres-auth-failed",
        "org.postgresql.util.PSQLException: The server requested password-based authentication, but no password was provided.",
    ),
    (
        "postgres-auth-failed",
        "Error: SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string",
    ),
    (
        "postgres-auth-failed",
        'failed to connect to `user=postgres database=postgres`: 127.0.0.1:5432 (localhost): failed SASL auth: FATAL: password authentication failed for user "postgres" (SQLSTATE 28P01)',
    ),
    ("-", "LOG:  database system was shut down at 2026-01-01 10:00:00 UTC"),
    ("-", "INFO:     Application startup complete."),
    ("-", "minio: API: http://172.18.0.3:9000"),
    ("-", "WARNING: ClickHouse spool replayed 120 rows"),
]


def test_catalog_has_every_required_signature_and_unique_ids() -> None:
    assert check_ids(CATALOG) == []
    assert set(REQUIRED_SIGNATURES) <= {sig.id for sig in CATALOG.signatures}
    assert {lr.id for lr in CATALOG.learnings} >= {
        "docker_detection_windows",
        "alembic_index_idempotency_fix",
        "windows_development",
        "clickhouse_graceful_failure",
        "postgres_connectivity",
    }


def test_examples_match_only_their_signature_and_near_misses_nothing() -> None:
    assert check_examples(CATALOG, MATCHER) == []


@pytest.mark.parametrize(("expected", "line"), _known_errors())
def test_known_error_line_matches_its_signature(expected: str, line: str) -> None:
    found = [sig.id for sig in MATCHER.identify_all(line)]
    assert found == ([] if expected == "-" else [expected]), line


@pytest.mark.parametrize(("expected", "line"), OTHER_REAL_LINES)
def test_signature_generalises_to_other_real_lines(expected: str, line: str) -> None:
    found = [sig.id for sig in MATCHER.identify_all(line)]
    assert found == ([] if expected == "-" else [expected])


def test_exported_patterns_select_the_same_lines_in_grep(tmp_path: Path, data_dir: Path) -> None:
    if shutil.which("grep") is None:
        service_missing("GNU grep is not installed")
    lines = [line for _, line in _known_errors(data_dir) + OTHER_REAL_LINES]
    lines += [ex for sig in CATALOG.signatures for ex in sig.examples + sig.near_misses]
    (tmp_path / "log").write_text("\n".join(lines) + "\n", "utf-8")
    (tmp_path / "patterns").write_text(export_patterns(s.pattern for s in CATALOG.signatures))
    result = subprocess.run(
        ["grep", "-E", "-f", str(tmp_path / "patterns"), str(tmp_path / "log")],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    assert result.stderr == ""
    assert result.stdout.splitlines() == [line for line in lines if MATCHER.identify(line)]


def test_ere_export_translates_re2_only_syntax() -> None:
    assert to_ere(r"(?:a|b)\d+") == "(a|b)[0-9]+"
    assert to_ere(r"(?i:ab)c") == "([aA][bB])c"
    assert to_ere(r'"[^"\-]*" \(x\)') == '"[^"-]*" \\(x\\)'


REFERENCES = sorted(
    {(lr.id, ref) for lr in CATALOG.learnings for ref in lr.related_files + lr.verification}
)


@pytest.mark.parametrize(("learning", "reference"), REFERENCES, ids=[r for _, r in REFERENCES])
def test_shipped_learnings_reference_existing_files_and_tests(
    learning: str, reference: str
) -> None:
    """Each related file and verification test exists (other helpers' files arrive at merge)."""
    only = [lr for lr in CATALOG.learnings if lr.id == learning]
    problems = missing_references(type(CATALOG)(tuple(only)), REPO_ROOT)
    assert [p for p in problems if p.endswith(": " + reference)] == []

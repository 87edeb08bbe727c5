"""Migrations under concurrency and crashes: 8 runners at once, the bounded lock, SIGKILL mid-revision."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

import psycopg2
from sqlalchemy.engine import make_url

from netra_backend.app.alembic.runtime import LOCK_KEY
from netra_devtools.compat import WINDOWS
from netra_devtools.migrate.runner import current_version, migrate
from netra_devtools.paths import REPO_ROOT
from tests.integration import test_migrations as scenarios
from tests.integration.test_migrations import HEAD, REVISIONS, alembic_cli, snapshot

# The scenario module's fixtures, shared (module scope: each module gets its own instances).
fresh_database = scenarios.fresh_database
snapshots = scenarios.snapshots


def _alembic_process(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "alembic", *args],  # from the repo root, as people run it
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _psycopg2_connect(url: str, application_name: str) -> Any:
    u = make_url(url)
    return psycopg2.connect(
        host=u.host,
        port=u.port,
        user=u.username,
        password=u.password,
        dbname=u.database,
        application_name=application_name,
        connect_timeout=10,
    )


def test_eight_concurrent_upgrades_all_succeed_and_apply_each_revision_once(
    fresh_database: Any, snapshots: dict[str, dict[str, Any]]
) -> None:
    url = fresh_database()
    runners = [_alembic_process(url, "upgrade", "head") for _ in range(8)]
    outputs = [runner.communicate(timeout=120) for runner in runners]
    codes = [runner.returncode for runner in runners]
    assert codes == [0] * 8, [err for _, err in outputs]
    for revision in REVISIONS:
        appliers = [err for _, err in outputs if f"-> {revision}," in err]
        assert len(appliers) == 1, f"{revision} applied by {len(appliers)} runners"
    u = _psycopg2_connect(url, "check")
    with u, u.cursor() as cur:
        cur.execute("SELECT version_num FROM alembic_version")
        assert cur.fetchall() == [(HEAD,)]
    u.close()
    assert snapshot(url) == snapshots[HEAD]


def test_lock_timeout_names_the_holder_pid_and_how_long(fresh_database: Any) -> None:
    url = fresh_database()
    holder = _psycopg2_connect(url, "lock-holder-test")
    holder.autocommit = True
    with holder.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s, %s), pg_backend_pid()", LOCK_KEY)
        holder_pid = cur.fetchone()[1]
    try:
        started = time.monotonic()
        result = alembic_cli(url, "-x", "lock_timeout=1", "upgrade", "head")
        elapsed = time.monotonic() - started
    finally:
        holder.close()
    assert result.returncode != 0
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1, result.stdout + result.stderr
    assert "timed out after 1s waiting for the migration lock" in failed[0]
    assert f"held by pid {holder_pid} (lock-holder-test" in failed[0]
    assert "s" in failed[0].rsplit(" for ", 1)[1]
    assert "Traceback" not in result.stderr
    assert elapsed < 30
    assert current_version(url) == "base"


def test_rerun_at_head_takes_no_lock(fresh_database: Any) -> None:
    url = fresh_database()
    migrate(url)
    holder = _psycopg2_connect(url, "lock-holder-test")
    holder.autocommit = True
    with holder.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s, %s)", LOCK_KEY)
    try:
        result = alembic_cli(url, "-x", "lock_timeout=1", "upgrade", "head")
    finally:
        holder.close()
    assert result.returncode == 0, result.stderr
    assert "already at head" in result.stderr


def _wait_for_line(process: subprocess.Popen[str], marker: str, timeout: float) -> None:
    assert process.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if marker in line:
            return
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"{marker!r} never appeared")


def test_sigkill_inside_a_revision_leaves_nothing_half_applied_and_rerun_succeeds(
    fresh_database: Any, snapshots: dict[str, dict[str, Any]]
) -> None:
    url = fresh_database()
    # Test-only hook: after HEAD's DDL, inside its transaction, the process sleeps; we kill it.
    runner = _alembic_process(url, "-x", f"test_pause_after={HEAD}:60", "upgrade", "head")
    try:
        _wait_for_line(runner, f"netra-test-pause {HEAD}", timeout=60)
    finally:
        runner.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no cleanup either way
        runner.communicate(timeout=30)
    assert runner.returncode == (1 if WINDOWS else -signal.SIGKILL)
    previous = REVISIONS[-2]
    # The previous revision committed; HEAD's DDL vanished with its transaction.
    assert current_version(url) == previous
    assert snapshot(url) == snapshots[previous]
    result = alembic_cli(url, "-x", "lock_timeout=30", "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert current_version(url) == HEAD
    assert snapshot(url) == snapshots[HEAD]


def test_sigkill_at_random_moments_always_leaves_a_consistent_revision(
    fresh_database: Any, snapshots: dict[str, dict[str, Any]]
) -> None:
    rng = random.Random(4)
    for _ in range(4):
        url = fresh_database()
        runner = _alembic_process(url, "upgrade", "head")
        time.sleep(rng.uniform(0.3, 1.5))
        runner.kill()
        runner.communicate(timeout=30)
        version = current_version(url)
        # Whatever moment it died at, the schema is exactly that of a recorded revision.
        assert snapshot(url) == snapshots[version], f"half-applied at {version}"
        result = alembic_cli(url, "upgrade", "head")
        assert result.returncode == 0, result.stderr
        assert snapshot(url) == snapshots[HEAD]

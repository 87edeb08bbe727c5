"""`invoke migrate --repair` as people run it: the field report's index, --dry-run, the lock, two at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from netra_backend.app.alembic.runtime import LOCK_APPLICATION_NAME, LOCK_KEY
from netra_devtools.migrate.runner import migrate
from netra_devtools.paths import REPO_ROOT
from tests.integration import test_migrations as scenarios
from tests.integration import test_migrations_cli as cli_scenarios
from tests.integration.test_migrations import HEAD, alembic_cli, execute, snapshot
from tests.integration.test_migrations_cli import run_migrate

fresh_database = scenarios.fresh_database
snapshots = scenarios.snapshots
empty_state_dir = cli_scenarios.empty_state_dir

DROPPED_BY_HAND = (
    "DROP INDEX idx_userbase_created_at",
    "ALTER TABLE memberships DROP CONSTRAINT fk_memberships_user_id",
    "ALTER TABLE memberships ALTER COLUMN role DROP DEFAULT",
)


@pytest.fixture
def drifted(fresh_database: Any, empty_state_dir: Path) -> tuple[str, dict[str, str]]:
    """A database at head that lost an index, a foreign key and a default by hand; its env."""
    url = fresh_database()
    migrate(url)
    execute(url, *DROPPED_BY_HAND)
    return url, {"DATABASE_URL": url, "NETRA_STATE_DIR": str(empty_state_dir)}


def test_field_report_index_is_repaired_by_invoke_migrate_and_alembic_check_is_clean(
    drifted: tuple[str, dict[str, str]], snapshots: dict[str, dict[str, Any]]
) -> None:
    url, env = drifted
    before = alembic_cli(url, "upgrade", "head")  # what the field saw: "nothing to do"
    assert before.returncode == 0 and "already at head" in before.stderr
    assert "idx_userbase_created_at" not in snapshot(url)["indexes"]

    first = run_migrate("--repair", env=env, invoke=True)
    assert first.returncode == 0, first.stderr
    assert "missing: index idx_userbase_created_at on userbase" in first.stdout
    assert "  CREATE INDEX idx_userbase_created_at ON userbase (created_at);" in first.stdout
    assert f"repaired: 3 statements (database at {HEAD})" in first.stdout
    assert snapshot(url) == snapshots[HEAD]
    check = alembic_cli(url, "check")
    assert check.returncode == 0, check.stdout + check.stderr

    second = run_migrate("--repair", env=env, invoke=True)
    assert second.returncode == 0, second.stderr
    assert "nothing to repair: the database has what its revisions define" in second.stdout
    assert "ran:" not in second.stdout


def test_dry_run_prints_the_sql_and_changes_nothing(drifted: tuple[str, dict[str, str]]) -> None:
    url, env = drifted
    before = snapshot(url)
    result = run_migrate("--repair", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    sql = lines[lines.index("would run:") + 1 : -1]
    assert sorted(sql) == [
        "  ALTER TABLE memberships ADD CONSTRAINT fk_memberships_user_id FOREIGN KEY(user_id)"
        " REFERENCES userbase (id) ON DELETE CASCADE;",
        "  ALTER TABLE memberships ALTER COLUMN role SET DEFAULT 'member';",
        "  CREATE INDEX idx_userbase_created_at ON userbase (created_at);",
    ]
    assert lines[-1] == f"dry run: nothing changed (database at {HEAD})"
    assert snapshot(url) == before


def test_extra_column_is_reported_for_a_person_with_exit_1(
    drifted: tuple[str, dict[str, str]],
) -> None:
    url, env = drifted
    execute(url, "ALTER TABLE userbase ADD COLUMN stray integer")
    result = run_migrate("--repair", env=env)
    assert result.returncode == 1
    assert "needs a person (a repair never drops or changes these):" in result.stdout
    assert "  extra column userbase.stray" in result.stdout
    assert result.stderr.strip().splitlines() == [
        "error: 1 difference from the revisions needs a person (listed above)"
    ]
    assert "stray" in snapshot(url)["tables"]["userbase"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dry-run"], "error: --dry-run goes with --repair"),
        (["--repair", "--downgrade"], "error: --repair works at the database's own revision"),
        (
            ["--repair", "--revision", "base"],
            "error: --repair works at the database's own revision",
        ),
    ],
)
def test_repair_options_that_do_not_go_together_are_bad_usage(
    args: list[str], message: str, empty_state_dir: Path
) -> None:
    env = {"DATABASE_URL": "postgresql://u:Never-Used-9@127.0.0.1:1/x"}
    result = run_migrate(*args, env={**env, "NETRA_STATE_DIR": str(empty_state_dir)})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(message)


def _hold_lock(url: str) -> sa.Connection:
    engine = sa.create_engine(
        url, poolclass=sa.NullPool, connect_args={"application_name": "lock-holder-test"}
    )
    holder = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    holder.execute(sa.text("SELECT pg_advisory_lock(:a, :b)"), {"a": LOCK_KEY[0], "b": LOCK_KEY[1]})
    return holder


def test_repair_takes_the_migration_lock_and_times_out_naming_the_holder(
    drifted: tuple[str, dict[str, str]],
) -> None:
    url, env = drifted
    before = snapshot(url)
    holder = _hold_lock(url)
    try:
        pid = holder.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        result = run_migrate("--repair", env={**env, "NETRA_MIGRATION_LOCK_TIMEOUT": "1"})
    finally:
        holder.close()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: timed out after 1s waiting for the migration lock")
    assert f"held by pid {pid} (lock-holder-test" in lines[0]
    assert snapshot(url) == before


def _without_database(environ: Any) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k not in ("DATABASE_URL", "NETRA_STATE_DIR")}


def _waiting_repairs(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE application_name = :app AND datname = current_database()"
                    ),
                    {"app": LOCK_APPLICATION_NAME},
                ).scalar()
                or 0
            )
    finally:
        engine.dispose()


def test_two_repairs_at_once_both_succeed_and_repair_once(
    drifted: tuple[str, dict[str, str]], snapshots: dict[str, dict[str, Any]]
) -> None:
    url, env = drifted
    holder = _hold_lock(url)  # both start and wait for the lock, then race for it
    runners = [
        subprocess.Popen(
            [sys.executable, "-m", "netra_devtools.migrate", "--repair"],
            cwd=REPO_ROOT,
            env={**_without_database(os.environ), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while _waiting_repairs(url) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _waiting_repairs(url) >= 2, "the two repairs never waited for the lock together"
    finally:
        holder.close()
    outputs = [runner.communicate(timeout=120) for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0], outputs
    stdouts = sorted(out for out, _ in outputs)
    assert sum("ran:" in out for out in stdouts) == 1, stdouts
    assert sum("nothing to repair" in out for out in stdouts) == 1, stdouts
    assert snapshot(url) == snapshots[HEAD]

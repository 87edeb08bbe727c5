"""`invoke migrate` / `python -m netra_devtools.migrate`: which database, and one clear line on failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from netra_devtools.migrate.runner import current_version
from netra_devtools.paths import REPO_ROOT
from netra_devtools.services.postgres import free_port
from tests.conftest import service_missing
from tests.integration import test_migrations as scenarios
from tests.integration.test_migrations import HEAD, REVISIONS, alembic_cli

fresh_database = scenarios.fresh_database


def run_migrate(
    *args: str, env: dict[str, str], cwd: Path = REPO_ROOT, invoke: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `invoke migrate ARGS` or `python -m netra_devtools.migrate ARGS` in a clean env."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NETRA_STATE_DIR")}
    command = ["-m", "invoke", "migrate"] if invoke else ["-m", "netra_devtools.migrate"]
    return subprocess.run(
        [sys.executable, *command, *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def empty_state_dir() -> Iterator[Path]:
    """A state directory with nothing recorded (no local stack)."""
    path = Path(tempfile.mkdtemp(prefix="netra-state-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_invoke_migrate_upgrades_and_downgrades_database_url(
    fresh_database: Any, empty_state_dir: Path
) -> None:
    url = fresh_database()
    env = {"DATABASE_URL": url, "NETRA_STATE_DIR": str(empty_state_dir)}
    up = run_migrate(env=env, invoke=True)
    assert up.returncode == 0, up.stderr
    assert f"done: database at {HEAD}" in up.stdout
    assert current_version(url) == HEAD
    down = run_migrate("--downgrade", env=env, invoke=True)
    assert down.returncode == 0, down.stderr
    assert current_version(url) == REVISIONS[-2]
    base = run_migrate("--downgrade", "--revision", "base", env=env, invoke=True)
    assert base.returncode == 0, base.stderr
    assert current_version(url) == "base"
    assert make_url(url).password not in up.stdout + up.stderr


def test_migrate_uses_the_local_stack_database_from_state(
    fresh_database: Any, empty_state_dir: Path
) -> None:
    url = fresh_database()
    state = {"mode": "compose", "urls": {"DATABASE_URL": url}}
    (empty_state_dir / "state.json").write_text(json.dumps(state), encoding="utf-8")
    result = run_migrate(env={"NETRA_STATE_DIR": str(empty_state_dir)})
    assert result.returncode == 0, result.stderr
    assert "(from .netra/state.json)" in result.stdout
    assert current_version(url) == HEAD


def test_migrate_starts_the_stopped_local_postgres_recorded_in_state() -> None:
    from netra_devtools.services import postgres

    root = Path(tempfile.mkdtemp(prefix="netra-state-"))
    try:
        cluster = postgres.open_persistent(root)
    except (postgres.PostgresUnavailable, postgres.PostgresStartError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        service_missing(f"PostgreSQL: {exc}")
        return
    try:
        url = cluster.create_database("netra")
        cluster.stop()
        assert not cluster.wait_ready(0.2)
        state = {
            "mode": "local",
            "urls": {"DATABASE_URL": url},
            "postgres": {"port": cluster.port, "data_dir": str(cluster.data_dir)},
        }
        (root / "state.json").write_text(json.dumps(state), encoding="utf-8")
        result = run_migrate(env={"NETRA_STATE_DIR": str(root)})
        assert result.returncode == 0, result.stderr
        assert cluster.wait_ready(1)
        assert current_version(url) == HEAD
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_migrate_without_database_url_or_local_stack_fails_clearly(empty_state_dir: Path) -> None:
    result = run_migrate(env={"NETRA_STATE_DIR": str(empty_state_dir)})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: no database to migrate: set DATABASE_URL, or start the local stack with `invoke dev`"
    ]


def _bad_urls(url: str) -> dict[str, str]:
    good = make_url(url)
    return {
        "wrong password": good.set(password="wrong-Secret-4711").render_as_string(False),
        "unreachable": good.set(
            host="127.0.0.1", port=free_port(), password="Unreach-S3cret"
        ).render_as_string(False),
    }


@pytest.mark.parametrize("case", ["wrong password", "unreachable"])
def test_bad_connection_is_one_masked_line_without_traceback(
    fresh_database: Any, empty_state_dir: Path, case: str
) -> None:
    bad = _bad_urls(fresh_database())[case]
    password = make_url(bad).password
    env = {"DATABASE_URL": bad, "NETRA_STATE_DIR": str(empty_state_dir)}
    result = run_migrate(env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot connect to postgresql+psycopg2://")
    assert ":***@" in lines[0]
    assert password not in result.stdout + result.stderr
    expected = "password authentication failed" if case == "wrong password" else "refused"
    assert expected in lines[0]

    verbose = run_migrate("--verbose", env=env)
    assert verbose.returncode == 1
    assert "Traceback" in verbose.stderr
    assert password not in verbose.stdout + verbose.stderr

    raw = alembic_cli(bad, "upgrade", "head")
    assert raw.returncode != 0
    assert "Traceback" not in raw.stderr
    assert password not in raw.stdout + raw.stderr
    assert "FAILED: cannot connect to" in raw.stdout


def test_unknown_revision_is_bad_input_before_any_connection(empty_state_dir: Path) -> None:
    env = {
        "DATABASE_URL": "postgresql://u:Never-Used-9@127.0.0.1:1/x",
        "NETRA_STATE_DIR": str(empty_state_dir),
    }
    result = run_migrate("--revision", "nope", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown revision 'nope' (see `alembic history`)"
    ]

"""Each kind of error crosses the CLI edge as its exit code: bad input 2, the rest 1 (real runs).

Library code raises domain errors (netra_backend.errors, netra_devtools.errors and their
subclasses); `run_cli` alone maps them. Without --verbose a run prints one `error: ...` line;
with it, the traceback names the domain class that reached the edge, so no wrapper hides it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from netra_devtools.services import faults

SECRET = "Sekrit-Pa55-word-77q"
BAD_CATALOG = "<learnings><learning id='x'"
# (id, command, extra environment, exit code, start of the error line, class at the edge)
# {refused} is a loopback port that refuses connections; {tmp} the test's directory
CASES = [
    ("usage", ["netra_devtools.ports", "check", "--port", "abc"], {}, 2,
     "error: argument --port: not a port number", "netra_backend.cli.UsageError"),
    ("bad-input-option", ["netra_devtools.launcher", "health", "--timeout", "0"], {}, 2,
     "error: --timeout must be positive", "netra_devtools.errors.BadInput"),
    ("bad-input-file", ["netra_devtools.learnings", "introspect", "--file", "{tmp}/absent.log"],
     {}, 2, "error: cannot read", "netra_devtools.errors.BadInput"),
    ("bad-input-revision", ["netra_devtools.migrate", "--revision", "nosuchrev"], {}, 2,
     "error: unknown revision 'nosuchrev'", "netra_devtools.errors.BadInput"),
    ("bad-input-url", ["netra_devtools.analytics", "check", "--url", f"ftp://u:{SECRET}@h/db"],
     {}, 2, "error: --url: expected http(s)://", "netra_devtools.errors.BadInput"),
    ("backend-bad-settings", ["netra_backend", "--port", "1"], {"NETRA_ENV": "bogus"}, 2,
     "error: NETRA_ENV: must be one of", "netra_backend.app.config.SettingsError"),
    ("catalog-broken", ["netra_devtools.learnings", "introspect", "--file", "{tmp}/app.log",
     "--learnings", "{tmp}/catalog"], {}, 1, "error: {tmp}/catalog/bad.xml:1: not well-formed",
     "netra_devtools.learnings.model.LearningSyntaxError"),
    ("no-database", ["netra_devtools.migrate"], {}, 1, "error: no database to migrate",
     "netra_devtools.migrate.runner.NoDatabaseConfigured"),
    ("migration-failed", ["netra_devtools.migrate"],
     {"DATABASE_URL": f"postgresql://app:{SECRET}@127.0.0.1:{{refused}}/netra"}, 1,
     "error: cannot connect to postgresql+psycopg2://app:***@127.0.0.1",
     "netra_devtools.errors.MigrationFailed"),
    ("backend-database-unavailable", ["netra_backend", "--port", "1"],
     {"DATABASE_URL": f"postgresql://app:{SECRET}@127.0.0.1:{{refused}}/netra",
      "DB_CONNECT_RETRIES": "1"}, 1, "error: cannot reach PostgreSQL at 127.0.0.1",
     "netra_backend.app.db.database_manager.DatabaseUnavailable"),
]  # fmt: skip


def _run(case: tuple, tmp_path: Path, refused: int, *, verbose: bool) -> tuple[int, str, str]:
    _, command, extra, _, expected_line, _ = case
    fill = {"tmp": str(tmp_path), "refused": str(refused)}
    (tmp_path / "catalog").mkdir(exist_ok=True)
    (tmp_path / "catalog" / "bad.xml").write_text(BAD_CATALOG)
    (tmp_path / "app.log").write_text("started\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NETRA_", "CLICKHOUSE_", "DB_")) and k != "DATABASE_URL"
    }
    env.update({k: v.format(**fill) for k, v in extra.items()})
    env["NETRA_STATE_DIR"] = str(tmp_path / "state")
    argv = [sys.executable, "-m", *(part.format(**fill) for part in command)]
    if verbose:
        argv.append("--verbose")
    done = subprocess.run(
        argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, done.stderr, expected_line.format(**fill)


@pytest.fixture(scope="module")
def refused_port() -> Iterator[int]:
    """A loopback port that refuses every connection, for the whole module."""
    with faults.refusing() as (_, port):
        yield port


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_error_kind_exits_with_its_code_and_one_masked_line(
    case: tuple, tmp_path: Path, refused_port: int
) -> None:
    code, stderr, expected_line = _run(case, tmp_path, refused_port, verbose=False)
    assert code == case[3], stderr
    assert stderr.strip().splitlines()[-1].startswith(expected_line), stderr
    assert [line for line in stderr.splitlines() if line.startswith("error:")] == [
        stderr.strip().splitlines()[-1]
    ]
    assert "Traceback" not in stderr and SECRET not in stderr


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_verbose_traceback_names_the_domain_error_that_reached_the_edge(
    case: tuple, tmp_path: Path, refused_port: int
) -> None:
    code, stderr, _ = _run(case, tmp_path, refused_port, verbose=True)
    assert code == case[3], stderr
    assert "Traceback" in stderr
    raised = [line for line in stderr.splitlines() if line.startswith(case[5] + ":")]
    assert raised, f"{case[5]} did not reach run_cli:\n{stderr}"

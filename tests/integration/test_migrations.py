"""Migrations converge on real PostgreSQL: reruns, create_all databases, drift, partial states.

Partial states are generated, not hand-picked: each revision is applied to the state before it and
the catalog snapshots are diffed; every object it adds is then pre-created (upgrade scenarios) or
pre-dropped (downgrade scenarios), and the run must end at exactly the clean snapshot.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from netra_backend.app.alembic import catalog
from netra_devtools.migrate.runner import alembic_config, current_version, migrate
from netra_devtools.paths import REPO_ROOT


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("postgresql+psycopg2://unused/x"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


REVISIONS = _revisions()  # base -> head
HEAD = REVISIONS[-1]


def alembic_cli(url: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """`alembic ARGS` from the repo root with DATABASE_URL=url, as a person would run it."""
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],  # finds ./alembic.ini
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def snapshot(url: str) -> dict[str, Any]:
    """The catalog snapshot of the database at `url`."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return catalog.snapshot(connection)
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    """Run DDL statements in one transaction."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def fresh_database(postgres_server: Any) -> Iterator[Any]:
    """A factory of empty databases, all dropped at the end of the module."""
    names: list[str] = []

    def make() -> str:
        name = f"m_{uuid.uuid4().hex[:12]}"
        names.append(name)
        return str(postgres_server.create_database(name))

    yield make
    for name in names:
        postgres_server.drop_database(name)


@pytest.fixture(scope="module")
def snapshots(fresh_database: Any) -> dict[str, dict[str, Any]]:
    """The snapshot after each revision of one clean upgrade ("base" = empty)."""
    url = fresh_database()
    result = {"base": snapshot(url)}
    for revision in REVISIONS:
        migrate(url, revision=revision)
        result[revision] = snapshot(url)
    return result


def test_schema_has_the_shape_of_a_real_backend(snapshots: dict[str, dict[str, Any]]) -> None:
    head = snapshots[HEAD]
    kinds = [c["type"] for c in head["constraints"].values()]
    assert len(head["tables"]) >= 4 and kinds.count("f") >= 4 and kinds.count("u") >= 2
    assert "created_at" in head["tables"]["userbase"]
    assert "idx_userbase_created_at" in head["indexes"]


def test_upgrade_twice_downgrade_twice_upgrade_again_equals_one_clean_upgrade(
    fresh_database: Any, snapshots: dict[str, dict[str, Any]]
) -> None:
    url = fresh_database()
    for args in (["upgrade", "head"], ["upgrade", "head"], ["downgrade", "base"]):
        result = alembic_cli(url, *args)
        assert result.returncode == 0, result.stderr
    assert snapshot(url) == snapshots["base"]
    for args in (["downgrade", "base"], ["upgrade", "head"]):
        result = alembic_cli(url, *args)
        assert result.returncode == 0, result.stderr
    assert snapshot(url) == snapshots[HEAD]
    assert current_version(url) == HEAD


def test_alembic_check_reports_no_drift_after_upgrade(fresh_database: Any) -> None:
    url = fresh_database()
    migrate(url)
    result = alembic_cli(url, "check")
    assert result.returncode == 0, result.stderr
    assert "No new upgrade operations detected" in result.stdout


def test_models_and_migrations_build_the_same_catalog(
    fresh_database: Any, snapshots: dict[str, dict[str, Any]]
) -> None:
    from netra_backend.app.db.models import Base

    url = fresh_database()
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    Base.metadata.create_all(engine)
    engine.dispose()
    assert snapshot(url) == snapshots[HEAD]


def test_create_all_database_without_version_table_upgrades_and_records_head(
    fresh_database: Any, snapshots: dict[str, dict[str, Any]]
) -> None:
    from netra_backend.app.db.models import Base

    url = fresh_database()
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    Base.metadata.create_all(engine)
    engine.dispose()
    assert current_version(url) == "base"
    result = alembic_cli(url, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert current_version(url) == HEAD
    assert snapshot(url) == snapshots[HEAD]


def test_field_report_index_dropped_by_hand_then_downgrade_succeeds(
    fresh_database: Any, snapshots: dict[str, dict[str, Any]]
) -> None:
    url = fresh_database()
    migrate(url)
    execute(url, "DROP INDEX idx_userbase_created_at")
    result = alembic_cli(url, "downgrade", "-1")
    assert result.returncode == 0, result.stderr
    assert "skip drop index public.idx_userbase_created_at: it does not exist" in result.stderr
    assert snapshot(url) == snapshots[REVISIONS[-2]]


# --- generated partial states --------------------------------------------------------------


def _column_sql(name: str, column: dict[str, Any]) -> str:
    default = column["default"] or ""
    if default.startswith("nextval("):  # a serial column: let PostgreSQL make its sequence
        type_ = "bigserial" if column["type"] == "bigint" else "serial"
        return f'"{name}" {type_} NOT NULL'
    sql = f'"{name}" {column["type"]}'
    sql += " NOT NULL" if column["not_null"] else ""
    return sql + (f" DEFAULT {default}" if default else "")


def precreate_sql(key: tuple[str, ...], before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """DDL that adds one object of `after` (and the new objects it needs) to state `before`."""
    statements: list[str] = []

    def table(name: str) -> None:
        if name in before["tables"]:  # an existing table gets the new columns objects may use
            for column, spec in after["tables"][name].items():
                if column not in before["tables"][name]:
                    sql = f'ALTER TABLE "{name}" ADD COLUMN {_column_sql(column, spec)}'
                    if sql not in statements:
                        statements.append(sql)
            return
        columns = ", ".join(_column_sql(c, spec) for c, spec in after["tables"][name].items())
        sql = f'CREATE TABLE "{name}" ({columns})'
        if sql not in statements:
            statements.append(sql)

    def constraint(name: str) -> None:
        spec = after["constraints"][name]
        table(spec["table"])
        if spec["references"]:  # a foreign key needs its target table and key
            table(spec["references"])
            for other, other_spec in after["constraints"].items():
                if (
                    other_spec["table"] == spec["references"]
                    and other_spec["type"] == "p"
                    and other not in before["constraints"]
                ):
                    constraint(other)
        sql = f'ALTER TABLE "{spec["table"]}" ADD CONSTRAINT "{name}" {spec["definition"]}'
        if sql not in statements:
            statements.append(sql)

    kind = key[0]
    if kind == "table":
        table(key[1])
    elif kind == "column":
        spec = after["tables"][key[1]][key[2]]
        statements.append(f'ALTER TABLE "{key[1]}" ADD COLUMN {_column_sql(key[2], spec)}')
        return statements
    elif kind == "index":
        table(after["indexes"][key[1]]["table"])
        statements.append(after["indexes"][key[1]]["definition"])
    else:
        constraint(key[1])
    return statements


def predrop_sql(key: tuple[str, ...], after: dict[str, Any]) -> str:
    """DDL that removes one object (and what depends on it) from state `after`."""
    kind = key[0]
    if kind == "table":
        return f'DROP TABLE "{key[1]}" CASCADE'
    if kind == "column":
        return f'ALTER TABLE "{key[1]}" DROP COLUMN "{key[2]}" CASCADE'
    if kind == "index":
        return f'DROP INDEX "{key[1]}"'
    table = after["constraints"][key[1]]["table"]
    return f'ALTER TABLE "{table}" DROP CONSTRAINT "{key[1]}" CASCADE'


@pytest.fixture(scope="module")
def partial_cases(snapshots: dict[str, dict[str, Any]]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(previous, revision, object) for every object each revision adds."""
    cases = []
    previous = "base"
    for revision in REVISIONS:
        for key in catalog.added_objects(snapshots[previous], snapshots[revision]):
            cases.append((previous, revision, key))
        previous = revision
    return cases


def _describe(case: tuple[str, str, tuple[str, ...]]) -> str:
    return f"{case[1]}:{'.'.join(case[2])}"


def test_every_object_a_revision_creates_already_present_converges(
    fresh_database: Any,
    snapshots: dict[str, dict[str, Any]],
    partial_cases: list[tuple[str, str, tuple[str, ...]]],
) -> None:
    assert len(partial_cases) >= 15  # generated: every table, column, index and constraint
    failures = []
    for previous, revision, key in partial_cases:
        url = fresh_database()
        if previous != "base":
            migrate(url, revision=previous)
        execute(url, *precreate_sql(key, snapshots[previous], snapshots[revision]))
        try:
            migrate(url)
        except Exception as exc:  # collect every failing case, not just the first
            failures.append(f"{_describe((previous, revision, key))}: {exc}")
            continue
        if snapshot(url) != snapshots[HEAD] or current_version(url) != HEAD:
            failures.append(f"{_describe((previous, revision, key))}: schema differs from head")
    assert not failures, "\n".join(failures)


def test_every_object_a_downgrade_drops_already_gone_converges(
    fresh_database: Any,
    snapshots: dict[str, dict[str, Any]],
    partial_cases: list[tuple[str, str, tuple[str, ...]]],
) -> None:
    failures = []
    for previous, revision, key in partial_cases:
        url = fresh_database()
        migrate(url, revision=revision)
        execute(url, predrop_sql(key, snapshots[revision]))
        try:
            migrate(url, revision=previous if previous != "base" else "base", downgrade=True)
            at_previous = snapshot(url) == snapshots[previous]
            migrate(url)  # and back up: the object the hand removed is re-created
        except Exception as exc:
            failures.append(f"{_describe((previous, revision, key))}: {exc}")
            continue
        if not at_previous or snapshot(url) != snapshots[HEAD]:
            failures.append(f"{_describe((previous, revision, key))}: did not converge")
    assert not failures, "\n".join(failures)

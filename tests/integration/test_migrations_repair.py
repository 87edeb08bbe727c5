"""`invoke migrate --repair` on real PostgreSQL: every object dropped by hand comes back, nothing else moves.

The cases are generated from the revisions, like the partial states: each revision is applied to a
template database, and for every object in its catalog snapshot (table, column, index, constraint,
server default, a serial's sequence) a copy of that template (CREATE DATABASE ... TEMPLATE) loses
that one object; the dry run must change nothing and show the SQL, the repair must run exactly
that SQL and end at the clean snapshot, and a second repair must find nothing to do.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from netra_devtools.migrate.repair import repair
from netra_devtools.migrate.runner import current_version, migrate
from netra_devtools.services.postgres import run_admin_sql
from tests.integration import test_migrations as scenarios
from tests.integration.test_migrations import REVISIONS, execute, snapshot

fresh_database = scenarios.fresh_database
snapshots = scenarios.snapshots


@pytest.fixture(scope="module")
def database_from(postgres_server: Any) -> Iterator[Any]:
    """A factory of copies of a template database (much cheaper than migrating each one)."""
    names: list[str] = []

    def copy(template_url: str) -> str:
        template = template_url.rsplit("/", 1)[1]
        name = f"r_{uuid.uuid4().hex[:12]}"
        names.append(name)
        run_admin_sql(postgres_server.url(), f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return str(postgres_server.url(name))

    yield copy
    for name in names:
        postgres_server.drop_database(name)


@pytest.fixture(scope="module")
def templates(fresh_database: Any) -> dict[str, str]:
    """A database migrated to each revision, to copy cases from."""
    result = {}
    for revision in REVISIONS:
        url = fresh_database()
        migrate(url, revision=revision)
        result[revision] = url
    return result


KINDS = ["table", "column", "default", "sequence", "index", "constraint"]


def hand_drops(snap: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(kind, what, DDL) for every object of a snapshot: taking it away as a person would."""
    cases: list[tuple[str, str, list[str]]] = []
    for table, columns in snap["tables"].items():
        cases.append(("table", table, [f'DROP TABLE "{table}" CASCADE']))
        for column, spec in columns.items():
            where = f"{table}.{column}"
            cases.append(
                ("column", where, [f'ALTER TABLE "{table}" DROP COLUMN "{column}" CASCADE'])
            )
            if spec["default"]:
                sql = f'ALTER TABLE "{table}" ALTER COLUMN "{column}" DROP DEFAULT'
                cases.append(("default", where, [sql]))
            sequence = re.match(r"nextval\('([^']+)'", spec["default"] or "")
            if sequence:  # a serial's sequence: dropping it takes the default along
                cases.append(("sequence", sequence[1], [f"DROP SEQUENCE {sequence[1]} CASCADE"]))
    for name in snap["indexes"]:
        cases.append(("index", name, [f'DROP INDEX "{name}"']))
    for name, spec in snap["constraints"].items():
        sql = f'ALTER TABLE "{spec["table"]}" DROP CONSTRAINT "{name}" CASCADE'
        cases.append(("constraint", name, [sql]))
    return cases


@pytest.mark.parametrize("kind", KINDS)
def test_each_object_dropped_by_hand_is_repaired_to_the_clean_catalog(
    kind: str,
    templates: dict[str, str],
    database_from: Any,
    snapshots: dict[str, dict[str, Any]],
) -> None:
    cases = [
        (revision, what, ddl)
        for revision in REVISIONS
        for case_kind, what, ddl in hand_drops(snapshots[revision])
        if case_kind == kind
    ]
    assert cases, f"no {kind} in any revision"  # generated from the catalogs: each kind is there
    failures: list[str] = []
    for revision, what, ddl in cases:
        label = f"{revision}: {kind} {what}"
        expected = snapshots[revision]
        url = database_from(templates[revision])
        execute(url, *ddl)
        broken = snapshot(url)
        assert broken != expected, f"{label}: the DDL removed nothing"
        dry = repair(url, dry_run=True)
        if snapshot(url) != broken or not dry.statements or not dry.missing:
            failures.append(f"{label}: the dry run changed something or showed nothing")
            continue
        done = repair(url)
        if snapshot(url) != expected or current_version(url) != revision:
            failures.append(f"{label}: not the clean catalog after the repair")
        elif done.statements != dry.statements or done.needs_person:
            failures.append(f"{label}: ran {done.statements}, the dry run showed {dry.statements}")
    assert not failures, "\n".join(failures)


# --- what a repair leaves alone, and what it cannot do --------------------------------------


def test_extra_objects_and_changed_definitions_are_reported_and_left_alone(
    templates: dict[str, str], database_from: Any, snapshots: dict[str, dict[str, Any]]
) -> None:
    url = database_from(templates[REVISIONS[-1]])
    execute(
        url,
        "CREATE TABLE audit_log (id serial PRIMARY KEY, note text)",
        "ALTER TABLE userbase ADD COLUMN nickname varchar(40)",
        "CREATE INDEX idx_userbase_full_name ON userbase (full_name)",
        "ALTER TABLE organizations ADD CONSTRAINT uq_organizations_name UNIQUE (name)",
        "ALTER TABLE threads ALTER COLUMN title TYPE text",
        "ALTER TABLE userbase ALTER COLUMN full_name SET NOT NULL",
        "ALTER TABLE memberships ALTER COLUMN role SET DEFAULT 'viewer'",
        "DROP INDEX idx_userbase_created_at",  # the one thing a repair puts back
    )
    before = snapshot(url)
    report = repair(url)
    assert report.missing == ["index idx_userbase_created_at on userbase"]
    assert sorted(report.needs_person) == [
        "column memberships.role: default 'viewer'::character varying, the revisions define"
        " 'member'::character varying",
        "column threads.title: type text, the revisions define character varying(300)",
        "column userbase.full_name: NOT NULL, the revisions define nullable",
        "extra column userbase.nickname",
        "extra index idx_userbase_full_name on userbase",
        "extra table audit_log",
        "extra unique constraint uq_organizations_name on organizations",
    ]
    after = snapshot(url)
    assert (
        after["indexes"].pop("idx_userbase_created_at")
        == (snapshots[REVISIONS[-1]]["indexes"]["idx_userbase_created_at"])
    )
    assert after == before  # everything else exactly as the person left it


def test_a_repair_that_cannot_finish_changes_nothing(
    templates: dict[str, str], database_from: Any
) -> None:
    from netra_devtools.migrate.repair import RepairFailed

    url = database_from(templates[REVISIONS[-1]])
    execute(
        url,
        "INSERT INTO userbase (email) VALUES ('a@example.com')",
        "DROP INDEX idx_userbase_created_at",
        "ALTER TABLE userbase DROP COLUMN email CASCADE",  # NOT NULL, no default, and a row
    )
    before = snapshot(url)
    with pytest.raises(RepairFailed, match=r"changed nothing: column \"email\" .*contains null"):
        repair(url)
    assert snapshot(url) == before  # not even the index: one transaction


def test_a_database_without_a_revision_has_nothing_to_repair_against(fresh_database: Any) -> None:
    from netra_devtools.migrate.repair import NothingApplied

    with pytest.raises(NothingApplied, match="records no revision"):
        repair(fresh_database())


def test_a_revision_this_checkout_does_not_have_is_named(
    templates: dict[str, str], database_from: Any
) -> None:
    from netra_devtools.migrate.replay import UnknownRevision

    url = database_from(templates[REVISIONS[-1]])
    execute(url, "UPDATE alembic_version SET version_num = 'f00dfeedbeef'")
    with pytest.raises(UnknownRevision, match="at f00dfeedbeef, which this checkout does not have"):
        repair(url)

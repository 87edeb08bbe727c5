"""`invoke migrate --repair`: put back what the applied revisions define and the database lost.

A database at head (or at any revision) whose index, column, constraint or default was dropped
by hand is not "up to date". The repair replays each applied revision's upgrade() with the same
idempotent helpers, in repair mode (they create only what is missing and drop nothing they did
not create), under the migration advisory lock, in one transaction. What differs otherwise
(extra objects, changed types) is reported for a person and left alone. `dry_run` runs the same
transaction, records the SQL and rolls it back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from netra_devtools.errors import NetraDevtoolsError
from netra_devtools.migrate import replay
from netra_devtools.migrate.schema_diff import SchemaDiff, compare

log = logging.getLogger("netra.migrations")


class RepairFailed(NetraDevtoolsError):
    """The repair could not run or did not finish; its transaction changed nothing."""


class NothingApplied(NetraDevtoolsError):
    """The database records no revision, so there is nothing to repair it against."""


@dataclass
class RepairReport:
    """What a repair found and did (a dry run: would do)."""

    version: str
    missing: list[str]
    statements: list[str]
    needs_person: list[str]
    dry_run: bool = False


@dataclass
class Inspection:
    """How a database compares with its applied revisions, and the revisions with the models."""

    version: str
    drift: SchemaDiff = field(default_factory=SchemaDiff)
    model_changes: list[str] = field(default_factory=list)


def _version(connection: sa.Connection) -> str:
    from netra_backend.app.alembic.runtime import current_heads

    return ", ".join(sorted(current_heads(connection))) or "base"


@contextlib.contextmanager
def _recording(connection: sa.Connection, statements: list[str]) -> Iterator[None]:
    """Record every statement run on `connection` except the helpers' catalog questions."""
    from netra_backend.app.alembic.existence import QUESTION_OPTION

    def record(
        _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: Any
    ) -> None:
        if context is None or not context.execution_options.get(QUESTION_OPTION):
            statements.append(" ".join(statement.split()))

    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        yield
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)


def _repair_in(connection: sa.Connection, *, dry_run: bool) -> RepairReport:
    from netra_backend.app.alembic import catalog
    from netra_backend.app.alembic.repair_mode import repair_mode

    revisions = replay.applied_revisions(connection)
    if not revisions:
        raise NothingApplied(
            "the database records no revision: there is nothing to repair it against"
            " (`invoke migrate` upgrades it)"
        )
    schema = str(connection.execute(sa.text("SELECT current_schema()")).scalar())
    expected = replay.reference(connection, revisions, models=False).snapshot
    before = compare(expected, catalog.snapshot(connection, schema))
    statements: list[str] = []
    with _recording(connection, statements), repair_mode():
        replay.replay(connection, revisions)
    after = compare(expected, catalog.snapshot(connection, schema)) if statements else before
    if after.missing:  # the helpers could not create something the revisions define
        raise RepairFailed(
            f"the repair did not put back {', '.join(after.missing)}; nothing was changed"
        )
    return RepairReport(
        _version(connection), before.missing, statements, after.needs_person, dry_run
    )


def repair(url: str, *, dry_run: bool = False) -> RepairReport:
    """Repair `url` (or, with `dry_run`, only find out what a repair would run)."""
    from alembic.util import CommandError

    from netra_backend.app.alembic import runtime

    engine = runtime.make_engine(url)
    try:
        with runtime.connect(engine) as raw_guard:
            guard = raw_guard.execution_options(isolation_level="AUTOCOMMIT")
            with runtime.advisory_lock(guard, runtime.lock_timeout()):
                with runtime.connect(engine) as connection, connection.begin() as transaction:
                    report = _repair_in(connection, dry_run=dry_run)
                    if dry_run:
                        transaction.rollback()
        return report
    except CommandError as exc:  # unreachable database, lock timeout, MissingTable: one line
        raise RepairFailed(str(exc)) from exc
    except sa.exc.DBAPIError as exc:  # e.g. a NOT NULL column added to a table with rows
        raise RepairFailed(f"the repair failed and changed nothing: {runtime.reason(exc)}") from exc
    finally:
        engine.dispose()


def compare_with_revisions(url: str) -> Inspection:
    """Compare `url` with its applied revisions, and those with the models; change nothing."""
    from netra_backend.app.alembic import catalog, runtime

    engine = runtime.make_engine(url)
    try:
        with runtime.connect(engine) as connection, connection.begin() as transaction:
            revisions = replay.applied_revisions(connection)
            schema = str(connection.execute(sa.text("SELECT current_schema()")).scalar())
            built = replay.reference(connection, revisions, models=True)
            drift = compare(built.snapshot, catalog.snapshot(connection, schema))
            inspection = Inspection(_version(connection), drift, built.model_changes)
            transaction.rollback()
    finally:
        engine.dispose()
    return inspection

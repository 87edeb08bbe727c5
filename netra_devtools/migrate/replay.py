"""Replay the revisions a database has applied: to repair it, and to build what they define.

What the applied revisions define is not guessed from the models (they may have changed without a
revision) nor rendered from the revisions' Python: the revisions themselves build it, in a scratch
schema inside a savepoint that is rolled back, on the same server. Its catalog snapshot is then
what the database's own schema is compared with.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from netra_devtools.errors import NetraDevtoolsError

log = logging.getLogger("netra.migrations")


class UnknownRevision(NetraDevtoolsError):
    """The database records a revision this checkout does not have."""


class ReferenceUnavailable(NetraDevtoolsError):
    """The scratch schema for the revisions' reference could not be created (privileges)."""


@dataclass(frozen=True)
class Reference:
    """What the applied revisions define: a catalog snapshot, and how the models differ from it."""

    snapshot: dict[str, Any]
    model_changes: list[str]


def applied_revisions(connection: sa.Connection) -> list[Any]:
    """The revisions (alembic Scripts) up to the database's recorded heads, oldest first."""
    from alembic.script.revision import RevisionError

    from netra_backend.app.alembic import runtime
    from netra_devtools.migrate.runner import script_directory

    heads = runtime.current_heads(connection)
    if not heads:
        return []
    try:
        walked = list(script_directory().iterate_revisions(tuple(sorted(heads)), "base"))
    except RevisionError:
        raise UnknownRevision(
            f"the database is at {', '.join(sorted(heads))}, which this checkout does not have"
            " (pull the branch that wrote it)"
        ) from None
    return list(reversed(walked))


def replay(connection: sa.Connection, revisions: list[Any]) -> None:
    """Run each revision's upgrade() on `connection`, in order (no alembic_version update)."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    with Operations.context(MigrationContext.configure(connection)):
        for revision in revisions:
            log.info("replaying %s (%s)", revision.revision, revision.doc)
            revision.module.upgrade()


def reference(connection: sa.Connection, revisions: list[Any], *, models: bool) -> Reference:
    """Build `revisions` in a scratch schema, snapshot it, and roll it back; `models`: compare."""
    from netra_backend.app.alembic import catalog
    from netra_devtools.migrate.runner import model_differences

    schema = f"netra_reference_{os.getpid()}"
    log.info("building what the revisions define in schema %s (rolled back after)", schema)
    savepoint = connection.begin_nested()
    try:
        try:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.ProgrammingError as exc:
            from netra_backend.app.alembic.runtime import reason

            raise ReferenceUnavailable(
                f"cannot build what the revisions define beside the database: {reason(exc)}"
                " (the repair needs CREATE on the database, as migrations do)"
            ) from exc
        connection.execute(sa.text(f'SET LOCAL search_path TO "{schema}"'))
        replay(connection, revisions)
        snapshot = catalog.snapshot(connection, schema)
        changes = model_differences(connection) if models else []
    finally:
        savepoint.rollback()  # the schema, and the search_path set inside it, are gone
    return Reference(snapshot, changes)

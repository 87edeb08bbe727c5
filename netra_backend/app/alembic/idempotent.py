"""Idempotent DDL for revisions: every helper asks PostgreSQL's catalogs before it acts.

Why not Alembic's own `if_exists` / `if_not_exists`: they arrived piecemeal (index ops 1.11.2,
tables 1.13.3, columns and constraints 1.16.0), older pins reject them with TypeError, and batch
mode ignores them. A catalog query works on every Alembic and PostgreSQL version, and lets us log
exactly what was skipped and why. Every helper takes `schema` (default: the connection's
`current_schema()`), so the same revision works in any schema.

The creating helpers create only what is missing, so replaying an applied revision puts back what
was lost and nothing else; `repair_mode.repair_mode()` is how `invoke migrate --repair` replays them (there,
the dropping helpers drop only what the replay itself created).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError
from sqlalchemy.schema import SchemaItem

from netra_backend.app.alembic.existence import (
    column_defaults,
    column_exists,
    constraint_exists,
    current_schema,
    index_exists,
    primary_key_name,
    table_exists,
)
from netra_backend.app.alembic.repair_mode import drop_allowed, note_created
from netra_backend.app.alembic.server_defaults import column_names, ensure_default, serial_column
from netra_backend.errors import NetraBackendError

log = logging.getLogger("netra.migrations")


class MissingTable(NetraBackendError, CommandError):
    """A revision changes a table that is not there (alembic prints it as one FAILED line)."""


def _skip(what: str, why: str) -> None:
    log.info("skip %s: %s", what, why)


def _qualified(name: str, schema: str | None) -> str:
    return f"{current_schema(schema)}.{name}"


# --- tables and columns --------------------------------------------------------------------


def create_table(table: str, *elements: SchemaItem, schema: str | None = None) -> None:
    """Create `table`; when it already exists, add whatever columns and constraints it lacks.

    A table left by `create_all`, by hand or by an older schema converges to the revision's shape
    instead of being skipped wholesale: missing columns (a lone integer key as SERIAL, as CREATE
    TABLE makes it), lost server defaults, the primary key, unique and foreign-key constraints.
    """
    where = _qualified(table, schema)
    if not table_exists(table, schema):
        op.create_table(table, *elements, schema=schema)
        note_created(f"table {where}")
        log.info("created table %s", where)
        return
    _skip(f"create table {where}", "it exists; adding only what it lacks")
    serial = serial_column(elements)
    present = column_defaults(table, schema)  # one question for all the columns
    for element in elements:
        if isinstance(element, sa.Column):
            _add_column(table, element, schema, present, serial=element.name == serial)
    for element in elements:
        if isinstance(element, sa.PrimaryKeyConstraint):
            _ensure_primary_key(table, element, schema)
        elif isinstance(element, sa.UniqueConstraint):
            create_unique_constraint(str(element.name), table, column_names(element), schema=schema)
        elif isinstance(element, sa.ForeignKeyConstraint):
            _ensure_foreign_key(table, element, schema)


def _ensure_primary_key(table: str, pk: sa.PrimaryKeyConstraint, schema: str | None) -> None:
    existing = primary_key_name(table, schema)
    if existing is not None:
        _skip(f"primary key on {_qualified(table, schema)}", f"it has one ({existing})")
        return
    op.create_primary_key(str(pk.name), table, column_names(pk), schema=schema)
    note_created(f"constraint {_qualified(table, schema)}.{pk.name}")
    log.info("created primary key %s on %s", pk.name, _qualified(table, schema))


def _ensure_foreign_key(table: str, fk: sa.ForeignKeyConstraint, schema: str | None) -> None:
    # An unattached constraint still knows its target as "[schema.]table.column" strings.
    targets = [element.target_fullname.rsplit(".", 1) for element in fk.elements]
    referent = targets[0][0].rsplit(".", 1)
    create_foreign_key(
        str(fk.name),
        table,
        referent[-1],
        column_names(fk),
        [column for _, column in targets],
        source_schema=schema,
        referent_schema=referent[0] if len(referent) == 2 else schema,
        ondelete=fk.ondelete,
        onupdate=fk.onupdate,
    )


def drop_table(table: str, schema: str | None = None) -> None:
    """Drop `table` when it exists."""
    where = _qualified(table, schema)
    if not table_exists(table, schema):
        _skip(f"drop table {where}", "it does not exist")
        return
    if not drop_allowed(f"drop table {where}", f"table {where}"):
        return
    op.drop_table(table, schema=schema)
    log.info("dropped table %s", where)


def add_column(table: str, column: sa.Column[object], schema: str | None = None) -> None:
    """Add `column` to `table` unless it is there; one that is there gets back a lost default."""
    if not table_exists(table, schema):  # nothing sensible to converge to: say so and stop
        where = f"{_qualified(table, schema)}.{column.name}"
        raise MissingTable(f"cannot add column {where}: the table does not exist")
    _add_column(table, column, schema, column_defaults(table, schema), serial=False)


def _add_column(
    table: str,
    column: sa.Column[object],
    schema: str | None,
    present: dict[str, str | None],
    *,
    serial: bool,
) -> None:
    """Add `column` unless it is among `present` (the table's columns and their defaults)."""
    where = f"{_qualified(table, schema)}.{column.name}"
    if column.name in present:
        _skip(f"add column {where}", "it exists")
        ensure_default(table, column, schema, present[column.name], serial=serial)
        return
    if serial:  # as a lone integer primary key, Alembic renders it SERIAL (the key comes after)
        column = column._copy()
        column.primary_key = True
    op.add_column(table, column, schema=schema)
    note_created(f"column {where}")
    log.info("added column %s", where)


def drop_column(table: str, column: str, schema: str | None = None) -> None:
    """Drop `column` from `table` when both exist."""
    where = f"{_qualified(table, schema)}.{column}"
    if not column_exists(table, column, schema):
        _skip(f"drop column {where}", "it does not exist")
        return
    table_key = f"table {_qualified(table, schema)}"
    if not drop_allowed(f"drop column {where}", f"column {where}", table_key):
        return
    op.drop_column(table, column, schema=schema)
    log.info("dropped column %s", where)


# --- indexes and constraints ---------------------------------------------------------------


def create_index(
    index: str,
    table: str,
    columns: Sequence[str],
    *,
    schema: str | None = None,
    unique: bool = False,
) -> None:
    """Create `index` on `table(columns)` unless an index of that name exists in the schema."""
    where = _qualified(index, schema)
    if index_exists(index, schema):
        _skip(f"create index {where}", "it exists")
        return
    op.create_index(index, table, list(columns), schema=schema, unique=unique)
    note_created(f"index {where}")
    log.info("created index %s on %s", where, table)


def drop_index(index: str, table: str | None = None, *, schema: str | None = None) -> None:
    """Drop `index` when it exists (the field report's failure: it had been dropped by hand)."""
    where = _qualified(index, schema)
    if not index_exists(index, schema):
        _skip(f"drop index {where}", "it does not exist")
        return
    owner = f"table {_qualified(table, schema)}" if table else ""
    if not drop_allowed(f"drop index {where}", f"index {where}", owner):
        return
    op.drop_index(index, table_name=table, schema=schema)
    log.info("dropped index %s", where)


def create_unique_constraint(
    name: str, table: str, columns: Sequence[str], *, schema: str | None = None
) -> None:
    """Add unique constraint `name` to `table` unless the table already has it."""
    where = f"{name} on {_qualified(table, schema)}"
    if constraint_exists(table, name, schema):
        _skip(f"create unique constraint {where}", "it exists")
        return
    op.create_unique_constraint(name, table, list(columns), schema=schema)
    note_created(f"constraint {_qualified(table, schema)}.{name}")
    log.info("created unique constraint %s", where)


def create_foreign_key(
    name: str,
    source_table: str,
    referent_table: str,
    local_columns: Sequence[str],
    remote_columns: Sequence[str],
    *,
    source_schema: str | None = None,
    referent_schema: str | None = None,
    ondelete: str | None = None,
    onupdate: str | None = None,
) -> None:
    """Add foreign key `name` to `source_table` unless the table already has it."""
    where = f"{name} on {_qualified(source_table, source_schema)}"
    if constraint_exists(source_table, name, source_schema):
        _skip(f"create foreign key {where}", "it exists")
        return
    op.create_foreign_key(
        name,
        source_table,
        referent_table,
        list(local_columns),
        list(remote_columns),
        source_schema=source_schema,
        referent_schema=referent_schema or source_schema,
        ondelete=ondelete,
        onupdate=onupdate,
    )
    note_created(f"constraint {_qualified(source_table, source_schema)}.{name}")
    log.info("created foreign key %s", where)


def drop_constraint(
    name: str, table: str, *, type_: str | None = None, schema: str | None = None
) -> None:
    """Drop constraint `name` (unique, foreign key, ...) from `table` when it has it."""
    where = f"{name} on {_qualified(table, schema)}"
    if not constraint_exists(table, name, schema):
        _skip(f"drop constraint {where}", "it does not exist")
        return
    keys = (f"constraint {_qualified(table, schema)}.{name}", f"table {_qualified(table, schema)}")
    if not drop_allowed(f"drop constraint {where}", *keys):
        return
    op.drop_constraint(name, table, type_=type_, schema=schema)
    log.info("dropped constraint %s", where)

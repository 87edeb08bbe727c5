"""Idempotent DDL for revisions: every helper asks PostgreSQL's catalogs before it acts.

Why not Alembic's own `if_exists` / `if_not_exists`: they arrived piecemeal (index ops 1.11.2,
tables 1.13.3, columns and constraints 1.16.0), older pins reject them with TypeError, and batch
mode ignores them. A catalog query works on every Alembic and PostgreSQL version, and lets us log
exactly what was skipped and why. Every helper takes `schema` (default: the connection's
`current_schema()`), so the same revision works in any schema.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError
from sqlalchemy.schema import ColumnCollectionConstraint, SchemaItem

from netra_backend.errors import NetraBackendError

log = logging.getLogger("netra.migrations")


class MissingTable(NetraBackendError, CommandError):
    """A revision changes a table that is not there (alembic prints it as one FAILED line)."""


# --- catalog questions ---------------------------------------------------------------------


def _scalar(sql: str, **params: object) -> object:
    return op.get_bind().execute(sa.text(sql), params).scalar()


def current_schema(schema: str | None = None) -> str:
    """`schema`, or the connection's current_schema() when none is given."""
    return schema or str(_scalar("SELECT current_schema()"))


def table_exists(table: str, schema: str | None = None) -> bool:
    """True when an ordinary or partitioned table `schema.table` exists (pg_class)."""
    return bool(
        _scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND c.relname = :table AND c.relkind IN ('r', 'p'))",
            schema=current_schema(schema),
            table=table,
        )
    )


def column_exists(table: str, column: str, schema: str | None = None) -> bool:
    """True when `schema.table` has `column` (information_schema.columns)."""
    return bool(
        _scalar(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = :schema"
            " AND table_name = :table AND column_name = :column)",
            schema=current_schema(schema),
            table=table,
            column=column,
        )
    )


def index_exists(index: str, schema: str | None = None) -> bool:
    """True when index `index` exists in `schema` (the pg_indexes view)."""
    return bool(
        _scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = :schema"
            " AND indexname = :index)",
            schema=current_schema(schema),
            index=index,
        )
    )


def constraint_exists(table: str, name: str, schema: str | None = None) -> bool:
    """True when `schema.table` has a constraint called `name` (pg_constraint)."""
    return bool(
        _scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema"
            " AND c.relname = :table AND k.conname = :name)",
            schema=current_schema(schema),
            table=table,
            name=name,
        )
    )


def primary_key_name(table: str, schema: str | None = None) -> str | None:
    """The name of `schema.table`'s primary key, or None when it has none."""
    value = _scalar(
        "SELECT k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema"
        " AND c.relname = :table AND k.contype = 'p'",
        schema=current_schema(schema),
        table=table,
    )
    return None if value is None else str(value)


def _skip(what: str, why: str) -> None:
    log.info("skip %s: %s", what, why)


def _qualified(name: str, schema: str | None) -> str:
    return f"{current_schema(schema)}.{name}"


# --- tables and columns --------------------------------------------------------------------


def create_table(table: str, *elements: SchemaItem, schema: str | None = None) -> None:
    """Create `table`; when it already exists, add whatever columns and constraints it lacks.

    A table left by `create_all`, by hand or by an older schema converges to the revision's shape
    instead of being skipped wholesale.
    """
    where = _qualified(table, schema)
    if not table_exists(table, schema):
        op.create_table(table, *elements, schema=schema)
        log.info("created table %s", where)
        return
    _skip(f"create table {where}", "it exists; adding only what it lacks")
    for element in elements:
        if isinstance(element, sa.Column):
            add_column(table, element, schema=schema)
    for element in elements:
        if isinstance(element, sa.PrimaryKeyConstraint):
            _ensure_primary_key(table, element, schema)
        elif isinstance(element, sa.UniqueConstraint):
            create_unique_constraint(
                str(element.name), table, _column_names(element), schema=schema
            )
        elif isinstance(element, sa.ForeignKeyConstraint):
            _ensure_foreign_key(table, element, schema)


def _ensure_primary_key(table: str, pk: sa.PrimaryKeyConstraint, schema: str | None) -> None:
    existing = primary_key_name(table, schema)
    if existing is not None:
        _skip(f"primary key on {_qualified(table, schema)}", f"it has one ({existing})")
        return
    op.create_primary_key(str(pk.name), table, _column_names(pk), schema=schema)
    log.info("created primary key %s on %s", pk.name, _qualified(table, schema))


def _ensure_foreign_key(table: str, fk: sa.ForeignKeyConstraint, schema: str | None) -> None:
    # An unattached constraint still knows its target as "[schema.]table.column" strings.
    targets = [element.target_fullname.rsplit(".", 1) for element in fk.elements]
    referent = targets[0][0].rsplit(".", 1)
    create_foreign_key(
        str(fk.name),
        table,
        referent[-1],
        _column_names(fk),
        [column for _, column in targets],
        source_schema=schema,
        referent_schema=referent[0] if len(referent) == 2 else schema,
        ondelete=fk.ondelete,
        onupdate=fk.onupdate,
    )


def _column_names(constraint: ColumnCollectionConstraint) -> list[str]:
    # Before a constraint is attached to a Table its columns are the names it was given.
    pending = getattr(constraint, "_pending_colargs", None) or list(constraint.columns)
    return [item if isinstance(item, str) else str(item.name) for item in pending]


def drop_table(table: str, schema: str | None = None) -> None:
    """Drop `table` when it exists."""
    where = _qualified(table, schema)
    if not table_exists(table, schema):
        _skip(f"drop table {where}", "it does not exist")
        return
    op.drop_table(table, schema=schema)
    log.info("dropped table %s", where)


def add_column(table: str, column: sa.Column[object], schema: str | None = None) -> None:
    """Add `column` to `table` unless it is already there."""
    where = f"{_qualified(table, schema)}.{column.name}"
    if not table_exists(table, schema):  # nothing sensible to converge to: say so and stop
        raise MissingTable(f"cannot add column {where}: the table does not exist")
    if column_exists(table, column.name, schema):
        _skip(f"add column {where}", "it exists")
        return
    op.add_column(table, column, schema=schema)
    log.info("added column %s", where)


def drop_column(table: str, column: str, schema: str | None = None) -> None:
    """Drop `column` from `table` when both exist."""
    where = f"{_qualified(table, schema)}.{column}"
    if not column_exists(table, column, schema):
        _skip(f"drop column {where}", "it does not exist")
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
    log.info("created index %s on %s", where, table)


def drop_index(index: str, table: str | None = None, *, schema: str | None = None) -> None:
    """Drop `index` when it exists (the field report's failure: it had been dropped by hand)."""
    where = _qualified(index, schema)
    if not index_exists(index, schema):
        _skip(f"drop index {where}", "it does not exist")
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
    log.info("created foreign key %s", where)


def drop_constraint(
    name: str, table: str, *, type_: str | None = None, schema: str | None = None
) -> None:
    """Drop constraint `name` (unique, foreign key, ...) from `table` when it has it."""
    where = f"{name} on {_qualified(table, schema)}"
    if not constraint_exists(table, name, schema):
        _skip(f"drop constraint {where}", "it does not exist")
        return
    op.drop_constraint(name, table, type_=type_, schema=schema)
    log.info("dropped constraint %s", where)

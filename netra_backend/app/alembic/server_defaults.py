"""Server defaults for idempotent.py: which column is SERIAL, and putting back a lost default.

A column that exists but lost the default its revision gives it (`ALTER ... DROP DEFAULT` by
hand, or a dropped sequence) gets it back; a column with a different default keeps it, since
replacing one is for a person to decide.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import ColumnCollectionConstraint, SchemaItem

from netra_backend.app.alembic.existence import current_schema, owned_sequence
from netra_backend.app.alembic.repair_mode import note_created

log = logging.getLogger("netra.migrations")


def column_names(constraint: ColumnCollectionConstraint) -> list[str]:
    """A constraint's column names (before it is attached to a Table, the names it was given)."""
    pending = getattr(constraint, "_pending_colargs", None) or list(constraint.columns)
    return [item if isinstance(item, str) else str(item.name) for item in pending]


def serial_column(elements: Sequence[SchemaItem]) -> str | None:
    """The column CREATE TABLE makes SERIAL (SQLAlchemy's rule: a lone integer primary key)."""
    columns = [element._copy() for element in elements if isinstance(element, sa.Column)]
    keys = [
        name
        for element in elements
        if isinstance(element, sa.PrimaryKeyConstraint)
        for name in column_names(element)
    ]
    primary_key = [sa.PrimaryKeyConstraint(*keys)] if keys else []
    shape = sa.Table("shape", sa.MetaData(), *columns, *primary_key)
    column = shape.autoincrement_column
    return None if column is None else str(column.name)


def ensure_default(
    table: str, column: sa.Column[object], schema: str | None, current: str | None, *, serial: bool
) -> None:
    """Put back the default the revision gives `column` (a serial's: nextval) when `current` is None."""
    if current is not None or (column.server_default is None and not serial):
        return
    where = f"{current_schema(schema)}.{table}.{column.name}"
    default: sa.schema.FetchedValue | sa.TextClause | None = column.server_default
    if serial:
        sequence = _serial_sequence(table, column, schema).replace("'", "''")
        default = sa.text(f"nextval('{sequence}'::regclass)")
    op.alter_column(table, column.name, server_default=default, schema=schema)
    note_created(f"default {where}")
    log.info("restored the default of %s", where)


def _serial_sequence(table: str, column: sa.Column[object], schema: str | None) -> str:
    """The sequence a serial column draws from: its own, or a new one named as SERIAL names it."""
    existing = owned_sequence(table, column.name, schema)
    if existing is not None:
        return existing
    quote = op.get_bind().dialect.identifier_preparer.quote
    owner = f"{quote(current_schema(schema))}.{quote(table)}"
    sequence = f"{quote(current_schema(schema))}.{quote(f'{table}_{column.name}_seq')}"
    kind = "bigint" if isinstance(column.type, sa.BigInteger) else "integer"
    op.execute(f"CREATE SEQUENCE {sequence} AS {kind} OWNED BY {owner}.{quote(column.name)}")
    # start past the rows already there, where the lost sequence had got to at least
    op.execute(
        f"SELECT setval('{sequence}', COALESCE((SELECT max({quote(column.name)}) FROM {owner}),"
        " 0) + 1, false)"
    )
    note_created(f"sequence {sequence}")
    log.info("created sequence %s for %s.%s", sequence, owner, column.name)
    return sequence

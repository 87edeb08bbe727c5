"""The catalog questions idempotent.py asks before each DDL: does this table, column, index exist?

Each runs on Alembic's bound connection (`op.get_bind()`), inside the revision's transaction, so it
sees exactly what the next DDL would hit. Every query carries the execution option
`QUESTION_OPTION`, so a caller that records the SQL a replay runs (`invoke migrate --repair
--dry-run`) can leave the questions out and keep the changes.
"""

from __future__ import annotations

import weakref

import sqlalchemy as sa
from alembic import op
from alembic.runtime.migration import MigrationContext

QUESTION_OPTION = "netra_catalog_question"

_current_schemas: weakref.WeakKeyDictionary[MigrationContext, str] = weakref.WeakKeyDictionary()


def _question(sql: str) -> sa.TextClause:
    return sa.text(sql).execution_options(**{QUESTION_OPTION: True})


def _scalar(sql: str, **params: object) -> object:
    return op.get_bind().execute(_question(sql), params).scalar()


def current_schema(schema: str | None = None) -> str:
    """`schema`, or the connection's current_schema() when none is given (asked once per run)."""
    if schema:
        return schema
    context = op.get_context()  # one per alembic run or replay; its search_path stays put
    if context not in _current_schemas:
        _current_schemas[context] = str(_scalar("SELECT current_schema()"))
    return _current_schemas[context]


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


def column_defaults(table: str, schema: str | None = None) -> dict[str, str | None]:
    """Each column of `schema.table` with its server default as PostgreSQL prints it, or None."""
    question = _question(
        "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
        " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE n.nspname = :schema AND c.relname = :table AND a.attnum > 0"
        " AND NOT a.attisdropped"
    )
    params = {"schema": current_schema(schema), "table": table}
    rows = op.get_bind().execute(question, params).all()
    return {str(name): None if default is None else str(default) for name, default in rows}


def owned_sequence(table: str, column: str, schema: str | None = None) -> str | None:
    """The sequence owned by `schema.table.column` (a serial's), schema-qualified, or None."""
    value = _scalar(
        "SELECT pg_get_serial_sequence(quote_ident(:schema) || '.' || quote_ident(:table), :column)",
        schema=current_schema(schema),
        table=table,
        column=column,
    )
    return None if value is None else str(value)


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

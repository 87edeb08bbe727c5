"""A comparable snapshot of one schema from PostgreSQL's catalogs: tables, columns, indexes, constraints.

Tests compare these snapshots ("the schema after any path equals one clean upgrade") and derive
the partial states to start from by diffing the snapshots before and after each revision.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

VERSION_TABLE = "alembic_version"

_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
"""

# Indexes that back a constraint (primary key, unique) are reported as the constraint.
_INDEXES = """
SELECT i.relname, t.relname, pg_get_indexdef(i.oid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = :schema
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))
"""

# contype 'n' (NOT NULL as a constraint, PostgreSQL 18) is already in the columns' notnull.
_CONSTRAINTS = """
SELECT k.conname, t.relname, k.contype, pg_get_constraintdef(k.oid),
       CASE WHEN k.confrelid <> 0 THEN (SELECT relname FROM pg_class WHERE oid = k.confrelid) END
FROM pg_constraint k
JOIN pg_class t ON t.oid = k.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = :schema AND k.contype <> 'n'
"""


def _quote(connection: sa.Connection, name: str) -> str:
    return str(connection.dialect.identifier_preparer.quote(name))


def snapshot(connection: sa.Connection, schema: str = "public") -> dict[str, Any]:
    """Tables with their columns, indexes and constraints of `schema` (alembic_version left out).

    Defaults and foreign keys name other schemas' objects only when those are off the search
    path: take the snapshot with `schema` on it (the database's own schema always is).
    """
    params = {"schema": schema}
    tables: dict[str, dict[str, Any]] = {}
    for table, column, type_, notnull, default in connection.execute(sa.text(_COLUMNS), params):
        if table == VERSION_TABLE:
            continue
        tables.setdefault(table, {})[column] = {
            "type": type_,
            "not_null": bool(notnull),
            "default": default,
        }
    # pg_get_indexdef always names the schema ("ON public.userbase"): drop it, so that the
    # snapshots of two schemas (a database and a reference built beside it) compare.
    qualifier = re.compile(rf"( ON (?:ONLY )?){re.escape(_quote(connection, schema))}\.")
    indexes = {
        name: {"table": table, "definition": qualifier.sub(r"\1", definition, count=1)}
        for name, table, definition in connection.execute(sa.text(_INDEXES), params)
        if table != VERSION_TABLE
    }
    constraints = {
        name: {"table": table, "type": kind, "definition": definition, "references": ref}
        for name, table, kind, definition, ref in connection.execute(sa.text(_CONSTRAINTS), params)
        if table != VERSION_TABLE
    }
    return {"tables": tables, "indexes": indexes, "constraints": constraints}


def objects(snap: dict[str, Any]) -> set[tuple[str, ...]]:
    """Every object in a snapshot as a key: (table, t), (column, t, c), (index, i), (constraint, k)."""
    keys: set[tuple[str, ...]] = set()
    for table, columns in snap["tables"].items():
        keys.add(("table", table))
        keys.update(("column", table, column) for column in columns)
    keys.update(("index", name) for name in snap["indexes"])
    keys.update(("constraint", name) for name in snap["constraints"])
    return keys


def added_objects(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, ...]]:
    """What `after` has that `before` lacks; columns of new tables count as part of the table."""
    new = objects(after) - objects(before)
    new_tables = {key[1] for key in new if key[0] == "table"}
    return sorted(key for key in new if not (key[0] == "column" and key[1] in new_tables))

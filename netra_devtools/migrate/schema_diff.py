"""How a database's catalog differs from what its applied revisions define, in people's words.

Two kinds: what is *missing* (a table, column, index, constraint or server default the revisions
create and the database lacks) is what a repair puts back; everything else (extra objects, a
column whose type, nullability or default differs, an index or constraint defined otherwise)
*needs a person*, because a repair never drops or rewrites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_CONSTRAINT_KINDS = {
    "p": "primary key",
    "u": "unique constraint",
    "f": "foreign key",
    "c": "check constraint",
    "x": "exclusion constraint",
}


@dataclass(frozen=True)
class SchemaDiff:
    """What a repair would put back (`missing`) and what it leaves to a person."""

    missing: list[str] = field(default_factory=list)
    needs_person: list[str] = field(default_factory=list)


def _describe(key: tuple[str, ...], snap: dict[str, Any]) -> str:
    kind = key[0]
    if kind == "column":
        return f"column {key[1]}.{key[2]}"
    if kind == "constraint":
        spec = snap["constraints"][key[1]]
        what = _CONSTRAINT_KINDS.get(spec["type"], "constraint")
        return f"{what} {key[1]} on {spec['table']}"
    if kind == "index":
        return f"index {key[1]} on {snap['indexes'][key[1]]['table']}"
    return f"{kind} {key[1]}"


def _new_objects(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What `after` has that `before` lacks; a new table's columns, indexes and constraints are
    part of the table."""
    from netra_backend.app.alembic.catalog import added_objects

    keys = added_objects(before, after)
    tables = {key[1] for key in keys if key[0] == "table"}
    owners = {"index": after["indexes"], "constraint": after["constraints"]}
    return [
        _describe(key, after)
        for key in keys
        if key[0] not in owners or owners[key[0]][key[1]]["table"] not in tables
    ]


def _column_changes(
    table: str, column: str, have: dict[str, Any], want: dict[str, Any]
) -> list[str]:
    where = f"column {table}.{column}"
    changes = []
    if have["type"] != want["type"]:
        changes.append(f"{where}: type {have['type']}, the revisions define {want['type']}")
    if have["not_null"] != want["not_null"]:
        state = {True: "NOT NULL", False: "nullable"}
        changes.append(
            f"{where}: {state[have['not_null']]}, the revisions define {state[want['not_null']]}"
        )
    if have["default"] is not None and have["default"] != want["default"]:
        changes.append(
            f"{where}: default {have['default']}, the revisions define {want['default'] or 'none'}"
        )
    return changes


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> SchemaDiff:
    """Compare two catalog snapshots (netra_backend.app.alembic.catalog) object by object."""
    missing = _new_objects(actual, expected)
    needs_person = [f"extra {item}" for item in _new_objects(expected, actual)]
    for table, columns in expected["tables"].items():
        for column, want in columns.items():
            have = actual["tables"].get(table, {}).get(column)
            if have is None:
                continue
            if have["default"] is None and want["default"] is not None:
                missing.append(f"default of column {table}.{column} ({want['default']})")
            needs_person += _column_changes(table, column, have, want)
    for kind, noun in (("indexes", "index"), ("constraints", "constraint")):
        for name, want in expected[kind].items():
            have = actual[kind].get(name)
            if have is not None and have != want:
                needs_person.append(
                    f"{noun} {name}: {have['definition']}"
                    f" on {have['table']}, the revisions define {want['definition']}"
                    f" on {want['table']}"
                )
    return SchemaDiff(missing, needs_person)

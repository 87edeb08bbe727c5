"""Revisions do DDL only through idempotent.py: no op.create_*/op.drop_*/op.add_column, no raw DDL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VERSIONS = REPO / "netra_backend" / "app" / "alembic" / "versions"
REVISION_FILES = sorted(VERSIONS.glob("*.py"))

# Operations that change the schema; the helpers in idempotent.py wrap each after a catalog check.
_FORBIDDEN_OP = re.compile(
    r"^(create_\w+|drop_\w+|add_column|alter_column|rename_table|batch_alter_table|execute)$"
)
_RAW_DDL = re.compile(
    r"^\s*(CREATE|DROP|ALTER|TRUNCATE)\s+(UNIQUE\s+|OR\s+REPLACE\s+)?(TABLE|INDEX|SCHEMA|SEQUENCE"
    r"|TYPE|VIEW|EXTENSION|TRIGGER|FUNCTION|MATERIALIZED|DOMAIN|\w+\s+(ADD|DROP|ALTER))\b",
    re.IGNORECASE,
)


def forbidden_ddl(source: str, filename: str = "<revision>") -> list[str]:
    """Each place in a revision's source that does DDL without the idempotent helpers."""
    tree = ast.parse(source, filename)
    op_names = {"op"}
    problems: list[str] = []
    # Docstrings (bare string statements) describe; they cannot run DDL.
    docstrings = {
        id(stmt.value)
        for stmt in ast.walk(tree)
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("alembic", "alembic.op"):
            for alias in node.names:
                if node.module == "alembic" and alias.name == "op":
                    op_names.add(alias.asname or "op")
                elif node.module == "alembic.op" and _FORBIDDEN_OP.match(alias.name):
                    problems.append(f"line {node.lineno}: imports alembic.op.{alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in op_names
                and _FORBIDDEN_OP.match(func.attr)
            ):
                problems.append(f"line {node.lineno}: op.{func.attr}(...) outside idempotent.py")
        # Raw DDL however it is sent (op.execute, sa.text, connection.exec_driver_sql, ...).
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _RAW_DDL.match(node.value)
        ):
            problems.append(f"line {node.lineno}: raw DDL {node.value.strip()[:40]!r}")
    return problems


def test_there_are_revisions_to_check() -> None:
    names = [path.name for path in REVISION_FILES]
    assert "66e0e5d9662d_add_missing_tables_and_columns_complete.py" in names
    assert len(names) >= 2


@pytest.mark.parametrize("revision", REVISION_FILES, ids=[p.name for p in REVISION_FILES])
def test_revision_does_ddl_only_through_idempotent_helpers(revision: Path) -> None:
    source = revision.read_text(encoding="utf-8")
    assert forbidden_ddl(source, str(revision)) == []
    assert "idempotent" in source, f"{revision.name} does not use the idempotent helpers"


BAD_REVISION = '''
"""a revision written the old way"""
import sqlalchemy as sa
from alembic import op
from alembic import op as ops
from alembic.op import drop_table

def upgrade():
    op.add_column("userbase", sa.Column("created_at", sa.DateTime()))
    op.create_index("idx_userbase_created_at", "userbase", ["created_at"], if_not_exists=True)
    ops.create_foreign_key("fk", "a", "b", ["x"], ["y"])

def downgrade():
    op.execute("DROP INDEX idx_userbase_created_at")
    op.get_bind().exec_driver_sql("alter table userbase drop column created_at")
    op.drop_index("idx_userbase_created_at", if_exists=True)
'''


def test_rule_catches_a_bad_revision_written_to_disk(tmp_path: Path) -> None:
    bad = tmp_path / "0001_bad.py"
    bad.write_text(BAD_REVISION, encoding="utf-8")
    problems = forbidden_ddl(bad.read_text(encoding="utf-8"), str(bad))
    text = "\n".join(problems)
    for expected in (
        "alembic.op.drop_table",
        "op.add_column",
        "op.create_index",
        "op.create_foreign_key",
        "op.execute",
        "raw DDL 'DROP INDEX",
        "raw DDL 'alter table",
        "op.drop_index",
    ):
        assert expected in text, f"missed {expected!r} in:\n{text}"


def test_rule_accepts_helpers_and_plain_queries() -> None:
    good = (
        "from netra_backend.app.alembic import idempotent as idem\n"
        "import sqlalchemy as sa\n"
        "def upgrade():\n"
        "    idem.create_index('idx_a', 'a', ['b'])\n"
        "    idem.drop_table('t')\n"
        "    sa.text('SELECT 1')\n"
    )
    assert forbidden_ddl(good) == []

"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Every DDL goes through netra_backend.app.alembic.idempotent (tests/unit/test_migration_rules.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from netra_backend.app.alembic import idempotent as idem
${imports if imports else ""}
revision: str = ${repr(up_revision)}
down_revision: str | Sequence[str] | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    """Apply this revision through the idempotent helpers."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Undo this revision through the idempotent helpers."""
    ${downgrades if downgrades else "pass"}

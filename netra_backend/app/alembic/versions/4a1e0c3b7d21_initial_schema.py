"""initial schema: users, organizations, memberships

Revision ID: 4a1e0c3b7d21
Revises:
Create Date: 2026-11-28 18:00:00

Every DDL goes through netra_backend.app.alembic.idempotent (tests/unit/test_migration_rules.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from netra_backend.app.alembic import idempotent as idem

revision: str = "4a1e0c3b7d21"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create userbase (without created_at, as the field's databases were), organizations, memberships."""
    idem.create_table(
        "userbase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="userbase_pkey"),
        sa.UniqueConstraint("email", name="uq_userbase_email"),
    )
    idem.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="organizations_pkey"),
        sa.UniqueConstraint("slug", name="uq_organizations_slug"),
    )
    idem.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), server_default="member", nullable=False),
        sa.PrimaryKeyConstraint("id", name="memberships_pkey"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["userbase.id"], name="fk_memberships_user_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_memberships_organization_id",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("user_id", "organization_id", name="uq_memberships_user_org"),
    )


def downgrade() -> None:
    """Drop the three tables, dependents first; tables already gone are skipped."""
    idem.drop_table("memberships")
    idem.drop_table("organizations")
    idem.drop_table("userbase")

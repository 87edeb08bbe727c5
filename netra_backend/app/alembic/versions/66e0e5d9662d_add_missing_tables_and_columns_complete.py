"""add missing tables and columns (complete): userbase.created_at, threads, messages

Revision ID: 66e0e5d9662d
Revises: 4a1e0c3b7d21
Create Date: 2026-11-28 18:00:01

The field report's revision. Its downgrade failed with `index "idx_userbase_created_at" does not
exist` because the index had been dropped by hand and `if_exists=True` did nothing on the pinned
Alembic; here every step asks the catalogs first (netra_backend.app.alembic.idempotent).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from netra_backend.app.alembic import idempotent as idem

revision: str = "66e0e5d9662d"
down_revision: str | Sequence[str] | None = "4a1e0c3b7d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add userbase.created_at and its index, then the threads and messages tables."""
    idem.add_column(
        "userbase",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    idem.create_index("idx_userbase_created_at", "userbase", ["created_at"])
    idem.create_table(
        "threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="threads_pkey"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_threads_organization_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["userbase.id"], name="fk_threads_created_by", ondelete="SET NULL"
        ),
    )
    idem.create_index("idx_threads_organization_id", "threads", ["organization_id"])
    idem.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="messages_pkey"),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name="fk_messages_thread_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["userbase.id"], name="fk_messages_user_id", ondelete="SET NULL"
        ),
    )
    idem.create_index("idx_messages_thread_created", "messages", ["thread_id", "created_at"])


def downgrade() -> None:
    """Drop what upgrade added; objects already gone (e.g. the index dropped by hand) are skipped."""
    idem.drop_index("idx_messages_thread_created", "messages")
    idem.drop_table("messages")
    idem.drop_index("idx_threads_organization_id", "threads")
    idem.drop_table("threads")
    idem.drop_index("idx_userbase_created_at", "userbase")
    idem.drop_column("userbase", "created_at")

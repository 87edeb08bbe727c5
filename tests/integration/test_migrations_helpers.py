"""idempotent.py on real PostgreSQL: each helper is a no-op the second time, per schema, and says why."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from netra_backend.app.alembic import catalog
from netra_backend.app.alembic import idempotent as idem


@pytest.fixture
def operations(database_url: str) -> Iterator[sa.Connection]:
    """A connection with Alembic's `op` bound to it, and a second schema `tenant`."""
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE SCHEMA tenant"))
        with Operations.context(MigrationContext.configure(connection)):
            yield connection
    engine.dispose()


def _users(*extra: Any) -> list[Any]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.PrimaryKeyConstraint("id", name="users_pkey"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        *extra,
    ]


def test_every_helper_twice_leaves_one_object_and_logs_the_skip(
    operations: sa.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="netra.migrations")
    for _ in range(2):
        idem.create_table("users", *_users())
        idem.create_table(
            "posts",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id", name="posts_pkey"),
        )
        idem.add_column("posts", sa.Column("title", sa.Text(), nullable=True))
        idem.create_index("idx_posts_title", "posts", ["title"])
        idem.create_unique_constraint("uq_posts_title", "posts", ["title"])
        idem.create_foreign_key("fk_posts_user_id", "posts", "users", ["user_id"], ["id"])
    snap = catalog.snapshot(operations)
    assert set(snap["tables"]) == {"users", "posts"}
    assert {
        "users_pkey",
        "uq_users_email",
        "posts_pkey",
        "uq_posts_title",
        "fk_posts_user_id",
    } == set(snap["constraints"])
    assert list(snap["indexes"]) == ["idx_posts_title"]
    assert "skip create table public.users: it exists; adding only what it lacks" in caplog.text
    assert "skip add column public.posts.title: it exists" in caplog.text
    assert "skip create index public.idx_posts_title: it exists" in caplog.text
    assert "skip create foreign key fk_posts_user_id on public.posts: it exists" in caplog.text

    caplog.clear()
    for _ in range(2):
        idem.drop_constraint("fk_posts_user_id", "posts", type_="foreignkey")
        idem.drop_constraint("uq_posts_title", "posts", type_="unique")
        idem.drop_index("idx_posts_title", "posts")
        idem.drop_column("posts", "title")
        idem.drop_table("posts")
        idem.drop_table("users")
    assert catalog.snapshot(operations) == {"tables": {}, "indexes": {}, "constraints": {}}
    assert "skip drop index public.idx_posts_title: it does not exist" in caplog.text
    assert "skip drop table public.users: it does not exist" in caplog.text


def test_create_table_completes_an_existing_bare_table(operations: sa.Connection) -> None:
    operations.execute(sa.text("CREATE TABLE users (id serial NOT NULL)"))
    idem.create_table("users", *_users())
    snap = catalog.snapshot(operations)
    assert set(snap["tables"]["users"]) == {"id", "email"}
    assert {"users_pkey", "uq_users_email"} == set(snap["constraints"])


def test_helpers_look_only_in_the_schema_they_are_given(operations: sa.Connection) -> None:
    idem.create_table("users", *_users())
    idem.create_index("idx_users_email", "users", ["email"])
    # Same names in another schema: public's objects must not make tenant's look present.
    idem.create_table("users", *_users(), schema="tenant")
    idem.create_index("idx_users_email", "users", ["email"], schema="tenant")
    tenant = catalog.snapshot(operations, schema="tenant")
    assert "users" in tenant["tables"] and "idx_users_email" in tenant["indexes"]
    assert {"users_pkey", "uq_users_email"} == set(tenant["constraints"])

    idem.drop_index("idx_users_email", "users", schema="tenant")
    idem.drop_index("idx_users_email", "users", schema="tenant")  # gone from tenant: skipped
    assert "idx_users_email" in catalog.snapshot(operations)["indexes"]  # public untouched
    assert idem.index_exists("idx_users_email") and not idem.index_exists(
        "idx_users_email", "tenant"
    )
    idem.drop_table("users", schema="tenant")
    assert idem.table_exists("users") and not idem.table_exists("users", "tenant")


def test_add_column_to_a_missing_table_fails_clearly(operations: sa.Connection) -> None:
    with pytest.raises(idem.MissingTable, match=r"cannot add column public.nowhere.x: the table"):
        idem.add_column("nowhere", sa.Column("x", sa.Integer()))


def test_repair_mode_drops_only_what_the_same_replay_created(
    operations: sa.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    from netra_backend.app.alembic.repair_mode import repair_mode

    caplog.set_level(logging.INFO, logger="netra.migrations")
    idem.create_table("users", *_users())
    idem.create_index("idx_users_email", "users", ["email"])
    idem.add_column("users", sa.Column("nickname", sa.Text(), nullable=True))
    with repair_mode():  # a revision that drops things, replayed by a repair
        idem.drop_column("users", "nickname")
        idem.drop_index("idx_users_email", "users")
        idem.drop_constraint("uq_users_email", "users", type_="unique")
        idem.drop_table("users")
        idem.create_table("posts", sa.Column("id", sa.Integer(), nullable=False))
        idem.add_column("posts", sa.Column("title", sa.Text(), nullable=True))
        idem.drop_column("posts", "title")  # created by this replay: it may go again
        idem.drop_table("posts")
    snap = catalog.snapshot(operations)
    assert set(snap["tables"]) == {"users"}
    assert {"id", "email", "nickname"} == set(snap["tables"]["users"])
    assert "idx_users_email" in snap["indexes"] and "uq_users_email" in snap["constraints"]
    assert "skip drop table public.users: a repair drops only what it created itself" in caplog.text
    idem.drop_column("users", "nickname")  # outside repair mode, drops are drops again
    assert "nickname" not in catalog.snapshot(operations)["tables"]["users"]


def test_a_column_that_lost_its_default_gets_it_back_and_a_changed_one_stays(
    operations: sa.Connection,
) -> None:
    operations.execute(sa.text("CREATE TABLE flags (id serial, on_ boolean, kind text)"))
    operations.execute(sa.text("ALTER TABLE flags ALTER COLUMN id DROP DEFAULT"))
    operations.execute(sa.text("ALTER TABLE flags ALTER COLUMN kind SET DEFAULT 'custom'"))
    idem.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("on_", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("kind", sa.Text(), server_default="plain", nullable=True),
        sa.PrimaryKeyConstraint("id", name="flags_pkey"),
    )
    columns = catalog.snapshot(operations)["tables"]["flags"]
    assert columns["id"]["default"] == "nextval('flags_id_seq'::regclass)"  # its own sequence
    assert columns["on_"]["default"] == "true"
    assert columns["kind"]["default"] == "'custom'::text"  # a person's choice: left alone

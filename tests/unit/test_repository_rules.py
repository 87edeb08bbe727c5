"""Rules the repository keeps: every script has its own test; .ci/run runs the README's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((REPO / "scripts").glob("*.py"))


def script_test_problem(root: Path, script: Path) -> str | None:
    """The rule: scripts/X.py has tests/scripts/test_X.py, which names it; None when kept."""
    stem = script.stem.removeprefix("test_")
    test_file = root / "tests" / "scripts" / f"test_{stem}.py"
    if not test_file.is_file():
        return f"{script.name} has no test: create {test_file.relative_to(root).as_posix()}"
    text = test_file.read_text(encoding="utf-8")
    if f"scripts/{script.name}" not in text and script.stem not in text:
        return f"{test_file.name} never names {script.name}"
    return None


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_every_script_has_its_own_test(script: Path) -> None:
    assert script_test_problem(REPO, script) is None


def test_rule_catches_a_script_without_a_test(tmp_path: Path) -> None:
    for name in ("kept.py", "orphan_tool.py", "unnamed.py"):
        (tmp_path / "scripts").mkdir(exist_ok=True)
        (tmp_path / "scripts" / name).write_text("print('hi')\n")
    (tmp_path / "tests" / "scripts").mkdir(parents=True)
    (tmp_path / "tests" / "scripts" / "test_kept.py").write_text('run_script("kept.py")\n')
    (tmp_path / "tests" / "scripts" / "test_unnamed.py").write_text("def test_x(): pass\n")
    problems = {
        script.name: script_test_problem(tmp_path, script)
        for script in sorted((tmp_path / "scripts").glob("*.py"))
    }
    assert problems == {
        "kept.py": None,
        "orphan_tool.py": "orphan_tool.py has no test: create tests/scripts/test_orphan_tool.py",
        "unnamed.py": "test_unnamed.py never names unnamed.py",
    }


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


def test_skips_say_whether_a_service_is_missing_or_the_test_does_not_apply() -> None:
    """pytest.importorskip and skipif hid missing services from NETRA_REQUIRE_SERVICES=1: a
    missing service goes through service_missing/require_module, a platform or privilege skip
    through by_design (tests/support/skips.py)."""
    hidden = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        if path.parent.name == "support" or path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8")
        hidden += [
            f"{path.relative_to(REPO)}: {w}" for w in ("importorskip", "skipif") if w in text
        ]
    assert hidden == []

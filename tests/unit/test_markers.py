"""The suite's markers: each one declared selects tests, and selection by marker really works.

Markers come from directories (tests/support/markers.py, applied in tests/conftest.py). This
collects the whole suite once, as `nox -s windows-live` does (`-m "windows or degradation"`),
and reads every test's markers and whether the expression kept it.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.markers import DIRECTORY_MARKERS, MARKERS

REPO = Path(__file__).resolve().parents[2]
# a marker whose directory is still empty here -> the issue whose branch fills it
PENDING: dict[str, int] = {}


def _windows_live_expression() -> str:
    """WINDOWS_LIVE_MARKERS from noxfile.py, read without importing nox."""
    tree = ast.parse((REPO / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and getattr(node.targets[0], "id", "") == "WINDOWS_LIVE_MARKERS"
        ):
            return str(ast.literal_eval(node.value))
    raise AssertionError("noxfile.py has no WINDOWS_LIVE_MARKERS")


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """{nodeid: {"markers", "selected"}} for the whole suite under the windows-live expression."""
    out = tmp_path_factory.mktemp("markers") / "collected.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "--no-cov", "-p", "no:cacheprovider",
         "-p", "tests.support.collected_markers", "-m", _windows_live_expression()],
        cwd=REPO, env={**os.environ, "NETRA_MARKERS_OUT": str(out)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result: dict[str, dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return result


@pytest.mark.parametrize("marker", list(MARKERS))
def test_every_declared_marker_selects_a_test(collected: dict, marker: str) -> None:
    carriers = [nodeid for nodeid, item in collected.items() if marker in item["markers"]]
    if marker in PENDING:
        assert not carriers, f"{marker} has tests now: remove it from PENDING"
        pytest.skip(f"by design: tests/{marker}/ is filled by issue {PENDING[marker]}")
    assert carriers, f"no test carries the {marker!r} marker"


def test_windows_live_selects_the_windows_and_degradation_tests(collected: dict) -> None:
    selected = {nodeid for nodeid, item in collected.items() if item["selected"]}
    marked = {
        nodeid
        for nodeid, item in collected.items()
        if {"windows", "degradation"} & set(item["markers"])
    }
    assert selected == marked
    assert any(n.startswith("tests/windows/") for n in selected)
    assert any(n.startswith("tests/degradation/") for n in selected)


def test_directory_markers_are_declared_and_never_applied_by_hand() -> None:
    assert {m for names in DIRECTORY_MARKERS.values() for m in names} <= set(MARKERS)
    by_hand = []
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        by_hand += [f"{path.relative_to(REPO)}: {m}" for m in MARKERS if f"mark.{m}" in text]
    assert by_hand == [], "markers come from directories (tests/support/markers.py)"

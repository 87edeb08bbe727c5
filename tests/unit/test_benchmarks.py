"""The benchmarks' shared plumbing: `met` computed from goals, the machine read, rows merged by run."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import _timing as timing
from benchmarks._report import _cells, _table, machine, render, render_row

REPO = Path(__file__).resolve().parents[2]
FACTS = {"when": "2026-12-01 10:00", "commit": "abc", "machine": "Linux x86_64", "cores": "2",
         "cpu": "Some CPU", "python": "3.11.7"}  # fmt: skip


@pytest.mark.parametrize(
    ("goal", "ours", "anchor", "met"),
    [
        (timing.at_most_x(1.5), 150.0, 100.0, True),
        (timing.at_most_x(1.5), 151.0, 100.0, False),
        (timing.at_least_x(0.5), 40.0, 100.0, False),
        (timing.at_most(15, "s"), 14.0, None, True),
        (timing.at_least(50_000, "rows/s"), 49_999, 1, False),
        (timing.within(300, "ms"), 420.0, 100.0, False),
        (timing.equal(), 1700, 1700, True),
        (timing.at_most_x(1.5), 10.0, None, None),  # the anchor is missing: no verdict
        (timing.at_most(15, "s"), None, 1.0, None),
    ],
)
def test_goal_computes_met_from_the_figures(goal, ours, anchor, met) -> None:
    assert goal.met(ours, anchor) is met


def _row(benchmark: str, measurement: str, ours: float, **extra: object) -> dict:
    made = timing.row(measurement, ours, 10.0, "ms", timing.at_most_x(1.5), "cmd | x")
    return {**made, **extra, "benchmark": benchmark}


def test_a_row_shows_met_its_ratio_and_a_missing_anchor() -> None:
    line = render_row(_row("bench_a", "one", 12.0), "1")
    assert _cells(line) == ["bench_a", "one", "12", "10", "ms", "1.20x", "<= 1.5x anchor",
                            "yes", "1", "`cmd \\| x`"]  # fmt: skip
    missing = {**_row("bench_a", "two", 30.0), "anchor": None, "anchor_missing": "lsof"}
    assert _cells(render_row(missing, "1"))[3:8] == [
        "missing: lsof",
        "ms",
        "—",
        "<= 1.5x anchor",
        "—",
    ]
    assert _cells(render_row({**_row("bench_a", "three", 30.0), "goal": None}, "1"))[6:8] == [
        "recorded",
        "—",
    ]


def test_a_partial_run_replaces_its_rows_and_keeps_the_others_with_their_run() -> None:
    full = render([_row("bench_a", "a1", 1.0), _row("bench_b", "b1 | piped", 2.0)], FACTS)
    assert [_cells(line)[0] for line in _table(full, "Runs")] == ["1"]
    later = {**FACTS, "commit": "def"}
    merged = render([_row("bench_b", "b1 | piped", 99.0), _row("bench_b", "b2", 3.0)], later, full)
    rows = [_cells(line) for line in _table(merged, "Results")]
    assert [(r[0], r[1], r[2], r[8]) for r in rows] == [
        ("bench_a", "a1", "1", "1"),
        ("bench_b", "b1 \\| piped", "99", "2"),
        ("bench_b", "b2", "3", "2"),
    ]
    runs = [_cells(line) for line in _table(merged, "Runs")]
    assert [(r[0], r[2]) for r in runs] == [("1", "abc"), ("2", "def")]
    # refreshing bench_a too leaves run 1 unreferenced: it is dropped, the new run is 2 again
    again = render([_row("bench_a", "a1", 5.0)], FACTS, merged)
    assert {_cells(line)[8] for line in _table(again, "Results")} == {"2", "3"}
    assert [_cells(line)[0] for line in _table(again, "Runs")] == ["2", "3"]


def test_the_header_reads_the_machine() -> None:
    facts = machine()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert facts["cores"] == str(cores)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    if head.returncode == 0:
        assert head.stdout.startswith(facts["commit"].split()[0])
    if sys.platform == "linux":
        models = [
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith(("model name", "Model", "Hardware"))
        ]
        assert facts["cpu"] == (models[0] if models else facts["cpu"])
    assert facts["cpu"]


def test_peak_memory_is_the_whole_process_high_water_mark() -> None:
    ballast = bytearray(64 * 2**20)  # touch 64 MiB: the high-water mark must include it
    ballast[::4096] = b"x" * len(ballast[::4096])
    assert timing.peak_memory_bytes() >= 64 * 2**20
    del ballast


def test_no_benchmark_writes_met_by_hand() -> None:
    hand_written = []
    for path in sorted((REPO / "benchmarks").glob("bench_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            keys = node.keys if isinstance(node, ast.Dict) else []
            names = [k.value for k in keys if isinstance(k, ast.Constant)]
            if isinstance(node, ast.keyword) and node.arg == "met" or "met" in names:
                hand_written.append(f"{path.name}:{node.lineno}")
    assert hand_written == []


def test_a_missing_anchor_tool_is_reported_on_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import bench_check_port

    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no lsof on it
    (measured,) = bench_check_port.run(runs=1)
    assert measured["anchor"] is None and "lsof" in measured["anchor_missing"]
    assert isinstance(measured["ours"], float) and measured["ours"] > 0
    cells = _cells(render_row({**measured, "benchmark": "bench_check_port"}, "1"))
    assert cells[3].startswith("missing: lsof") and cells[7] == "—"


def test_an_unknown_benchmark_is_bad_usage() -> None:
    done = subprocess.run([sys.executable, "-m", "benchmarks", "bench_nosuch"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == "error: no such benchmark: bench_nosuch"

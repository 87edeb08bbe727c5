"""docs/benchmarks.md: the machine a run used, and every row with the run it came from.

A full run (`nox -s bench`) writes the file from that one run. A run of some benchmarks
(`python -m benchmarks bench_NAME`) replaces only their rows and keeps the others, each still
naming its own run, so engineers can refresh their rows without rerunning everything.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._timing import Goal

REPO = Path(__file__).resolve().parents[1]
INTRO = (
    "Written by `python -m benchmarks`: `nox -s bench` runs every benchmark and rewrites this file "
    "from one run; `python -m benchmarks bench_NAME` refreshes that benchmark's rows and keeps the "
    "others, each naming the run it came from. Medians of interleaved rounds; ours and the anchor "
    "come from the same run. `met` is computed from the figures and the goal (— when there is no "
    "goal or a figure is missing). A missed goal is reported here, not failed: the machines are "
    "shared and noisy."
)
RUNS_HEADER = [
    "| run | when (UTC) | commit | machine | cores | CPU | Python |",
    "|---|---|---|---|---|---|---|",
]
ROWS_HEADER = [
    "| benchmark | measurement | ours | anchor | unit | ratio | goal | met | run | reproduce |",
    "|---|---|---|---|---|---|---|---|---|---|",
]
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def cpu_model() -> str:
    """The CPU's model name as the machine reports it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith(("model name", "Model", "Hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine() -> dict[str, str]:
    """What a run ran on, read from the machine: time, commit, system, cores, CPU, Python."""
    sha = _git("rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks.md")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "when": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        "commit": f"{sha} (uncommitted changes)" if dirty else sha,
        "machine": f"{platform.system()} {platform.machine()}",
        "cores": str(cores),
        "cpu": cpu_model(),
        "python": platform.python_version(),
    }


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def _cell(value: object) -> str:
    return _fmt(value).replace("|", "\\|")


def render_row(row: dict[str, Any], run: str) -> str:
    """One table line; `met` computed from the goal and the figures, never taken from the row."""
    goal = row.get("goal")
    met = goal.met(row.get("ours"), row.get("anchor")) if isinstance(goal, Goal) else None
    ours, anchor = row.get("ours"), row.get("anchor")
    ratio = "—"
    if isinstance(ours, int | float) and isinstance(anchor, int | float) and anchor:
        ratio = f"{ours / anchor:.2f}x"
    shown_anchor = f"missing: {row['anchor_missing']}" if row.get("anchor_missing") else anchor
    cells = [
        row["benchmark"], row["measurement"], _fmt(ours), _fmt(shown_anchor), row.get("unit", ""),
        ratio, goal.text if isinstance(goal, Goal) else (goal or "recorded"),
        {True: "yes", False: "**no**", None: "—"}[met], run,
    ]  # fmt: skip
    command = str(row.get("command", "")).replace("|", "\\|")
    return "| " + " | ".join(_cell(c) for c in cells) + f" | `{command}` |"


def _run_line(run: str, facts: dict[str, str]) -> str:
    keys = ("when", "commit", "machine", "cores", "cpu", "python")
    return "| " + " | ".join([run, *(_cell(facts[k]) for k in keys)]) + " |"


def _table(text: str, title: str) -> list[str]:
    """The data lines of the table under `## title` (header and separator left out)."""
    section = text.split(f"## {title}\n", 1)[1] if f"## {title}\n" in text else ""
    lines = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("|")]
    return lines[2:]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in _CELL_SPLIT.split(line.strip())[1:-1]]


def render(rows: list[dict[str, Any]], facts: dict[str, str], previous: str = "") -> str:
    """The whole file: `rows` from this run, plus the rows of `previous` for other benchmarks."""
    ours = {str(r["benchmark"]) for r in rows}
    kept = [line for line in _table(previous, "Results") if _cells(line)[0] not in ours]
    used = {_cells(line)[8] for line in kept}
    old_runs = [line for line in _table(previous, "Runs") if _cells(line)[0] in used]
    run = str(max((int(r) for r in used if r.isdigit()), default=0) + 1)
    fresh = [render_row(r, run) for r in rows]
    lines = sorted(kept + fresh, key=lambda line: _cells(line)[0])  # stable: a run's order stays
    body = [
        "# Benchmarks", "", INTRO, "", "## Runs", "", *RUNS_HEADER, *old_runs,
        _run_line(run, facts), "", "## Results", "", *ROWS_HEADER, *lines,
    ]  # fmt: skip
    return "\n".join(body) + "\n"

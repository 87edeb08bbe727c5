"""Launcher benchmarks: CLI start-up (`invoke --list`, every script's --help) and local mode to ready.

Run alone: `python -m benchmarks.bench_launcher` prints the rows.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CLI_GOAL_MS = 300.0
WARM_GOAL_S = 15.0
CLI_ROUNDS = 9
STACK_ROUNDS = 3


def _timed(args: list[str], env: dict[str, str] | None = None, timeout: float = 300) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-300:]!r}")
    return elapsed


def _interleaved(ours: list[str], anchor: list[str], rounds: int) -> tuple[float, float]:
    """Medians (ms) of `ours` and `anchor`, measured in alternation so load hits both alike."""
    a, b = [], []
    for _ in range(rounds):
        a.append(_timed(ours))
        b.append(_timed(anchor))
    return statistics.median(a) * 1000, statistics.median(b) * 1000


def cli_rows() -> list[dict[str, Any]]:
    """`invoke --list` and each scripts/*.py --help against `python -c pass`."""
    anchor = [sys.executable, "-c", "pass"]
    commands = [[sys.executable, "-m", "invoke", "--list"]]
    commands += [
        [sys.executable, str(p), "--help"] for p in sorted((REPO / "scripts").glob("*.py"))
    ]
    rows = []
    for command in commands:
        ours, base = _interleaved(command, anchor, CLI_ROUNDS)
        shown = " ".join(Path(c).name if c == sys.executable else c for c in command)
        rows.append(
            {
                "measurement": f"start-up of `{shown.replace(str(REPO) + '/', '')}`",
                "ours": round(ours, 1),
                "anchor": round(base, 1),
                "unit": "ms",
                "goal": f"within {CLI_GOAL_MS:.0f} ms of the anchor",
                "met": ours - base <= CLI_GOAL_MS,
                "command": shown.replace(str(REPO) + "/", ""),
            }
        )
    return rows


def _up_then_down(root: Path) -> float:
    """Seconds from `invoke dev --mode local --detach` to ready (the command returns then)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DATABASE_URL")}
    env["NETRA_STATE_DIR"] = str(root)
    invoke = [sys.executable, "-m", "invoke"]
    up = [*invoke, "dev", "--mode", "local", "--detach", "--port", str(_free())]
    try:
        return _timed(up + ["--postgres-port", str(_free())], env=env)
    finally:
        subprocess.run([*invoke, "down"], cwd=REPO, env=env, capture_output=True, timeout=120)


def _free() -> int:
    from netra_devtools.services.postgres import free_port

    return free_port()


def _bare_postgres(root: Path) -> float:
    """The anchor: starting the same persistent PostgreSQL directly, no launcher around it."""
    from netra_devtools.services import postgres

    started = time.perf_counter()
    cluster = postgres.open_persistent(root, port=_free())
    elapsed = time.perf_counter() - started
    cluster.stop()
    return elapsed


def stack_rows() -> list[dict[str, Any]]:
    """Local mode to ready, cold (fresh .netra/) and warm (data reused), vs bare PostgreSQL."""
    analytics = importlib.util.find_spec("chdb") is not None
    what = "local mode to ready (PostgreSQL, migrations, backend" + (
        ", embedded ClickHouse)" if analytics else "; analytics disabled: no chdb)"
    )
    results: dict[str, tuple[list[float], list[float]]] = {"cold": ([], []), "warm": ([], [])}
    for _ in range(STACK_ROUNDS):
        work = Path(tempfile.mkdtemp(prefix="netra-bench-"))
        work.chmod(0o755)  # the unprivileged PostgreSQL user must reach it (see the tests)
        try:
            results["cold"][0].append(_up_then_down(work / "launcher"))
            results["cold"][1].append(_bare_postgres(work / "bare"))
            results["warm"][0].append(_up_then_down(work / "launcher"))
            results["warm"][1].append(_bare_postgres(work / "bare"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    rows = []
    for kind, (ours, anchor) in results.items():
        median = statistics.median(ours)
        rows.append(
            {
                "measurement": f"{what}, {kind}, vs starting its PostgreSQL directly",
                "ours": round(median, 2),
                "anchor": round(statistics.median(anchor), 2),
                "unit": "s",
                "goal": f"<= {WARM_GOAL_S:.0f} s warm" if kind == "warm" else "reported",
                "met": median <= WARM_GOAL_S if kind == "warm" else True,
                "command": "invoke dev --mode local --detach (then invoke down)",
            }
        )
    return rows


def run() -> list[dict[str, Any]]:
    """Every launcher measurement as benchmark rows."""
    return cli_rows() + stack_rows()


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
